"""One-step recurrent cells: forward(x, h) -> the next hidden state, as nn.RNNCell and
nn.GRUCell (and CS231n's rnn_step_forward) compute it.

x is (batch, n_features), h the previous hidden state (batch, n_nodes), and forward returns
the next one, (batch, n_nodes). backward(dout) returns dx and puts the gradient of h in
`dinputs["h"]`. A cell is its sequence layer run for one step, with the same parameters
(the same arrays, the same shapes and gate order: see recurrent.py and gated.py), so its
backward is that layer's backpropagation through one step.
"""
from ._validate import as_array, expect_forward_done, expect_positive_int, expect_shape
from .gated import GRU
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
