"""The gate order of an LSTM or GRU written elsewhere (internal).

This project's gated layers stack their gates side by side in PyTorch's order
(twins.GATE_ORDER: LSTM i, f, g, o; GRU r, z, n), a block of n_nodes columns each in W_x, W_h and B. Code written elsewhere often stacks them otherwise: Deep
Learning from Scratch 2 as f, g, i, o, CS231n as i, f, o, g. The order is a convention, not a
mistake, so it is found (`find_order`) and the checks then run in the layer's own order: the
adapter hands the layer its weights with the blocks reordered, and reorders the gradients
back (`Reorder`), so that finite differences, the PyTorch twin and the contract all see
PyTorch's layout.

The order is found from forward alone, without torch: this project's own layer, built with
the same weights, is the reference, and every order of the blocks is tried. Backward does
not take part, so a backward that disagrees with its own forward's order is still a bug.
"""
import itertools

import numpy as np

import scratch

from .._builtin.twins import GATE_ORDER
from .probing import OwnForward

GATES = {scratch.LSTM: GATE_ORDER["LSTM"], scratch.GRU: GATE_ORDER["GRU"],
         scratch.LSTMCell: GATE_ORDER["LSTM"], scratch.GRUCell: GATE_ORDER["GRU"], scratch.CharLSTM: GATE_ORDER["LSTM"],
         scratch.CharGRU: GATE_ORDER["GRU"]}


def gate_names(spec):
    """The gates of spec's class in PyTorch's order, or () for a layer without gates."""
    return GATES.get(spec.cls, ())


class Reorder:
    """Moves the gate blocks of `params` along their last axis: `to_layer` from PyTorch's
    order to the layer's, `from_layer` back. order[k] = the PyTorch index of the layer's
    k-th block. Other parameters (GRU's B_hn) and arrays of another size pass unchanged."""

    def __init__(self, order=(), params=()):
        self.order, self.params = tuple(order), frozenset(params)
        self.identity = self.order == tuple(range(len(self.order)))

    def _moves(self, name, value):
        return (not self.identity and name in self.params and np.ndim(value) >= 1
                and np.shape(value)[-1] % len(self.order) == 0)

    def to_layer(self, name, value):
        if not self._moves(name, value):
            return value
        blocks = np.split(np.asarray(value), len(self.order), axis=-1)
        return np.concatenate([blocks[k] for k in self.order], axis=-1)

    def layer_shapes(self, shapes):
        """The parameter shapes as the layer holds them: the same (blocks move, not axes)."""
        return shapes

    def from_layer(self, name, value):
        if not self._moves(name, value):
            return value
        blocks = np.split(np.asarray(value), len(self.order), axis=-1)
        back = [None] * len(self.order)
        for position, k in enumerate(self.order):
            back[k] = blocks[position]
        return np.concatenate(back, axis=-1)


IDENTITY = Reorder()


STACKED = ("W_x", "W_h", "B")  # what a gated layer stacks its gates in (a character model's W_y, B_y: not)


def gated_params(shapes, n_gates, n_nodes):
    """The parameters whose last axis holds every gate's block (n_gates * n_nodes columns)."""
    return [p for p, shape in shapes.items() if p in STACKED and shape and shape[-1] == n_gates * n_nodes]


def find_order(spec, config, shapes, build_with, rng_seed=0):
    """The order of the layer's gate blocks, as (Reorder, error of the best order, error
    in PyTorch's order), or (None, ...) when no order makes its forward equal the
    reference's; (IDENTITY, None, None) when building or calling the layer raised (the
    checks then report it). build_with(reorder) builds the adapted layer for config."""
    names = gate_names(spec)
    gated = gated_params(shapes, len(names), config.get("n_nodes", 0))
    if not names or not gated:
        return IDENTITY, 0.0, 0.0
    try:
        own = OwnForward(spec, config, rng_seed)
    except Exception:  # noqa: BLE001 - the probe's sizes do not suit the spec's own layer (restricted draws)
        return IDENTITY, None, None
    errors = {}
    for order in itertools.permutations(range(len(names))):
        try:
            layer = build_with(Reorder(order, gated))
        except Exception:  # noqa: BLE001 - the checks report a failing call with its sizes
            return IDENTITY, None, None
        errors[order] = own.error(layer)
        if errors[order] is None:
            return IDENTITY, None, None
    as_torch = errors[tuple(range(len(names)))]
    best = min(errors, key=errors.get)
    if not own.agrees(errors[best]):
        return None, errors[best], as_torch
    if as_torch <= 10 * errors[best]:
        best = tuple(range(len(names)))
    return Reorder(best, gated), errors[best], as_torch


def describe(reorder, names):
    """"f, g, i, o" for the layer's order."""
    return ", ".join(names[k] for k in reorder.order)


def weights_per_gate(layer, shapes):
    """(what a layer holding a weight matrix per gate holds, said for a message: numpy-ml's
    LSTMCell's Wf, Wu, Wc, Wo in `parameters`, each (n_nodes + n_features, n_nodes) on [h, x];
    the number of gates) where the spec's W_x and W_h stack the gates; None for any other
    layer. holders.by_gate_blocks binds them where a bias per gate is beside them."""
    if "W_x" not in shapes or "W_h" not in shapes:
        return None
    (n_in, stacked), (n_nodes, _) = shapes["W_x"], shapes["W_h"]
    places = [("", vars(layer)), *((k, v) for k, v in vars(layer).items()
                                   if isinstance(v, dict) and not k.startswith("grad"))]
    for where, held in places:
        found = {k: v.shape for k, v in held.items() if isinstance(k, str) and k.startswith("W")
                 and isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[1] == n_nodes
                 and v.shape[0] in (n_in + n_nodes, n_in)}
        if len(found) > 1 and len(found) * n_nodes == stacked:
            rows = "n_nodes + n_features" if n_in + n_nodes in {r for r, _ in found.values()} else "n_features"
            on = " on [h, x]" if rows != "n_features" else ""
            return f"{', '.join(found)}{f' in {where}' if where else ''}, each ({rows}, n_nodes){on}", len(found)
    return None
