"""Flatten: a reshape, no parameters."""
from .activations import _Activation


class Flatten(_Activation):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...), like nn.Flatten(); x is at least 2-D.

    forward and backward return copies, never views of their arguments, so a caller
    that writes into the result does not change x or dout.
    """

    def _check_input(self, x):
        if x.ndim < 2:
            raise ValueError(f"Flatten: x must have shape (batch, ...) with at least 2 dimensions, got {x.shape}")

    def _forward(self, x):
        return x.reshape(x.shape[0], -1).copy()

    def _backward(self, x, y, dout):
        return dout.reshape(x.shape).copy()
