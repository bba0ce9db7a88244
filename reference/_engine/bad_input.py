"""Bad input, generated from a spec's declared inputs: each must raise a clear error
naming the layer and the argument, and change nothing.

A size is wrong when it breaks a dimension that is tied to something else: one the
layer was built with (`layer_dims`) or one shared by two inputs (x and h0 share batch).
"""
import copy
import re
from collections import Counter

import numpy as np

from .compare import rule
from .run import backward, forward
from .._spec.spec import Floats, Labels, OneHot


def tied_dims(spec):
    counts = Counter(d for decl in spec.inputs.values() for d in decl.dims if isinstance(d, str))
    return set(spec.layer_dims) | {d for d, n in counts.items() if n > 1}


def _grown(value, axis):
    """value with one more entry along `axis` (a copy of its last slice)."""
    return np.concatenate([value, np.take(value, [-1], axis=axis)], axis=axis)


def bad_forward_args(spec, args):
    """Yield (description, argument name, bad args, expected exception type)."""
    tied = tied_dims(spec)
    for name, decl in spec.inputs.items():
        value = args[name]

        def case(description, bad, error, name=name):
            return f"{name} {description}", name, {**args, name: bad}, error

        yield case("as a list", value.tolist(), TypeError)
        if isinstance(decl, (Floats, OneHot)):
            yield case("as strings", value.astype(str), TypeError)
            with_nan = value.astype(np.float64)
            with_nan.flat[-1] = np.nan
            yield case("containing NaN", with_nan, ValueError)
        if isinstance(decl, OneHot):
            yield case("with rows not summing to 1", value * 2.0, ValueError)
        if isinstance(decl, Labels):
            yield case("as floats", value.astype(np.float64), TypeError)
            yield case("out of range", value + 10**6, ValueError)
        if not getattr(decl, "any_shape", False):
            yield case("with an extra axis", value[..., np.newaxis], ValueError)
            for axis, dim in enumerate(decl.dims):
                if dim in tied:
                    yield case(f"with {dim} one too large", _grown(value, axis), ValueError)


def bad_upstream(dout, name="dout"):
    with_nan = dout.copy()
    with_nan.flat[-1] = np.nan
    yield f"{name} with an extra axis", dout[..., np.newaxis], ValueError
    yield f"{name} as a list", dout.tolist(), TypeError
    yield f"{name} containing NaN", with_nan, ValueError


def bad_upstreams(spec, layer, dout):
    """For a layer of several outputs (outputs.SideBySide after a forward): yield
    (description, argument, the upstreams with one bad, expected exception type), the
    argument named d<output> (dh, dc)."""
    pieces = np.split(dout, np.cumsum(layer.widths)[:-1], axis=-1)
    for k, output in enumerate(spec.outputs):
        for description, bad, error in bad_upstream(pieces[k], f"d{output}"):
            yield description, f"d{output}", [*pieces[:k], bad, *pieces[k + 1:]], error


def rejects_bad_input(example):
    """Every bad argument raises the right error, naming layer and argument; nothing changes."""
    spec, name = example.spec, example.spec.name
    layer = example.fresh_layer()
    forward(example, layer, example.args)
    reference = _state(example, layer)
    results = []
    for description, arg, bad_args, error in bad_forward_args(spec, example.args):
        results.append(_raises(name, layer, description, arg, error, lambda: layer.forward(**bad_args)))
    if spec.outputs:  # several outputs: each upstream to the layer itself, one of them bad
        for description, arg, bad, error in bad_upstreams(spec, layer, example.upstream):
            results.append(_raises(name, layer, description, arg, error, lambda: layer.layer.backward(*bad)))
    elif not spec.loss:
        for description, bad, error in bad_upstream(example.upstream):
            results.append(_raises(name, layer, description, "dout", error, lambda: layer.backward(bad)))
    try:
        same, why = _same_state(reference, _state(example, layer)), ""
    except Exception as exc:  # noqa: BLE001 - the bad call left a state backward cannot use: the finding
        same, why = False, f": backward for the last good forward now raises {type(exc).__name__}: {exc}"
    results.append(rule("contract", name, "state after bad input", same,
                        "a call that raised still changed the layer (params, or the gradients "
                        f"backward gives for the last good forward){why}"))
    fresh = example.fresh_layer()
    results.append(_raises(name, fresh, "backward before forward", "forward", RuntimeError,
                           (lambda: fresh.backward()) if spec.loss else (lambda: fresh.backward(example.upstream))))
    return results


def _raises(name, layer, description, arg, error, call):
    what = f"rejects {description}"
    try:
        call()
    except error as exc:
        message = str(exc)
        owner = type(layer).__name__
        names = re.search(rf"\b{owner}\b", message) and re.search(rf"\b{arg}\b", message)
        return rule("contract", name, what, bool(names),
                    f"{error.__name__} raised, but its message does not name {owner!r} and {arg!r}: {message!r}")
    except Exception as exc:  # noqa: BLE001 - reporting the wrong type is the point
        return rule("contract", name, what, False, f"expected {error.__name__}, got {type(exc).__name__}: {exc}")
    return rule("contract", name, what, False, f"expected {error.__name__}, nothing was raised")


def _state(example, layer):
    """params, and what backward gives now (on a copy, so the layer itself is untouched)."""
    probe = copy.deepcopy(layer)
    return copy.deepcopy(layer.params), backward(example, probe), {k: g.copy() for k, g in probe.grads.items()}


def _same_state(a, b):
    # Whether anything changed, not whether values agree: a NaN that was there before is no
    # change (a NaN gradient is the finding of the checks that compare values).
    return all(set(x) == set(y) and all(np.array_equal(x[k], y[k], equal_nan=True) for k in x) for x, y in zip(a, b))
