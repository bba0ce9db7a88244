"""Where a layer written elsewhere holds a spec parameter and its gradient (internal).

Four conventions, tried in this order (docs/external.md):
  - attributes named after the parameter (`W`, `w`, `Wx` for W_x), the gradient in the
    `d` attribute (`dW`), as the exercise and Deep Learning from Scratch's first book do;
  - `params` and `grads` lists (or tuples) of arrays, the gradient at the same position,
    as its second book does: bound by identity with the arrays passed to the constructor,
    else by position and shape;
  - dicts keyed by names (`parameters`/`gradients`, as numpy-ml has, or `params`/`grads`
    keyed otherwise than the spec: `b` for `B`);
  - a weight per gate on [h, x] (or [x, h]) and a bias per gate in such dicts, where the spec
    stacks the gates (numpy-ml's LSTMCell: Wf, Wu, Wc, Wo; GateBlocks).
"""
import dataclasses
from dataclasses import dataclass

import numpy as np


# Other code's names for a normalisation's parameters (numpy-ml's scaler and intercept).
# numpy-ml's RNNCell names its weights after what they map: Wax from x to a (the state), Waa
# from a to a, and bx is the input's bias (beside ba: biases.py).
SYNONYMS = {"gamma": ("scale", "scaler"), "beta": ("shift", "intercept"), "W_x": ("Wax",), "W_h": ("Waa",),
            "B": ("bx",), "W_y": ("Why", "W_hy")}


def attribute_names(param):
    """The names that may hold a spec parameter: W_h, w_h, Wh, wh; gamma, scale, scaler."""
    spelled = [param, param.lower(), param.replace("_", ""), param.lower().replace("_", "")]
    return tuple(dict.fromkeys([*spelled, *SYNONYMS.get(param, ())]))


def same_name(own, param):
    """Whether the layer's name `own` is the spec's parameter `param` (W_x: W_x, w_x, Wx, wx)."""
    return own in attribute_names(param)


@dataclass(frozen=True)
class Attribute:
    """A parameter held as an attribute; backward sets its gradient as another (or hands it
    to optimizer.update: the recording optimizer watches `grad`)."""

    param: str  # the spec's name, "W_h"
    attr: str  # the layer's attribute, "W_h" (or "w_h", "Wh")
    grad: str  # "dW_h"

    def where(self, owner):
        return f"{owner}.{self.attr}"

    def grad_where(self, owner):
        return f"{owner}.{self.grad}"

    def get(self, layer):
        return getattr(layer, self.attr, None)

    def put(self, layer, value):
        setattr(layer, self.attr, value)  # a view of the adapter's params, in the layer's shape

    def gradient(self, layer, recorded):
        calls = [call[self.grad] for call in recorded if self.grad in call]
        return sum(calls) if calls else getattr(layer, self.grad, None)


@dataclass(frozen=True)
class Item:
    """A parameter held in a list or dict attribute (`params[1]`, `parameters["W"]`), its
    gradient at the same key of another (`grads[1]`). The layer's own array is written in
    place, so that anything else holding it (a sub-layer, a concatenated list) sees it."""

    param: str
    holder: str  # "params", "parameters"
    key: object  # 1, "W"
    grads: str  # "grads", "gradients"

    def where(self, owner):
        return f"{owner}.{self.holder}[{self.key!r}]"

    def grad_where(self, owner):
        return f"{owner}.{self.grads}[{self.key!r}]"

    def get(self, layer):
        try:
            return getattr(layer, self.holder)[self.key]
        except (AttributeError, LookupError, TypeError):
            return None

    def put(self, layer, value):
        held = self.get(layer)
        if isinstance(held, np.ndarray) and held.shape == value.shape and held.dtype == value.dtype:
            held[...] = value
        else:
            getattr(layer, self.holder)[self.key] = value.copy()

    def gradient(self, layer, recorded):
        try:
            return getattr(layer, self.grads)[self.key]
        except (AttributeError, LookupError, TypeError):
            return None


@dataclass(frozen=True)
class GateBlocks:
    """A spec parameter that stacks the gates' blocks side by side (an LSTM's W_x (n_features,
    4*n_nodes)), held as one array per gate in a dict (numpy-ml's LSTMCell: parameters['Wf'],
    ['Wu'], ['Wc'], ['Wo'], each (n_nodes + n_features, n_nodes) on [h, x]): the rows
    `rows` of each (its first n_nodes, h's, or the rest, x's), side by side in the order of
    `keys` (gates.py finds which gate each is); biases (1, n_nodes) each, raveled. Written in
    place, block by block."""

    param: str
    holder: str  # "parameters"
    keys: tuple  # ("Wf", "Wu", "Wc", "Wo")
    grads: str  # "gradients"
    rows: str = None  # "h" (W_h: each gate's first n_nodes rows) or "x" (W_x: the rest); None for a bias
    first: str = "h"  # what the weights multiply: [h, x] ("h", numpy-ml's) or [x, h] ("x": h's rows last)
    whole: bool = False  # each block a matrix of its own, x's (W_z) or h's (U_z): no rows taken
    gates: int = 1  # the gates side by side in each block (every gate's, in one weight on [h, x])

    def where(self, owner):
        rows = {None: "", ("h", "h"): "[:n_nodes] (h's rows)", ("x", "h"): "[n_nodes:] (x's rows)",
                ("h", "x"): "[n_features:] (h's rows)", ("x", "x"): "[:n_features] (x's rows)"}
        taken = "" if self.whole else rows[self.rows and (self.rows, self.first)]
        return f"{owner}.{self.holder}[{', '.join(map(repr, self.keys))}]{taken}"

    def grad_where(self, owner):
        return GateBlocks.where(dataclasses.replace(self, holder=self.grads), owner)

    def _blocks(self, layer, holder):
        held = getattr(layer, holder, None)
        blocks = [held.get(k) if isinstance(held, dict) else None for k in self.keys]
        if any(not isinstance(b, np.ndarray) for b in blocks):
            return None
        if self.rows is None:
            return [b.reshape(1, -1) for b in blocks]
        if self.whole:
            return blocks
        n_nodes = blocks[0].shape[1] // self.gates  # h's rows: the first n_nodes of [h, x], the last of [x, h]
        h_rows = slice(None, n_nodes) if self.first == "h" else slice(len(blocks[0]) - n_nodes, None)
        x_rows = slice(n_nodes, None) if self.first == "h" else slice(None, len(blocks[0]) - n_nodes)
        return [b[h_rows if self.rows == "h" else x_rows] for b in blocks]

    def get(self, layer):
        blocks = self._blocks(layer, self.holder)
        if blocks is None:
            return None
        stacked = np.concatenate(blocks, axis=1)
        return stacked.ravel() if self.rows is None else stacked

    def put(self, layer, value):
        blocks = self._blocks(layer, self.holder)
        for block, part in zip(blocks, np.split(np.reshape(value, (-1, np.shape(value)[-1])), len(blocks), axis=1)):
            block[...] = part.reshape(block.shape)

    def gradient(self, layer, recorded):
        blocks = self._blocks(layer, self.grads)
        if blocks is None:
            return None
        stacked = np.concatenate(blocks, axis=1)
        return stacked.ravel() if self.rows is None else stacked


def by_gate_blocks(layer, shapes):
    """{W_x, W_h, B: GateBlocks} for a layer holding a weight per gate and a bias per gate in
    its parameters/gradients dicts, else {}: one weight per gate on [h, x] (numpy-ml's
    LSTMCell: Wf, ... each (n_nodes + n_features, n_nodes)), or two, x's and h's (Wz with Uz,
    (n_features, n_nodes) and (n_nodes, n_nodes)), the biases named b and the gate's letter;
    or one weight on [h, x] stacking every gate, (n_nodes + n_features, gates * n_nodes), W
    with its bias b."""
    if not {"W_x", "W_h", "B"} <= set(shapes):
        return {}
    (n_in, stacked), (n_nodes, _) = shapes["W_x"], shapes["W_h"]
    for holder, grads in (("parameters", "gradients"), ("params", "grads")):
        held = getattr(layer, holder, None)
        if not isinstance(held, dict) or not isinstance(getattr(layer, grads, None), dict):
            continue

        def gates(shape, partner=None):  # the keys W<gate> of that shape, with U<gate> where asked
            return tuple(k for k, v in held.items() if isinstance(k, str) and k.startswith("W")
                         and np.shape(v) == shape and np.size(held.get("b" + k[1:])) == n_nodes
                         and (partner is None or np.shape(held.get("U" + k[1:])) == partner))
        weights = gates((n_nodes + n_in, n_nodes))
        separate = gates((n_in, n_nodes), partner=(n_nodes, n_nodes))
        whole = [k for k, v in held.items() if isinstance(k, str) and k.startswith("W")
                 and np.shape(v) == (n_nodes + n_in, stacked) and np.size(held.get("b" + k[1:])) == stacked]
        whole = whole if len(whole) == 1 else []  # one weight on [h, x] stacking every gate, and one bias
        weights = tuple(whole) or weights
        if whole or (len(weights) * n_nodes == stacked and len(weights) > 1):
            each = stacked // n_nodes // len(weights)
            return {"W_x": GateBlocks("W_x", holder, weights, grads, "x", gates=each),
                    "W_h": GateBlocks("W_h", holder, weights, grads, "h", gates=each),
                    "B": GateBlocks("B", holder, tuple("b" + k[1:] for k in weights), grads)}
        if len(separate) * n_nodes == stacked and len(separate) > 1:
            return {"W_x": GateBlocks("W_x", holder, separate, grads, "x", whole=True),
                    "W_h": GateBlocks("W_h", holder, tuple("U" + k[1:] for k in separate), grads, "h", whole=True),
                    "B": GateBlocks("B", holder, tuple("b" + k[1:] for k in separate), grads)}
    return {}


def _arrays(value):
    """value as a list of arrays if it is a list or tuple of them, else None."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray) for v in value):
        return list(value)
    return None


def by_attribute(layer, shapes):
    found = {}
    for param in shapes:
        names = [a for a in attribute_names(param) if isinstance(getattr(layer, a, None), np.ndarray)]
        if names:
            found[param] = Attribute(param, names[0], "d" + names[0])
    return found


def by_position(layer, shapes, passed):
    """params/grads lists: each spec parameter bound to the entry that is the array passed
    for it to the constructor, else to the first free entry of its shape (or of its number
    of elements), in order."""
    held, grads = _arrays(getattr(layer, "params", None)), getattr(layer, "grads", None)
    if held is None or not isinstance(grads, (list, tuple)) or len(grads) != len(held):
        return {}
    found, free = {}, list(range(len(held)))
    for param, shape in shapes.items():
        given = passed.get(param)
        same = [i for i in free if given is not None and held[i] is given]
        same = same or [i for i in free if held[i].shape == shape] or [i for i in free if held[i].size == np.prod(shape)]
        if same:
            found[param] = Item(param, "params", same[0], "grads")
            free.remove(same[0])
    return found


def by_key(layer, shapes):
    found = {}
    for holder, grads in (("parameters", "gradients"), ("params", "grads")):
        held = getattr(layer, holder, None)
        if not isinstance(held, dict) or not isinstance(getattr(layer, grads, None), dict):
            continue
        for param in shapes:
            keys = [k for k in held if isinstance(k, str) and same_name(k, param) and isinstance(held[k], np.ndarray)]
            if keys and param not in found:
                found[param] = Item(param, holder, keys[0], grads)
    return found


def find_holders(layer, shapes, passed):
    """{spec param: Attribute or Item} for every parameter in `shapes` (spec name -> shape),
    from the first convention that holds them all; else (None, what each one found)."""
    blocks = by_gate_blocks(layer, shapes)
    tried = [by_attribute(layer, shapes), by_position(layer, shapes, passed), by_key(layer, shapes),
             blocks and _beside_blocks(layer, shapes, blocks)]
    if _holds_what_was_passed(layer, tried[1], passed):  # TimeEmbedding(W): self.W and params[0] are one array
        tried[:2] = tried[1::-1]
    for found in tried:
        if len(found) == len(shapes):
            return found, tried
    return None, tried


def _beside_blocks(layer, shapes, blocks):
    """`blocks` and the other parameters (a character model's output layer, W_y and B_y) from
    the same dict: by key, else the one entry left of that shape (or number of elements)."""
    found = {**by_key(layer, {p: s for p, s in shapes.items() if p not in blocks}), **blocks}
    some = next(iter(blocks.values()))
    held = getattr(layer, some.holder)
    taken = {k for h in found.values() for k in (h.keys if isinstance(h, GateBlocks) else (h.key,))}
    for param, shape in shapes.items():
        free = [k for k, v in held.items() if k not in taken and isinstance(v, np.ndarray)]
        fits = [k for k in free if held[k].shape == shape] or [k for k in free if held[k].size == np.prod(shape)]
        if len(fits) > 1:  # a weight and a bias of one shape (n_nodes = 1): W_y's name is upper case, B_y's not
            fits = [k for k in fits if str(k)[:1].isupper() == param.startswith("W")] or fits
        if param not in found and len(fits) == 1:
            found[param] = Item(param, some.holder, fits[0], some.grads)
            taken.add(fits[0])
    return found


def _holds_what_was_passed(layer, found, passed):
    """Whether the params list holds every array passed to the constructor, itself: its
    gradients are then in the grads list, whatever attributes also name those arrays."""
    return bool(found) and all(passed.get(h.param) is not None and getattr(layer, h.holder)[h.key] is passed[h.param]
                               for h in found.values())


def describe_arrays(layer):
    """The layer's array attributes, and its lists and dicts of arrays, for a message."""
    parts = []
    for k, v in vars(layer).items():
        if isinstance(v, np.ndarray):
            parts.append(k)
        elif _arrays(v) is not None:
            parts.append(f"{k} (a list of {len(v)} arrays: {', '.join(str(a.shape) for a in v)})")
        elif isinstance(v, dict) and v and all(isinstance(a, np.ndarray) for a in v.values()):
            parts.append(f"{k} (a dict of arrays: {', '.join(map(str, v))})")
    return parts or ["none"]
