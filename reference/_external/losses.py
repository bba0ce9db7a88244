"""A cross-entropy written elsewhere with an eps inside the log (internal).

The two Deep Learning from Scratch books compute the loss as -mean(log(p[t] + 1e-7)), so
that a probability of 0 gives no -inf, and their backward returns (p - onehot(t)) / batch:
the gradient of the exact cross-entropy, not of the eps's. That is a convention, not a
mistake: the difference is below eps / p[t] relative (1e-7 at p[t] near 1). It is found
from one forward (the loss against the exact one and against -mean(log(p[t] + eps)) for
each eps of EPS) and said. The twin then gives the eps's loss as its output and the exact
loss's gradient (nn.CrossEntropyLoss plus the eps's difference, detached), so that the
output and the gradients are each compared at full precision.
"""
import numpy as np

import scratch

from .._builtin.lazy import LazyModule
from .._spec.twin import Twin
from .construction import probe_inputs

torch, nn, F = LazyModule("torch"), LazyModule("torch.nn"), LazyModule("torch.nn.functional")

EPS = (1e-7, 1e-8, 1e-10, 1e-12, 1e-15)


def is_cross_entropy(spec):
    return spec.cls is scratch.SoftmaxCrossEntropy and list(spec.inputs) == ["scores", "targets"] \
        and type(spec.inputs["targets"]).__name__ == "Labels"


def eps_in_log(spec, config):
    """The eps the layer adds inside the log, or None (no eps, or its loss is another).
    One forward at the probe's sizes (which --fix and --sizes restrict)."""
    rng = np.random.default_rng(0)
    args = probe_inputs(spec, config, rng)
    args["scores"] = 3.0 * args["scores"]
    try:
        loss = float(spec.build(config).forward(**{k: v.copy() for k, v in args.items()}))
    except Exception:  # noqa: BLE001 - the checks report a failing forward with its sizes
        return None
    scores, targets = args["scores"], args["targets"]
    rows = np.arange(len(targets))
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    picked = np.exp(log_p[rows, targets])
    if np.isclose(loss, -log_p[rows, targets].mean(), rtol=1e-12, atol=0):
        return None
    return next((eps for eps in EPS if np.isclose(loss, -np.log(picked + eps).mean(), rtol=1e-12, atol=0)), None)


def twin(eps):
    def call(module, config, scores, targets):
        exact = module(scores, targets)
        with_eps = -torch.log(F.softmax(scores, dim=-1).gather(-1, targets.unsqueeze(-1)) + eps).mean()
        return exact + (with_eps - exact).detach()
    return Twin(module=lambda c: nn.CrossEntropyLoss(), call=call)


def note(eps):
    return (f"loss -mean(log(p[t] + {eps:g})), backward the exact cross-entropy's gradient (PyTorch: no eps), "
            f"a convention: the twin's loss adds the eps, its gradient does not")
