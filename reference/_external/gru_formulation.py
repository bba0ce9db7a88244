"""A GRU written elsewhere in the other formulation: the reset gate applied to h before W_h (internal).

PyTorch's GRU (and this project's) computes the candidate n = tanh(x W_xn + B_n + r * (h W_hn
+ b_hn)), with a hidden bias b_hn that r multiplies. Cho et al. 2014, Keras' reset_after=False
and Deep Learning from Scratch 2 apply r to h first, n = tanh(x W_xn + (r * h) W_hn + B_n),
with one bias B and no b_hn. No weights make one formulation compute the other, so the
reset placement is not a parameter map but another function: a layer holding W_x, W_h and B
and nothing for B_hn is checked against a twin of its own formulation
(twins.gru_reset_before), its spec the GRU spec without B_hn.

Two conventions of that formulation are found from forward alone, without torch, against
a NumPy reference of it (ResetBeforeGRU, as gates.py finds a gate order against scratch's
GRU): the gate order, and which of h and the candidate z weighs (PyTorch's and Keras' z
weighs h, h' = (1 - z) n + z h; DLFS2's weighs the candidate, h' = (1 - z) h + z n). The
checks then run in the layer's own convention: its weights reordered (gates.Reorder) and
the twin built for its z. A forward that neither convention explains is checked in
PyTorch's (z weighs h), and the checks say what differs.
"""
import dataclasses

import numpy as np

import scratch

from .._builtin import twins
from .gates import find_order
from .holders import find_holders

SEQUENCE, CELL, CHAR = scratch.GRU, scratch.GRUCell, scratch.CharGRU


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


class ResetBeforeGRU:
    """The reset-before formulation's forward in NumPy, gates r, z, n in PyTorch's order,
    params W_x (n_features, 3 n_nodes), W_h (n_nodes, 3 n_nodes), B (3 n_nodes,). A
    reference for forward only: it has no backward."""

    def __init__(self, n_features, n_nodes, z_weighs):
        width = 3 * n_nodes
        self.params = {"W_x": np.zeros((n_features, width)), "W_h": np.zeros((n_nodes, width)), "B": np.zeros(width)}
        self.z_weighs = z_weighs

    def step(self, x, h):
        n, p = h.shape[-1], self.params
        ax = x @ p["W_x"] + p["B"]
        r, z = np.split(_sigmoid(ax[:, :2 * n] + h @ p["W_h"][:, :2 * n]), 2, axis=1)
        candidate = np.tanh(ax[:, 2 * n:] + (r * h) @ p["W_h"][:, 2 * n:])
        return z * h + (1 - z) * candidate if self.z_weighs == "h" else (1 - z) * h + z * candidate

    def forward(self, x, h0=None):
        h = np.zeros((x.shape[0], self.params["W_h"].shape[0])) if h0 is None else h0
        states = []
        for t in range(x.shape[1]):
            h = self.step(x[:, t], h)
            states.append(h)
        return np.stack(states, axis=1)


class ResetBeforeGRUCell(ResetBeforeGRU):
    """One step of ResetBeforeGRU: forward(x, h) -> the next hidden state."""

    def forward(self, x, h):
        return self.step(x, h)


class ResetBeforeCharGRU:
    """The character model (scratch.CharGRU) on ResetBeforeGRU: forward(x, targets) -> the
    softmax cross-entropy of h W_y + B_y, summed. A reference for forward only."""

    def __init__(self, n_vocab, n_nodes, z_weighs):
        self.rnn = ResetBeforeGRU(n_vocab, n_nodes, z_weighs)
        self.params = {**self.rnn.params, "W_y": np.zeros((n_nodes, n_vocab)), "B_y": np.zeros(n_vocab)}

    def forward(self, x, targets):
        scores = self.rnn.forward(x) @ self.params["W_y"] + self.params["B_y"]
        shifted = scores - scores.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return float(-(targets * log_p).sum())


def variant(spec, z_weighs):
    """The GRU (GRUCell, CharGRU) spec without B_hn, for a layer of the reset-before
    formulation whose z weighs `z_weighs`. Its class stays scratch's (whose gates, r, z, n,
    gates.py names); its build is the NumPy reference, its twin computes the same in torch."""
    if spec.cls is CHAR:
        return dataclasses.replace(spec, name=f"{spec.name}-reset-before",
                                   build=lambda c: ResetBeforeCharGRU(c["n_vocab"], c["n_nodes"], z_weighs),
                                   twin=twins.char_model(twins.gru_reset_before(z_weighs)))
    reference, cell = (ResetBeforeGRUCell, True) if spec.cls is CELL else (ResetBeforeGRU, False)
    return dataclasses.replace(spec, name=f"{spec.name}-reset-before",
                               build=lambda c: reference(c["n_features"], c["n_nodes"], z_weighs),
                               twin=twins.gru_reset_before(z_weighs, cell=cell))


class HiddenBiasZero:
    """This project's GRU or GRUCell with B_hn held at 0 and not a parameter: PyTorch's
    formulation as a layer holding no b_hn computes it. A reference for forward only."""

    def __init__(self, layer):
        self.layer = layer
        layer.params["B_hn"][...] = 0.0
        self.params = {k: v for k, v in layer.params.items() if k != "B_hn"}  # the layer's own arrays

    def forward(self, *args, **kwargs):
        return self.layer.forward(*args, **kwargs)


def without_b_hn(spec):
    """The GRU (or GRUCell) spec without B_hn, in PyTorch's formulation with b_hn held at 0:
    for a layer that applies r after W_h, r * (h W_hn), and holds no b_hn."""
    build = spec.build
    twin = {CELL: twins.GRU_CELL_NO_B_HN, CHAR: twins.char_model(twins.GRU_NO_B_HN)}.get(spec.cls, twins.GRU_NO_B_HN)
    return dataclasses.replace(spec, name=f"{spec.name}-no-b_hn", build=lambda c: HiddenBiasZero(build(c)), twin=twin)


def lacks_only_b_hn(spec, layer, shapes, passed):
    """Whether `layer` holds every parameter of the GRU spec but B_hn, in one of the
    conventions holders.py knows."""
    if spec.cls not in (SEQUENCE, CELL, CHAR) or "B_hn" not in shapes:
        return False
    found, tried = find_holders(layer, shapes, passed)
    return found is None and any(set(shapes) - set(held) == {"B_hn"} for held in tried)


def fitted(spec, layer, shapes, config, passed, build_with):
    """(the spec to check `layer` like, its parameter shapes, notes): `spec` itself unless
    the layer is a GRU without B_hn (lacks_only_b_hn); then the reset-before variant whose z
    convention, with some gate order, makes the layer's forward equal the reference's.
    build_with(spec, holders, reorder) builds the adapted layer (adapters.py)."""
    if not lacks_only_b_hn(spec, layer, shapes, passed):
        return spec, shapes, []
    own = {k: v for k, v in shapes.items() if k != "B_hn"}
    held, _ = find_holders(layer, own, passed)
    if held is None:
        return spec, shapes, []
    holders = [held[p] for p in own]
    found = []
    for z_weighs in twins.Z_WEIGHS:
        candidate = variant(spec, z_weighs)
        order, error, _ = find_order(candidate, config, own, lambda reorder: build_with(candidate, holders, reorder))
        if error is None:  # forward raised: the checks say so, with the sizes
            return variant(spec, "h"), own, [note(None, raised=True)]
        if order is not None:
            found.append((error, z_weighs))
    if not found:  # PyTorch's formulation then, r after W_h, with no b_hn?
        candidate = without_b_hn(spec)
        order, _, _ = find_order(candidate, config, own, lambda reorder: build_with(candidate, holders, reorder))
        if order is not None:
            return candidate, own, [NO_B_HN]
        return variant(spec, "h"), own, [note(None)]
    _, z_weighs = min(found, key=lambda f: f[0])  # a tie: PyTorch's z, first in Z_WEIGHS
    return variant(spec, z_weighs), own, [note(z_weighs)]


FORMULATION = ("GRU formulation: the reset gate applied to h before W_h, n = tanh(x W_xn + (r * h) W_hn + B_n), "
               "one bias B (Cho et al. 2014, Keras' reset_after=False; PyTorch's: after W_h, "
               "r * (h W_hn + b_hn), with b_hn)")
NO_B_HN = ("GRU formulation: PyTorch's, the reset gate applied after W_h, r * (h W_hn + b_hn), but no b_hn is "
           "held: checked with b_hn held at 0 (PyTorch's GRU has it)")
Z_SAID = {"h": "z weighs h, h' = (1 - z) n + z h, as PyTorch's",
          "candidate": "z weighs the candidate, h' = (1 - z) h + z n (PyTorch's z weighs h)"}


def note(z_weighs, raised=False):
    """What the output says of the formulation; z_weighs None: neither convention explains
    forward (or, `raised`, forward raised on the probe)."""
    if raised:
        return (f"{FORMULATION}, as no B_hn is held; forward raised on the probe's inputs, so its gate order and z "
                f"convention are unknown: checked with z weighing h (PyTorch's)")
    if z_weighs is None:
        return (f"{FORMULATION}, as no B_hn is held; but no gate order with either z convention makes forward "
                f"equal this formulation's, nor PyTorch's with b_hn held at 0: checked with z weighing h (PyTorch's)")
    return f"{FORMULATION}; {Z_SAID[z_weighs]}: conventions, the twin computes them in torch"
