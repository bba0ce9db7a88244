"""Two biases added to one pre-activation, where the spec has one (internal).

numpy-ml's RNNCell computes Z = A_prev @ Waa + ba.T + Xt @ Wax + bx.T, with a bias for the
input and one for the state, as PyTorch's RNN adds bias_ih and bias_hh. The spec has one bias,
B. It is bound to the input's (bx; holders.SYNONYMS), and the other one (ba) is held at zero
while the checks run; since both are added to the same pre-activation, their gradients are one
gradient, and the other's must equal B's at every backward (else every check fails, saying so).
That they are added to the same pre-activation is found from forward alone: the spec's B put
in the other one, the first at zero, gives the same output. Checked: B's gradient (finite
differences, the twin) and the other's equal to it; not checked: a forward with both non-zero.
"""
import dataclasses
from dataclasses import dataclass

import numpy as np

from .holders import Attribute, Item

# The other bias of two added to the same pre-activation, by the spec parameter it doubles.
SECOND = {"B": ("ba", "bh", "b_h", "bias_hh")}


@dataclass(frozen=True)
class BiasPair:
    """A spec parameter held in `first`, with `second` added to the same pre-activation: put
    as zeros, its gradient required to equal the first's. Anything else is the first's."""

    first: object  # an Attribute or an Item
    second: object

    def __getattr__(self, name):  # param, key, where, grad_where, ...: the first's
        return getattr(self.first, name)

    def put(self, layer, value):
        self.first.put(layer, value)
        self.second.put(layer, np.zeros_like(value))

    def gradient(self, layer, recorded):
        value, other = self.first.gradient(layer, recorded), self.second.gradient(layer, recorded)
        if value is not None and other is not None and np.size(value) == np.size(other) and not np.allclose(
                np.reshape(other, np.shape(value)), value, rtol=1e-10, atol=1e-12):
            owner = type(layer).__name__
            raise ValueError(f"{self.second.grad_where(owner)} differs from {self.first.grad_where(owner)}: "
                             f"{self.second.where(owner)} and {self.first.where(owner)} are added to the same "
                             f"pre-activation, so their gradients must be equal")
        return value


def unchecked(holders, owner):
    """What the checks leave out of each pair: the second bias non-zero."""
    return [f"{h.second.where(owner)} non-zero (held at zero; its gradient must equal {h.param}'s)"
            for h in holders if isinstance(h, BiasPair)]


def second_of(layer, holder):
    """The holder of the other bias beside `holder` (same dict, or an attribute), or None."""
    names, held = SECOND.get(holder.param, ()), np.shape(holder.get(layer))
    for name in names:
        other = (Item(holder.param, holder.holder, name, holder.grads) if isinstance(holder, Item)
                 else Attribute(holder.param, name, "d" + name))
        value = other.get(layer)
        if isinstance(value, np.ndarray) and np.size(value) == int(np.prod(held)):
            return other
    return None


def paired(holders, layer, forward):
    """(holders with a BiasPair where a second bias is added as the first is, notes).
    forward(holders) -> the output of a layer adapted with those holders, at drawn inputs and
    parameters (the same for every call)."""
    found, notes, owner = list(holders), [], type(layer).__name__
    for i, h in enumerate(holders):
        second = second_of(layer, h)
        if second is None:
            continue
        pair, swapped = BiasPair(h, second), BiasPair(dataclasses.replace(second, param=h.param), h)
        try:
            same = np.allclose(forward(_with(found, i, pair)), forward(_with(found, i, swapped)), rtol=1e-10, atol=1e-12)
        except Exception:  # noqa: BLE001 - the checks say what fails
            same = False
        if not same:
            notes.append(f"{second.where(owner)}: not added as {h.where(owner)} is (forward differs with {h.param} in "
                         f"it instead); left as the layer holds it")
            continue
        found[i] = pair
        notes.append(f"two biases for {h.param}: {h.where(owner)} and {second.where(owner)}, added to the same "
                     f"pre-activation (found from forward: {h.param} in either gives the same output); {h.param} is "
                     f"put in {h.where(owner)}, zeros in {second.where(owner)}, and {second.grad_where(owner)} must "
                     f"equal {h.grad_where(owner)}")
    return found, notes


def _with(holders, index, holder):
    return [*holders[:index], holder, *holders[index + 1:]]
