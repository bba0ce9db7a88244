"""One-step recurrent cells: forward(x, h) -> the next hidden state, as nn.RNNCell and
nn.GRUCell (and CS231n's rnn_step_forward) compute it; LSTMCell's forward(x, h, c) returns
(h', c') and its backward takes (dh, dc), as nn.LSTMCell and CS231n's lstm_step_forward.

x is (batch, n_features), h the previous hidden state (batch, n_nodes), and forward returns
the next one, (batch, n_nodes). backward(dout) returns dx and puts the gradient of h in
`dinputs["h"]`. A cell is its sequence layer run for one step, with the same parameters
(the same arrays, the same shapes and gate order: see recurrent.py and gated.py), so its
backward is that layer's backpropagation through one step.
"""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_positive_int, expect_shape
from .activations import sigmoid
from .gated import GRU, LSTM
from .recurrent import SimpleRNN


def _shared(name):
    """The sequence layer's attribute `name`, read and assigned through the cell."""
    return property(lambda self: getattr(self._steps, name), lambda self, value: setattr(self._steps, name, value))


class _Cell:
    sequence = None  # the sequence layer whose one step this is

    def __init__(self, n_features, n_nodes, initializer=None):
        self.n_features = expect_positive_int(self, "n_features", n_features)
        self.n_nodes = expect_positive_int(self, "n_nodes", n_nodes)
        self._steps = self.sequence(self.n_features, self.n_nodes, initializer)
        self.dinputs = {}
        self._batch = None  # set by forward: backward before it is refused

    # The sequence layer's dicts, so that a weight written into params is the one it uses.
    params = _shared("params")
    grads = _shared("grads")

    def forward(self, x, h):
        x = as_array(self, "x", x)
        expect_shape(self, "x", x, ("batch", self.n_features))
        h = as_array(self, "h", h)
        expect_shape(self, "h", h, (x.shape[0], self.n_nodes), note=" (batch as in x)")
        out = self._steps.forward(x[:, None, :], h)  # copies x for backward (kept)
        self._batch = x.shape[0]
        return out[:, 0]

    def backward(self, dout):
        expect_forward_done(self, self._batch)
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, (self._batch, self.n_nodes))
        dx = self._steps.backward(dout[:, None, :])
        self.dinputs = {"h": self._steps.dinputs["h0"]}
        return dx[:, 0]


class SimpleRNNCell(_Cell):
    """h' = tanh(x @ W_x + h @ W_h + B). Like nn.RNNCell(nonlinearity="tanh")."""

    sequence = SimpleRNN


class GRUCell(_Cell):
    """One step of GRU (gates r, z, n in PyTorch's order; B_hn inside r * (...)). Like nn.GRUCell."""

    sequence = GRU


class LSTMCell(_Cell):
    """One step of LSTM (gates i, f, g, o in PyTorch's order): a = x W_x + h W_h + B,
    c' = f * c + i * g, h' = o * tanh(c'). Like nn.LSTMCell.

    forward(x, h, c) -> (h', c'); backward(dh, dc) -> dx, with dinputs["h"] and dinputs["c"].
    """

    sequence = LSTM

    def forward(self, x, h, c):
        x = as_array(self, "x", x, kept=True)
        expect_shape(self, "x", x, ("batch", self.n_features))
        shape = (x.shape[0], self.n_nodes)
        h, c = as_array(self, "h", h, kept=True), as_array(self, "c", c, kept=True)
        expect_shape(self, "h", h, shape, note=" (batch as in x)")
        expect_shape(self, "c", c, shape, note=" (batch as in x)")
        a = x @ self.params["W_x"] + h @ self.params["W_h"] + self.params["B"]
        n = self.n_nodes
        gates = np.concatenate([sigmoid(a[:, :2 * n]), np.tanh(a[:, 2 * n:3 * n]), sigmoid(a[:, 3 * n:])], axis=1)
        i, f, g, o = np.split(gates, 4, axis=1)
        c_next = f * c + i * g
        h_next = o * np.tanh(c_next)
        self._batch, self._cache = x.shape[0], (x, h, c, gates, c_next)
        return h_next, c_next.copy()

    def backward(self, dh, dc):
        expect_forward_done(self, self._batch)
        x, h, c, gates, c_next = self._cache
        dh, dc = (as_array(self, name, value) for name, value in (("dh", dh), ("dc", dc)))
        for name, value in (("dh", dh), ("dc", dc)):
            expect_shape(self, name, value, (self._batch, self.n_nodes))
        i, f, g, o = np.split(gates, 4, axis=1)
        tanh_c = np.tanh(c_next)
        dc = dc + dh * o * (1.0 - tanh_c ** 2)
        da = np.concatenate([dc * g * i * (1.0 - i), dc * c * f * (1.0 - f), dc * i * (1.0 - g ** 2),
                             dh * tanh_c * o * (1.0 - o)], axis=1)
        self.grads["W_x"][...] = x.T @ da
        self.grads["W_h"][...] = h.T @ da
        self.grads["B"][...] = da.sum(axis=0)
        self.dinputs = {"h": da @ self.params["W_h"].T, "c": dc * f}
        return da @ self.params["W_x"].T
