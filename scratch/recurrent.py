"""SimpleRNN (Elman, tanh) with backpropagation through time."""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_positive_int, expect_shape, expect_steps
from .initializers import default_initializer


class SimpleRNN:
    """h_t = tanh(x_t @ W_x + h_{t-1} @ W_h + B), for t = 1..seq_len.

    x: (batch, seq_len, n_features), h0: (batch, n_nodes) or None for zeros
    -> every hidden state, (batch, seq_len, n_nodes).
    W_x: (n_features, n_nodes), W_h: (n_nodes, n_nodes), B: (n_nodes,).
    backward(dout) returns dx and stores the gradient for h0 in `dinputs["h0"]`.
    """

    def __init__(self, n_features, n_nodes, initializer=None):
        initializer = default_initializer(initializer)
        self.n_features = expect_positive_int(self, "n_features", n_features)
        self.n_nodes = expect_positive_int(self, "n_nodes", n_nodes)
        self.params = {
            "W_x": initializer.W(self.n_features, self.n_nodes),
            "W_h": initializer.W(self.n_nodes, self.n_nodes),
            "B": initializer.B(self.n_nodes),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.dinputs = {}
        self.cache = None

    def forward(self, x, h0=None):
        x = as_array(self, "x", x, kept=True)
        expect_shape(self, "x", x, ("batch", "seq_len", self.n_features))
        expect_steps(self, x)
        batch, seq_len, _ = x.shape
        if h0 is not None:
            h0 = as_array(self, "h0", h0)
            expect_shape(self, "h0", h0, (batch, self.n_nodes), note=" (batch as in x)")
        W_x, W_h, B = self.params["W_x"], self.params["W_h"], self.params["B"]
        # Time-major, so that every step works on contiguous (batch, n_nodes) blocks (BLAS
        # takes them as they are): hs[t] is h_{t-1}, hs[0] = h0, hs[1:] are the outputs.
        # The input part of every step is one 2-D product (a stacked matmul over a
        # transposed view is several times slower); each step then adds h_{t-1} @ W_h.
        x_rows = np.ascontiguousarray(x.swapaxes(0, 1)).reshape(-1, self.n_features)
        hs = np.empty((seq_len + 1, batch, self.n_nodes))  # float64, as the params
        hs[0] = 0.0 if h0 is None else h0
        outputs = hs[1:]
        # Straight into hs: a fresh temporary of a megabyte costs more in page faults than
        # the arithmetic on it (backward, likewise, works in place in da).
        np.matmul(x_rows, W_x, out=outputs.reshape(-1, self.n_nodes))
        outputs += B
        for previous, step in zip(hs, outputs):
            step += previous @ W_h
            np.tanh(step, out=step)
        self.cache = (x, x_rows, hs)
        return outputs.swapaxes(0, 1).copy()  # a copy: writing to it must not change the cache

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        x, x_rows, hs = self.cache
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, (x.shape[0], x.shape[1], self.n_nodes))
        W_x, W_h = self.params["W_x"], self.params["W_h"]
        seq_len = x.shape[1]
        outputs = hs[1:]
        da = np.multiply(outputs, outputs)
        np.subtract(1.0, da, out=da)  # tanh' at every step, in place (see forward)
        dh_next = np.zeros(hs.shape[1:])
        W_h_T = np.ascontiguousarray(W_h.T)  # BLAS is slower on the transposed view
        for da_t, dout_step in zip(da[::-1], dout.swapaxes(0, 1)[::-1]):
            da_t *= dout_step + dh_next
            dh_next = da_t @ W_h_T
        da_rows = da.reshape(-1, self.n_nodes)  # rows in x_rows' order
        np.matmul(x_rows.T, da_rows, out=self.grads["W_x"])
        np.matmul(hs[:-1].reshape(-1, self.n_nodes).T, da_rows, out=self.grads["W_h"])  # h_{t-1} of each row
        da_rows.sum(axis=0, out=self.grads["B"])
        self.dinputs = {"h0": dh_next}
        dx = (da_rows @ W_x.T).reshape(seq_len, x.shape[0], self.n_features)
        return np.ascontiguousarray(dx.swapaxes(0, 1))
