"""Gated recurrent layers, GRU and LSTM, with backpropagation through time.

Like SimpleRNN: x is (batch, seq_len, n_features), the initial states are (batch, n_nodes)
or None for zeros, and forward returns every hidden state, (batch, seq_len, n_nodes).
backward(dout) returns dx and puts the gradients of the initial states in `dinputs`.
The gates are stacked side by side in one weight matrix, in PyTorch's order:
W_x (n_features, n_gates * n_nodes), W_h (n_nodes, n_gates * n_nodes), B (n_gates * n_nodes,).
"""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_positive_int, expect_shape, expect_steps
from .activations import sigmoid
from .initializers import default_initializer


class _Gated:
    """Shared plumbing: parameters, input and state validation, weight gradients."""

    n_gates = 0
    states = ()  # the names of the initial-state arguments of forward

    def __init__(self, n_features, n_nodes, initializer=None):
        initializer = default_initializer(initializer)
        self.n_features = expect_positive_int(self, "n_features", n_features)
        self.n_nodes = expect_positive_int(self, "n_nodes", n_nodes)
        width = self.n_gates * self.n_nodes
        self.params = {
            "W_x": initializer.W(self.n_features, width),
            "W_h": initializer.W(self.n_nodes, width),
            "B": initializer.B(width),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.dinputs = {}
        self.cache = None

    def _validate(self, x, states):
        """x as a float array, and each initial state as given or zeros."""
        x = as_array(self, "x", x, kept=True)
        expect_shape(self, "x", x, ("batch", "seq_len", self.n_features))
        expect_steps(self, x)
        shape = (x.shape[0], self.n_nodes)
        checked = {}
        for name, value in states.items():
            if value is None:
                checked[name] = np.zeros(shape)
            else:
                checked[name] = as_array(self, name, value)
                expect_shape(self, name, checked[name], shape, note=" (batch as in x)")
        return x, checked

    def _dout(self, dout, x):
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, (x.shape[0], x.shape[1], self.n_nodes))
        return dout

    def _weight_grads(self, x, hs, dax, dah):
        """W_x, W_h and B from the gradients of the input part (dax) and hidden part (dah)
        of every step's pre-activations, both (batch, seq_len, n_gates * n_nodes)."""
        width = self.n_gates * self.n_nodes
        self.grads["W_x"][...] = x.reshape(-1, self.n_features).T @ dax.reshape(-1, width)
        self.grads["W_h"][...] = hs[:, :-1].reshape(-1, self.n_nodes).T @ dah.reshape(-1, width)
        self.grads["B"][...] = dax.sum(axis=(0, 1))
        return dax @ self.params["W_x"].T


class LSTM(_Gated):
    """i, f, g, o = sigma(a_i), sigma(a_f), tanh(a_g), sigma(a_o), a = x_t W_x + h_{t-1} W_h + B;
    c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t).  Like nn.LSTM(batch_first=True).

    forward(x, h0=None, c0=None); backward fills dinputs["h0"] and dinputs["c0"].
    """

    n_gates = 4

    def forward(self, x, h0=None, c0=None):
        x, states = self._validate(x, {"h0": h0, "c0": c0})
        batch, seq_len, _ = x.shape
        n = self.n_nodes
        # hs[:, t] and cs[:, t] are h_{t-1} and c_{t-1}: index 0 holds h0 and c0.
        hs = np.empty((batch, seq_len + 1, n))
        cs = np.empty((batch, seq_len + 1, n))
        gates = np.empty((batch, seq_len, 4 * n))  # i, f, g, o after their non-linearities
        hs[:, 0], cs[:, 0] = states["h0"], states["c0"]
        ax = x @ self.params["W_x"] + self.params["B"]
        for t in range(seq_len):
            a = ax[:, t] + hs[:, t] @ self.params["W_h"]
            gates[:, t, :2 * n] = sigmoid(a[:, :2 * n])
            gates[:, t, 2 * n:3 * n] = np.tanh(a[:, 2 * n:3 * n])
            gates[:, t, 3 * n:] = sigmoid(a[:, 3 * n:])
            i, f, g, o = np.split(gates[:, t], 4, axis=1)
            cs[:, t + 1] = f * cs[:, t] + i * g
            hs[:, t + 1] = o * np.tanh(cs[:, t + 1])
        self.cache = (x, hs, cs, gates)
        return hs[:, 1:].copy()

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        x, hs, cs, gates = self.cache
        dout = self._dout(dout, x)
        da = np.empty_like(gates)
        dh, dc = np.zeros_like(hs[:, 0]), np.zeros_like(cs[:, 0])
        for t in reversed(range(x.shape[1])):
            i, f, g, o = np.split(gates[:, t], 4, axis=1)
            tanh_c = np.tanh(cs[:, t + 1])
            dh = dout[:, t] + dh
            dc = dc + dh * o * (1.0 - tanh_c ** 2)
            da[:, t] = np.concatenate([dc * g * i * (1.0 - i), dc * cs[:, t] * f * (1.0 - f),
                                       dc * i * (1.0 - g ** 2), dh * tanh_c * o * (1.0 - o)], axis=1)
            dh, dc = da[:, t] @ self.params["W_h"].T, dc * f
        self.dinputs = {"h0": dh, "c0": dc}
        return self._weight_grads(x, hs, da, da)


class GRU(_Gated):
    """r = sigma(a_r), z = sigma(a_z), n = tanh(x_t W_xn + B_n + r * (h_{t-1} W_hn + B_hn)),
    h_t = (1 - z) * n + z * h_{t-1}, where a = x_t W_x + h_{t-1} W_h + B for r and z.
    Like nn.GRU(batch_first=True).

    B_hn (n_nodes,) is the hidden-side bias of the n gate, which r multiplies: it cannot be
    folded into B. PyTorch's other hidden-side biases (r, z) add to B and are folded in.
    forward(x, h0=None); backward fills dinputs["h0"].
    """

    n_gates = 3

    def __init__(self, n_features, n_nodes, initializer=None):
        initializer = default_initializer(initializer)
        super().__init__(n_features, n_nodes, initializer)
        self.params["B_hn"] = initializer.B(self.n_nodes)
        self.grads["B_hn"] = np.zeros_like(self.params["B_hn"])

    def forward(self, x, h0=None):
        x, states = self._validate(x, {"h0": h0})
        batch, seq_len, _ = x.shape
        n = self.n_nodes
        hs = np.empty((batch, seq_len + 1, n))  # hs[:, t] is h_{t-1}; hs[:, 0] = h0
        gates = np.empty((batch, seq_len, 3 * n))  # r, z, n after their non-linearities
        hn = np.empty((batch, seq_len, n))  # h_{t-1} W_hn + B_hn, which r multiplies
        hs[:, 0] = states["h0"]
        ax = x @ self.params["W_x"] + self.params["B"]
        for t in range(seq_len):
            ah = hs[:, t] @ self.params["W_h"]
            gates[:, t, :2 * n] = sigmoid(ax[:, t, :2 * n] + ah[:, :2 * n])
            hn[:, t] = ah[:, 2 * n:] + self.params["B_hn"]
            r, z = gates[:, t, :n], gates[:, t, n:2 * n]
            gates[:, t, 2 * n:] = np.tanh(ax[:, t, 2 * n:] + r * hn[:, t])
            hs[:, t + 1] = (1.0 - z) * gates[:, t, 2 * n:] + z * hs[:, t]
        self.cache = (x, hs, gates, hn)
        return hs[:, 1:].copy()

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        x, hs, gates, hn = self.cache
        dout = self._dout(dout, x)
        dax, dah = np.empty_like(gates), np.empty_like(gates)
        dh = np.zeros_like(hs[:, 0])
        for t in reversed(range(x.shape[1])):
            r, z, n = np.split(gates[:, t], 3, axis=1)
            dh = dout[:, t] + dh
            dan = dh * (1.0 - z) * (1.0 - n ** 2)
            dar = dan * hn[:, t] * r * (1.0 - r)
            daz = dh * (hs[:, t] - n) * z * (1.0 - z)
            dax[:, t] = np.concatenate([dar, daz, dan], axis=1)
            dah[:, t] = np.concatenate([dar, daz, dan * r], axis=1)
            dh = dh * z + dah[:, t] @ self.params["W_h"].T
        self.grads["B_hn"][...] = dah[:, :, 2 * self.n_nodes:].sum(axis=(0, 1))
        self.dinputs = {"h0": dh}
        return self._weight_grads(x, hs, dax, dah)
