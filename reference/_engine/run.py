"""Running a layer the way every check does: frozen randomness, copies, one gradient dict."""
import copy

import numpy as np

from .strategies import freeze_randomness


def forward(example, layer, args):
    """layer.forward on copies of `args`, with the layer's generators reset to the seed."""
    freeze_randomness(layer, example.seed)
    return layer.forward(**copied(args))


def copied(args):
    """A copy of each argument (arrays copied, anything else deep-copied)."""
    return {k: v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v) for k, v in args.items()}


def scalar(example, out, upstream=None):
    """L = sum(G * out): the scalar whose gradient backward(G) must be."""
    upstream = example.upstream if upstream is None else upstream
    if isinstance(out, np.ndarray) and out.shape == upstream.shape:
        return float(np.vdot(upstream, out))  # the same sum, without the temporary
    return float(np.sum(upstream * out))


def backward(example, layer, upstream=None, copy=True):
    """backward(G) -> {input name: grad} for every differentiable input; G is passed as a
    copy unless copy=False (arguments_unchanged then sees what backward did to it).

    A loss's backward() takes no G; it is scaled by the (scalar) G here so that losses
    and layers share one scalar L = G * forward(...).
    """
    spec = example.spec
    upstream = example.upstream if upstream is None else upstream
    given = upstream.copy() if copy else upstream
    if spec.loss:  # a loss with parameters has G = 1 (strategies.py), so they need no scaling
        dscores = layer.backward()
        return {spec.wrt[0]: upstream * dscores} if spec.wrt else {}
    if not spec.wrt:  # only parameters are differentiable (Embedding); backward returns None
        layer.backward(given)
        return {}
    first, *others = spec.wrt
    grads = {first: layer.backward(given)}
    extra = getattr(layer, "dinputs", {})
    grads.update({name: extra.get(name) for name in others})
    return grads


def forward_backward(example, layer=None, args=None, upstream=None):
    """(output, input grads, param grads as copies) of one forward and backward pass."""
    layer = example.fresh_layer() if layer is None else layer
    args = example.args if args is None else args
    out = forward(example, layer, args)
    if example.spec.dtype == "float32" and isinstance(out, np.ndarray):  # compared in float64
        out = _wide(out)
    return (out, *gradients(example, layer, upstream))


def once(example, key, compute):
    """compute(), run once per example and kept in example.memo: the checks of one example
    share what it returns (they read it and never write to it); if it raised, each of them
    raises the same exception."""
    if key not in example.memo:
        try:
            example.memo[key] = (compute(), None)
        except Exception as exc:  # noqa: BLE001 - re-raised below, in every check that asks
            example.memo[key] = (None, exc)
    value, error = example.memo[key]
    if error is not None:
        raise error
    return value


def plain(example):
    """forward_backward(example) on a fresh layer, the example's own arguments and G, shared
    by the checks that need exactly that (torch twin, finite differences, output_owned).
    The layer it ran is kept for spare_layer."""
    def run():
        layer = example.memo["spare"] = example.fresh_layer()
        return forward_backward(example, layer)
    return once(example, "plain", run)


def spare_layer(example):
    """The layer run.plain ran, its params put back as drawn (whatever backward did to them),
    for one more use that needs a layer of its own (the stacked differences); else a fresh
    one. A copy of a layer costs more than many checks' work."""
    layer = example.memo.pop("spare", None)
    if layer is None:
        return example.fresh_layer()
    for key, value in example.layer.params.items():
        layer.params[key][...] = value
    return layer


def gradients(example, layer, upstream=None):
    """(input grads, param grads) of one backward on the layer's last forward, as copies
    (float32 ones as float64, for a spec of dtype float32)."""
    return compared(example, backward(example, layer, upstream), layer.grads)


def compared(example, *grads):
    """Copies of each dict of gradients as the checks compare them: float32 ones as float64
    for a spec of dtype float32."""
    copy = _wide if example.spec.dtype == "float32" else np.copy
    return tuple({name: copy(g) for name, g in each.items()} for each in grads)


def _wide(value):
    """A float32 array as a float64 copy; anything else copied as it is."""
    if isinstance(value, np.ndarray) and value.dtype == np.float32:
        return value.astype(np.float64)
    return np.copy(value)
