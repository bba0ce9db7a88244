"""Dropout written elsewhere (internal): its mask and its scaling convention.

Code written elsewhere draws its mask from NumPy's global generator (np.random.rand), which
the checks cannot hand a seed. The adapter freezes it instead: every forward runs with the
global generator seeded from the example's seed and put back afterwards (adapters.Adapted),
so repeated forwards of one example draw one mask, as finite differences need, the way
PyTorch's own module tests freeze torch's generator.

The twin cannot draw that mask itself. It reads it from the layer: the same layer, built from
the same example, run on ones under the same frozen generator, keeps exactly the units it
keeps on the example's x. The twin then computes the output and its gradient from that
mask in torch, with the layer's scaling convention:
  - inverted (PyTorch's): kept units scaled by 1/(1-p) in training, the identity in evaluation;
  - not inverted (Deep Learning from Scratch's Dropout): kept units unscaled in training,
    x * (1-p) in evaluation.
The convention is found from one forward at p = 0.25 (kept units 4/3 or 1) and said; a layer
that scales otherwise is checked as PyTorch's, and the twin says what differs. A scale of
4/3 rounded to float32 (DLFS2's TimeDropout keeps a float32 mask) is a layer computing in
float32 inside: it is judged at float32 precision, as float32 buffers are.
"""
import numpy as np

import scratch

from .._builtin.lazy import LazyModule
from .._spec.twin import Twin

torch, nn = LazyModule("torch"), LazyModule("torch.nn")

PROBE_P = 0.25  # 1 / (1 - p) = 4/3 has no exact float32: a scale computed in float32 shows


def is_dropout(spec):
    return spec.cls is scratch.Dropout and "p" in spec.draws


def drops_p(build, config, x_name):
    """Whether the layer drops about a fraction p of 4096 units at p = 0.25 and at p = 0.8
    (the twin takes the layer's mask only then: a layer that drops nothing, or 1 - p, is
    checked against PyTorch's own mask, and fails)."""
    try:
        for p in (PROBE_P, 0.8):
            out = np.asarray(build({**config, "p": p}).forward(**{x_name: np.ones((64, 64))}))
            if abs(float(np.mean(out == 0)) - p) > 0.05:
                return False
    except Exception:  # noqa: BLE001 - the checks report a failing forward with its sizes
        return False
    return True


def inverted(build, config, x_name):
    """(True if kept units are scaled by 1/(1-p), False if not scaled, None if neither or if
    forward failed; whether that scale was computed in float32)."""
    try:
        layer = build({**config, "p": PROBE_P})
        out = np.asarray(layer.forward(**{x_name: np.ones((16, 8))}), dtype=np.float64)
    except Exception:  # noqa: BLE001 - the checks report a failing forward with its sizes
        return None, False
    kept, scale = out[out != 0], 1.0 / (1.0 - PROBE_P)
    if kept.size and np.allclose(kept, scale, rtol=1e-6, atol=0):
        return True, bool(np.all(kept == float(np.float32(scale)))) and float(np.float32(scale)) != scale
    if kept.size and np.allclose(kept, 1.0):
        return False, False
    return None, False


def twin(build, x_name, scaled):
    """A twin whose mask is the one the layer built from the same example keeps."""
    def call(module, config, **tensors):
        x = tensors[x_name]
        layer = build(config)
        kept = np.asarray(layer.forward(**{x_name: np.ones(tuple(x.shape))})) != 0
        scale = 1.0 / (1.0 - config["p"]) if scaled else 1.0
        return torch.where(torch.from_numpy(kept), x * scale, torch.zeros_like(x))
    return Twin(module=lambda c: nn.Identity(), call=call)


NOTE = {True: "inverted dropout (kept units scaled by 1/(1-p) in training), PyTorch's convention",
        False: "dropout not inverted (kept units unscaled in training, x * (1-p) at evaluation; PyTorch's: "
               "x / (1-p) in training, the identity at evaluation), a convention: the twin scales as the layer does"}
MASK = ("mask: NumPy's global generator frozen around every forward (seeded from the example); the twin "
        "takes the units the layer keeps")
