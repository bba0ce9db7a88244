"""SimpleRNN (Elman, tanh) with backpropagation through time."""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_positive_int, expect_shape


class SimpleRNN:
    """h_t = tanh(x_t @ W_x + h_{t-1} @ W_h + B), for t = 1..seq_len.

    x: (batch, seq_len, n_features), h0: (batch, n_nodes) or None for zeros
    -> every hidden state, (batch, seq_len, n_nodes).
    W_x: (n_features, n_nodes), W_h: (n_nodes, n_nodes), B: (n_nodes,).
    backward(dout) returns dx and stores the gradient for h0 in `dinputs["h0"]`.
    """

    def __init__(self, n_features, n_nodes, initializer):
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
        x = as_array(self, "x", x)
        expect_shape(self, "x", x, ("batch", "seq_len", self.n_features))
        batch, seq_len, _ = x.shape
        if h0 is None:
            h0 = np.zeros((batch, self.n_nodes))
        else:
            h0 = as_array(self, "h0", h0)
            expect_shape(self, "h0", h0, (batch, self.n_nodes), note=" (batch as in x)")
        W_x, W_h, B = self.params["W_x"], self.params["W_h"], self.params["B"]
        # Time-major, so that every step works on contiguous (batch, n_nodes) blocks (BLAS
        # takes them as they are): hs[t] is h_{t-1}, hs[0] = h0, hs[1:] are the outputs.
        hs = np.empty((seq_len + 1, batch, self.n_nodes))  # float64, as the params
        hs[0] = h0
        a = np.swapaxes(x, 0, 1) @ W_x + B  # the input part of every step at once
        for t in range(seq_len):
            np.tanh(a[t] + hs[t] @ W_h, out=hs[t + 1])
        self.cache = (x, hs)
        return np.ascontiguousarray(np.swapaxes(hs[1:], 0, 1))

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        x, hs = self.cache
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, (x.shape[0], x.shape[1], self.n_nodes))
        W_x, W_h = self.params["W_x"], self.params["W_h"]
        seq_len = x.shape[1]
        dout_t = np.ascontiguousarray(np.swapaxes(dout, 0, 1))  # (seq_len, batch, n_nodes)
        da = np.empty(dout_t.shape)
        dh_next = np.zeros_like(hs[0])
        W_h_T = np.ascontiguousarray(W_h.T)
        for t in reversed(range(seq_len)):
            h = hs[t + 1]
            np.multiply(dout_t[t] + dh_next, 1.0 - h * h, out=da[t])
            dh_next = da[t] @ W_h_T
        da_flat = da.reshape(-1, self.n_nodes)
        x_t = np.swapaxes(x, 0, 1).reshape(-1, self.n_features)  # rows in da_flat's order
        self.grads["W_x"][...] = x_t.T @ da_flat
        self.grads["W_h"][...] = hs[:-1].reshape(-1, self.n_nodes).T @ da_flat
        self.grads["B"][...] = da_flat.sum(axis=0)
        self.dinputs = {"h0": dh_next}
        return np.ascontiguousarray(np.swapaxes(da @ W_x.T, 0, 1))
