"""Fully connected layer."""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_positive_int, expect_shape


class FC:
    """y = x @ W + B.  x: (batch, n_in) -> y: (batch, n_out); W: (n_in, n_out), B: (n_out,)."""

    def __init__(self, n_in, n_out, initializer):
        self.n_in = expect_positive_int(self, "n_in", n_in)
        self.n_out = expect_positive_int(self, "n_out", n_out)
        self.params = {"W": initializer.W(self.n_in, self.n_out), "B": initializer.B(self.n_out)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def forward(self, x):
        x = as_array(self, "x", x)
        expect_shape(self, "x", x, ("batch", self.n_in))
        self.cache = x
        return x @ self.params["W"] + self.params["B"]

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        x = self.cache
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, (x.shape[0], self.n_out))
        self.grads["W"][...] = x.T @ dout
        self.grads["B"][...] = dout.sum(axis=0)
        return dout @ self.params["W"].T
