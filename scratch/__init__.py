"""From-scratch NumPy layers whose backward passes are exact vector-Jacobian products."""
from .activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .cells import GRUCell, LSTMCell, SimpleRNNCell
from .conv import Conv1d, Conv2d
from .dense import FC, TimeFC
from .embedding import Embedding
from .gated import GRU, LSTM
from .initializers import HeInitializer, SimpleInitializer, XavierInitializer
from .language_model import CharGRU, CharLSTM
from .losses import MSELoss, SoftmaxCrossEntropy, TimeSoftmaxCrossEntropy
from .models import ScratchRNNClassifier, Sequential
from .normalization import BatchNorm1d, LayerNorm
from .optimizers import SGD, AdaGrad, Adam, Momentum, RMSProp
from .pooling import AvgPool2d, MaxPool2d
from .recurrent import SimpleRNN
from .regularization import Dropout
from .reshape import Flatten

__all__ = [
    "FC", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "Dropout", "SimpleRNN",
    "GRU", "LSTM", "SimpleRNNCell", "GRUCell", "LSTMCell", "Flatten", "TimeFC", "Embedding", "LayerNorm", "BatchNorm1d",
    "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d",
    "SoftmaxCrossEntropy", "TimeSoftmaxCrossEntropy", "MSELoss",
    "SimpleInitializer", "XavierInitializer", "HeInitializer",
    "SGD", "Momentum", "AdaGrad", "RMSProp", "Adam",
    "Sequential", "ScratchRNNClassifier", "CharLSTM", "CharGRU",
]
