"""From-scratch NumPy layers whose backward passes are exact vector-Jacobian products."""
from .activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .dense import FC
from .initializers import HeInitializer, SimpleInitializer, XavierInitializer
from .losses import MSELoss, SoftmaxCrossEntropy
from .optimizers import SGD
from .recurrent import SimpleRNN
from .regularization import Dropout

__all__ = [
    "FC", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "Dropout", "SimpleRNN",
    "SoftmaxCrossEntropy", "MSELoss",
    "SimpleInitializer", "XavierInitializer", "HeInitializer",
    "SGD",
]
