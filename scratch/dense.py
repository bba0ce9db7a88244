"""Fully connected layers: FC, and TimeFC (the same at every time step)."""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_positive_int, expect_shape
from .initializers import default_initializer


class FC:
    """y = x @ W + B.  x: (batch, n_in) -> y: (batch, n_out); W: (n_in, n_out), B: (n_out,)."""

    _leading = ("batch",)  # the axes of x before n_in (TimeFC adds seq_len)

    def __init__(self, n_in, n_out, initializer=None):
        initializer = default_initializer(initializer)
        self.n_in = expect_positive_int(self, "n_in", n_in)
        self.n_out = expect_positive_int(self, "n_out", n_out)
        self.params = {"W": initializer.W(self.n_in, self.n_out), "B": initializer.B(self.n_out)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def forward(self, x):
        x = as_array(self, "x", x, kept=True)
        expect_shape(self, "x", x, (*self._leading, self.n_in))
        self.cache = x
        return x @ self.params["W"] + self.params["B"]

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        x = self.cache
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, (*x.shape[:-1], self.n_out))
        dout_rows = dout.reshape(-1, self.n_out)  # every position of every sample is a row
        self.grads["W"][...] = x.reshape(-1, self.n_in).T @ dout_rows
        self.grads["B"][...] = dout_rows.sum(axis=0)
        return dout @ self.params["W"].T


class TimeFC(FC):
    """FC at every time step, with one W and B: x (batch, seq_len, n_in) -> (batch, seq_len, n_out)."""

    _leading = ("batch", "seq_len")
