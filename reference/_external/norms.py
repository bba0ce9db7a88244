"""A batch or layer normalisation written elsewhere with another eps than PyTorch's (internal).

Deep Learning from Scratch's BatchNormalization divides by sqrt(var + 10e-7), PyTorch's
default eps is 1e-5: the outputs differ by about (eps - 1e-5) / (2 var) relative, far above
round-off, so the checks would call a right layer's forward wrong. The eps is a convention,
not a mistake. It is solved for from one forward on an input of small variance (where eps
weighs as much as the variance), and counted only if a normalisation with it reproduces the
layer's output to float64 round-off at that input and at the probe's own: a forward wrong
otherwise (the std without the mean, var instead of its root, the unbiased variance) solves
to no one eps, nothing is said and the checks report its forward as before.
"""
import dataclasses

import numpy as np

from .._builtin import twins
from .construction import probe_inputs

TORCH_EPS = 1e-5  # nn.BatchNorm1d's and nn.LayerNorm's default, the twins' eps
SMALL = 1e-3  # the probe's input scaled by it: variance ~3e-7, where eps 1e-5 and 1e-6 differ by a factor
ROUND_OFF = 1e-10  # relative (outputs are of order 1): a reproduced output is equal to this


@dataclasses.dataclass(frozen=True)
class Norm:
    """A normalisation the checks know: the axis its statistics are taken along and its twin
    built with a given eps."""

    axis: int
    twin: object  # eps -> the Twin


NORMS = ((twins.BATCH_NORM_TRAIN, Norm(0, twins.batch_norm_train)), (twins.LAYER_NORM, Norm(-1, twins.layer_norm)))


def norm_of(spec):
    """The Norm of a spec checked against a normalisation's twin (training mode), or None."""
    return next((norm for twin, norm in NORMS if spec.twin is twin), None)


def normalized(x, gamma, beta, eps, axis):
    """gamma * (x - mean) / sqrt(var + eps) + beta, biased variance along `axis`."""
    centred = x - x.mean(axis=axis, keepdims=True)
    return gamma * centred / np.sqrt((centred ** 2).mean(axis=axis, keepdims=True) + eps) + beta


def eps_found(spec, config, norm):
    """The layer's eps if it is not PyTorch's and reproduces its forward to round-off, else None.
    Forwards at the probe's sizes (which --fix and --sizes restrict), gamma and beta drawn."""
    rng = np.random.default_rng(0)
    name = next(iter(spec.inputs))
    x = probe_inputs(spec, config, rng)[name]
    try:
        layer = spec.build(config)
        shape = layer.params["gamma"].shape
        gamma, beta = rng.uniform(0.5, 1.5, shape), rng.uniform(-0.5, 0.5, shape)
        layer.params["gamma"][...], layer.params["beta"][...] = gamma, beta
        outs = [np.asarray(layer.forward(**{name: scale * x}), dtype=np.float64) for scale in (SMALL, 1.0)]
    except Exception:  # noqa: BLE001 - the checks report a failing forward with its sizes
        return None
    eps = _solved(SMALL * x, outs[0], gamma, beta, norm.axis)
    if eps is None or eps == TORCH_EPS:
        return None
    reproduced = all(np.allclose(out, normalized(scale * x, gamma, beta, eps, norm.axis), rtol=ROUND_OFF,
                                 atol=ROUND_OFF) for scale, out in zip((SMALL, 1.0), outs))
    return eps if reproduced else None


def _solved(x, out, gamma, beta, axis):
    """The eps that (x - mean) / sqrt(var + eps) = (out - beta) / gamma gives, from its median
    over the elements not near the mean, to 6 significant digits; None if out has another
    shape, or if eps is not positive: no eps (below round-off of the variance) is no
    convention but a division by zero for a constant feature, and PyTorch takes none."""
    if out.shape != x.shape:
        return None
    centred = x - x.mean(axis=axis, keepdims=True)
    var = np.broadcast_to((centred ** 2).mean(axis=axis, keepdims=True), x.shape)
    scaled = (out - beta) / gamma
    usable = np.abs(scaled) > 0.1 * np.abs(scaled).max()
    if not usable.any():
        return None
    eps = float(np.median((centred[usable] / scaled[usable]) ** 2 - var[usable]))
    return float(f"{eps:.6g}") if eps > ROUND_OFF * float(var.mean()) else None


def note(eps):
    return f"eps {eps:g} (PyTorch's: {TORCH_EPS:g}), a convention: the twin uses it"


def momentum_note(spec, config):
    """What of a batch norm's running statistics is not PyTorch's, from two training forwards,
    or None: a `momentum` attribute that is what they keep (r = m r + (1 - m) batch's, DLFS's
    convention; PyTorch's momentum is 1 - m), a running variance of the biased batch
    variance (PyTorch's follows the unbiased). Said only if they follow r = m r + (1 - m)
    batch's for one m, and not checked: the gradient checks run in training mode only."""
    rng = np.random.default_rng(1)
    name = next(iter(spec.inputs))
    batches = [probe_inputs(spec, config, rng)[name] for _ in range(2)]
    try:
        layer = spec.build(config)
        (mean1, var1), (mean2, var2) = (_running(layer, name, batch) for batch in batches)
        momentum = getattr(getattr(layer, "layer", layer), "momentum", None)
    except Exception:  # noqa: BLE001 - a layer without running statistics: nothing to say
        return None
    batch = batches[1]
    m = (mean2 - batch.mean(axis=0)) / (mean1 - batch.mean(axis=0))
    if not (np.allclose(m, m[0], rtol=1e-9, atol=0) and 0.0 < m[0] < 1.0):
        return None
    m = float(f"{m[0]:.6g}")
    follows = [ddof for ddof in (0, 1)
               if np.allclose(var2, m * var1 + (1 - m) * batch.var(axis=0, ddof=ddof), rtol=1e-9, atol=0)]
    said = []
    if isinstance(momentum, (int, float)) and np.isclose(momentum, m, rtol=1e-9, atol=0) and m != 0.5:
        said.append(f"momentum {m:g} is what the running statistics keep, r = {m:g} r + {1 - m:g} batch's "
                    f"(PyTorch's momentum is what they take: {1 - m:g})")
    if follows == [0]:
        said.append("the running variance follows the biased batch variance (PyTorch's: the unbiased)")
    if not said:
        return None
    return "; ".join(said) + ": evaluation mode's conventions, not checked (the checks are training mode)"


def _running(layer, name, batch):
    """(running_mean, running_var) copies after a training forward on `batch` (of the user's
    layer behind an Adapted wrapper, or the layer itself)."""
    layer.forward(**{name: batch})
    inner = getattr(layer, "layer", layer)
    return (np.array(inner.running_mean, dtype=np.float64).reshape(-1),
            np.array(inner.running_var, dtype=np.float64).reshape(-1))
