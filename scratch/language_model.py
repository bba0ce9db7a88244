"""Character-level language models: one-hot characters -> LSTM or GRU -> TimeFC -> the
softmax cross-entropy of the next character at every step, summed (as min-char-rnn and most
from-scratch character models sum it, rather than average it)."""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_positive_int, expect_shape
from .dense import TimeFC
from .gated import GRU, LSTM
from .initializers import default_initializer
from .losses import TimeSoftmaxCrossEntropy


class _CharModel:
    """loss = sum over samples and steps of -sum(t * log softmax(h_t W_y + B_y)), h from the
    recurrent layer `rnn_class` starting at zero state.

    x: (batch, seq_len, n_vocab), one-hot characters (or rows of probabilities);
    targets: (batch, seq_len, n_vocab), the next characters, one-hot (or probabilities).
    forward(x, targets) -> the loss, a float; backward() fills `grads` and returns None:
    one-hot characters have no gradient to give.
    params: the recurrent layer's (under its own names) and the output's "W_y" (n_nodes,
    n_vocab) and "B_y" (n_vocab,).
    """

    rnn_class = None

    def __init__(self, n_vocab, n_nodes, initializer=None):
        initializer = default_initializer(initializer)
        self.n_vocab = expect_positive_int(self, "n_vocab", n_vocab)
        self.n_nodes = expect_positive_int(self, "n_nodes", n_nodes)
        self.rnn = self.rnn_class(self.n_vocab, self.n_nodes, initializer)
        self.out = TimeFC(self.n_nodes, self.n_vocab, initializer)
        self.criterion = TimeSoftmaxCrossEntropy()
        # the layers' own arrays, written in place by them and by whoever sets params
        self.params = {**self.rnn.params, "W_y": self.out.params["W"], "B_y": self.out.params["B"]}
        self.grads = {**self.rnn.grads, "W_y": self.out.grads["W"], "B_y": self.out.grads["B"]}
        self.cache = None

    def forward(self, x, targets):
        x = self._characters("x", x, ("batch", "seq_len", self.n_vocab))
        targets = self._characters("targets", targets, x.shape, note=" (as x)")
        mean = self.criterion.forward(self.out.forward(self.rnn.forward(x)), targets)
        self.cache = x.shape[0] * x.shape[1]  # the steps the mean is taken over
        return mean * self.cache

    def _characters(self, name, value, dims, note=""):
        value = as_array(self, name, value)
        expect_shape(self, name, value, dims, note=note)
        if value.min(initial=0.0) < 0 or not np.all(np.abs(value.sum(axis=-1) - 1.0) <= 1e-9):  # NaN: refused
            raise ValueError(f"{type(self).__name__}: {name} must hold one-hot rows (non-negative, each summing to 1)")
        return value

    def backward(self):
        expect_forward_done(self, self.cache)
        dscores = self.criterion.backward() * self.cache
        self.rnn.backward(self.out.backward(dscores))
        return None


class CharLSTM(_CharModel):
    """The character model on scratch.LSTM: params W_x (n_vocab, 4 * n_nodes), W_h, B (gates
    i, f, g, o), W_y, B_y."""

    rnn_class = LSTM


class CharGRU(_CharModel):
    """The character model on scratch.GRU: params W_x (n_vocab, 3 * n_nodes), W_h, B, B_hn
    (gates r, z, n, PyTorch's formulation), W_y, B_y."""

    rnn_class = GRU
