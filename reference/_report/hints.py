"""Recognisable patterns in a wrong gradient, named in words.

`hint(analytic, reference, axes, sizes)` compares what backward gave with what it
should have given (finite differences, or PyTorch) and returns a one-line hint when the
difference has a shape people know: a constant factor (1/batch, the batch, a sign), an
all-zero or single-scalar gradient, a transposed matrix, gate blocks in another order, a
shift by one time step, or a gradient that is right only at the last time step. "" when
nothing is recognised.
"""
import itertools

import numpy as np

from .._builtin.twins import GATE_ORDER

# Relative agreement for "this pattern explains the difference".
_RTOL = 1e-6


def _close(a, b, scale):
    return a.shape == b.shape and np.allclose(a, b, rtol=_RTOL, atol=_RTOL * scale)


def hint(analytic, reference, axes=(), sizes=None):
    """axes: a name per axis of the arrays ("batch", "seq_len", ...) or (); sizes: drawn sizes."""
    a = np.asarray(analytic, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    sizes = sizes or {}
    if a.shape != r.shape:
        return f"shape {a.shape} where {r.shape} belongs"
    if not np.all(np.isfinite(a)):
        return "inf or NaN here (an overflow, or a log or division of 0?)"
    if not np.all(np.isfinite(r)):
        return ""  # no pattern against a reference that is not finite itself
    scale = float(np.max(np.abs(r))) if r.size else 0.0
    if scale == 0.0:
        return "the true gradient is zero here, but backward's is not"
    for recognise in (_all_zero, _one_scalar, _constant_factor, _transposed, _gates_permuted, _time_shift,
                      _last_step_only):
        found = recognise(a, r, scale, list(axes), sizes)
        if found:
            return found
    return ""


def _all_zero(a, r, scale, axes, sizes):
    if not a.any():
        return "all zeros: backward never writes this gradient (or zeroes it after the loop that fills it)"
    return ""


def _one_scalar(a, r, scale, axes, sizes):
    if a.size > 1 and np.all(a == a.flat[0]) and not np.allclose(r, r.flat[0]):
        return (f"every element equals {a.flat[0]:.6g}: reduced to one scalar "
                "(np.average or np.sum over every axis instead of over the batch axis?)")
    return ""


def _constant_factor(a, r, scale, axes, sizes):
    significant = np.abs(r) > 1e-3 * scale
    if np.count_nonzero(significant) < 2:  # one element: any ratio is "constant"
        return ""
    factor = float(np.median(a[significant] / r[significant]))
    if not np.isfinite(factor) or abs(factor - 1.0) < 1e-9 or not _close(a, factor * r, scale):
        return ""
    return f"backward = {factor:.6g} x the true gradient everywhere: {_name_factor(factor, sizes)}"


def _name_factor(factor, sizes):
    if abs(factor + 1.0) < 1e-6:
        return "the sign is flipped"
    # The batch first: dividing by it inside a layer is the usual mistake.
    names = sorted((k for k, n in sizes.items() if isinstance(n, int) and n >= 2),
                   key=lambda k: (k != "batch", k != "seq_len"))  # then the steps, which a loss also averages
    for inverse, power, template in (
            (True, 1, "1/{name} ({name}={n}{also}): divided by the {name} inside the layer "
                      "(the loss averages, not the layer)"),
            (False, 1, "{name} ({name}={n}{also}): an average over the {name} is missing"),
            (True, 0.5, "1/sqrt({name}) ({name}={n}{also}): an extra scale by 1/sqrt({name}) (applied twice?)"),
            (False, 0.5, "sqrt({name}) ({name}={n}{also}): the scale by 1/sqrt({name}) is missing here (an "
                         "attention's 1/sqrt(d_k)?)")):
        matches = [k for k in names
                   if abs((factor * sizes[k] ** power if inverse else factor / sizes[k] ** power) - 1.0) < 1e-6]
        if matches:
            name, n = matches[0], sizes[matches[0]]
            also = "".join(f"; {k} is also {n}" for k in matches[1:])
            return template.format(name=name, n=n, also=also)
    return "a constant factor (a missing or extra scale such as 2, 1/p or 1/(1-p)?)"


def _transposed(a, r, scale, axes, sizes):
    if a.ndim == 2 and a.shape[0] == a.shape[1] > 1 and _close(a, r.T, scale):
        return "equals the true gradient transposed: a W where W.T belongs (or the operands of a product swapped)"
    return ""


# Gated layers stack a block of n_nodes columns per gate, in PyTorch's order (LSTM 4, GRU 3).
_GATES = {len(names): names for names in GATE_ORDER.values()}


def _gates_permuted(a, r, scale, axes, sizes):
    n = sizes.get("n_nodes")
    if "batch" in axes or not isinstance(n, int) or n < 1 or a.ndim not in (1, 2) or a.shape[-1] not in (3 * n, 4 * n):
        return ""
    names = _GATES[a.shape[-1] // n]
    ours, true = np.split(a, len(names), axis=-1), np.split(r, len(names), axis=-1)
    for order in itertools.permutations(range(len(names))):
        if order != tuple(range(len(names))) and all(_close(ours[k], true[j], scale) for k, j in enumerate(order)):
            held = ", ".join(f"{names[k]}'s columns hold {names[j]}'s" for k, j in enumerate(order) if k != j)
            return (f"the gate blocks are in another order ({held}, in PyTorch's order {', '.join(names)}): "
                    "backward stacks the gates' gradients in an order other than forward's")
    return ""


def _time_axis(axes, a):
    return axes.index("seq_len") if "seq_len" in axes and len(axes) == a.ndim and a.shape[axes.index("seq_len")] > 1 else None


def _time_shift(a, r, scale, axes, sizes):
    t = _time_axis(axes, a)
    if t is None:
        return ""
    a_t, r_t = np.moveaxis(a, t, 0), np.moveaxis(r, t, 0)
    if _close(a_t[:-1], r_t[1:], scale):
        return "step t holds the true gradient of step t+1: shifted by one time step (an off-by-one in the time loop)"
    if _close(a_t[1:], r_t[:-1], scale):
        return "step t holds the true gradient of step t-1: shifted by one time step (an off-by-one in the time loop)"
    return ""


def _last_step_only(a, r, scale, axes, sizes):
    t = _time_axis(axes, a)
    if t is None:
        return ""
    a_t, r_t = np.moveaxis(a, t, 0), np.moveaxis(r, t, 0)
    if _close(a_t[-1], r_t[-1], scale) and not _close(a_t[:-1], r_t[:-1], scale):
        return ("right at the last time step only: the gradient flowing back from later steps "
                "is dropped (dh from step t+1 not added)")
    return ""


def errors_by_step(a, r, axes):
    """max |a - r| per time step, if the arrays have a seq_len axis; else None."""
    a, r = np.asarray(a, dtype=np.float64), np.asarray(r, dtype=np.float64)
    t = _time_axis(list(axes), a)
    if t is None or a.shape != r.shape:
        return None
    diff = np.abs(np.moveaxis(a, t, 0) - np.moveaxis(r, t, 0))
    return diff.reshape(diff.shape[0], -1).max(axis=1)
