"""Inverted dropout, as in PyTorch."""
import numpy as np

from ._modes import TrainEval
from ._validate import as_array, expect_forward_done, expect_shape


class Dropout(TrainEval):
    """Zero each element with probability p and scale the rest by 1/(1-p) in training;
    the identity in evaluation. The mask comes from the injected generator `rng`.
    """

    def __init__(self, p=0.5, *, rng):
        if not (isinstance(p, (int, float)) and 0.0 <= p < 1.0):
            raise ValueError(f"Dropout: p must be a number in [0, 1), got {p!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"Dropout: rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.p = float(p)
        self.rng = rng
        self.training = True
        self.params = {}
        self.grads = {}
        self.cache = None

    def forward(self, x):
        x = as_array(self, "x", x)
        if self.training:
            scale = (self.rng.random(x.shape) >= self.p) / (1.0 - self.p)
        else:
            scale = np.ones(x.shape)
        self.cache = scale
        return x * scale

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, self.cache.shape)
        return dout * self.cache
