"""From-scratch NumPy layers whose backward passes are exact vector-Jacobian products."""
from .activations import ReLU, Sigmoid, Softmax, Tanh
from .dense import FC
from .initializers import HeInitializer, SimpleInitializer, XavierInitializer
from .losses import SoftmaxCrossEntropy
from .optimizers import SGD
from .recurrent import SimpleRNN
from .regularization import Dropout

__all__ = [
    "FC", "Sigmoid", "Tanh", "ReLU", "Softmax", "Dropout", "SimpleRNN",
    "SoftmaxCrossEntropy",
    "SimpleInitializer", "XavierInitializer", "HeInitializer",
    "SGD",
]
