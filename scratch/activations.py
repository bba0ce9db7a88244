"""Element-wise activations and the standalone softmax. No parameters."""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_shape


class _Activation:
    """Shared plumbing: validate, cache the output, check dout against it."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.cache = None

    def forward(self, x):
        x = as_array(self, "x", x, kept=True)
        self._check_input(x)
        self.cache = (x, self._forward(x))
        return self.cache[1].copy()  # the caller's to write to (`h += b`): not the cached y

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        x, y = self.cache
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, y.shape)
        return self._backward(x, y, dout)

    def _check_input(self, x):
        """Element-wise activations take any shape."""


def sigmoid(x):
    """1 / (1 + exp(-x)), evaluated through exp(-|x|) so that no exp overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class Sigmoid(_Activation):
    """1 / (1 + exp(-x)), evaluated through exp(-|x|) so that no exp overflows."""

    def _forward(self, x):
        return sigmoid(x)

    def _backward(self, x, y, dout):
        return dout * y * (1.0 - y)


class Tanh(_Activation):
    def _forward(self, x):
        return np.tanh(x)

    def _backward(self, x, y, dout):
        return dout * (1.0 - y * y)


class ReLU(_Activation):
    """max(x, 0); the derivative at exactly 0 is taken as 0, as in PyTorch."""

    def _forward(self, x):
        return np.maximum(x, 0.0)

    def _backward(self, x, y, dout):
        return dout * (x > 0)


class LeakyReLU(_Activation):
    """x for x > 0, slope * x otherwise; the derivative at 0 is the slope, as in PyTorch."""

    def __init__(self, slope=0.01):
        super().__init__()
        self.slope = slope

    def _forward(self, x):
        return np.where(x > 0, x, self.slope * x)

    def _backward(self, x, y, dout):
        return dout * np.where(x > 0, 1.0, self.slope)


class Softmax(_Activation):
    """Softmax over the last axis. x: (..., n_classes), at least 1-D.

    The maximum of each row is subtracted first, so exp never overflows and rows on
    very different scales do not underflow to 0/0.
    """

    def _check_input(self, x):
        if x.ndim < 1:
            raise ValueError(f"Softmax: x must have at least 1 dimension, got shape {x.shape}")

    def _forward(self, x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def _backward(self, x, y, dout):
        # Vector-Jacobian product of softmax: J = diag(y) - y y^T per row.
        return y * (dout - (dout * y).sum(axis=-1, keepdims=True))
