"""Three-way triage of a failing example, and the localised report.

For every input, parameter and the output, three sources can disagree: the layer's
backward (analytic), central finite differences of the layer's own forward (numeric),
and the PyTorch twin. Which pair disagrees says where the mistake is:

  backward vs both          -> a bug in backward
  backward vs PyTorch alone, the output agreeing, at float32 precision
                            -> a bug in backward too fine for float32 differences
  forward vs PyTorch, while backward matches finite differences
                            -> a bug or convention difference in forward, or a
                               parameter-map mistake (backward is consistent with it)
  finite differences alone  -> a kink or precision artefact: the example is redrawn,
                               the layer is not blamed (checks.run_checks), unless the
                               differences are not finite (an overflow or log(0) near the
                               example), the layer carries state between calls (its
                               forward then differs from a fresh layer's) or another check
                               failed on the same example
  PyTorch, at kinks and ties -> the layer's convention where no derivative is defined
                               (ReLU at 0, a tied maximum) is not PyTorch's
"""
from dataclasses import dataclass, field

import numpy as np

from .._spec.tolerances import FLOAT32

BACKWARD = "backward disagrees with both finite differences and PyTorch: a bug in backward"
FORWARD = ("backward agrees with finite differences of this forward but not with PyTorch: the forward "
           "differs from PyTorch's (a bug or convention difference in forward, or a parameter-map mistake)")
OUTPUT = "the forward output differs from PyTorch's: a bug or convention difference in forward"
ARTEFACT = ("only finite differences disagree (backward agrees with PyTorch): a kink or precision "
            "artefact, not a layer bug")
NON_FINITE = ("only finite differences disagree, and they are inf or nan: the output or the loss is not "
              "finite near this example (an overflow, or a log of 0), not an artefact")
CARRIED = ("only finite differences disagree (backward agrees with PyTorch), and after the calls they made the "
           "layer's forward gives another output for the same input than a fresh layer's: it carries state "
           "between calls (a hidden state or a cache kept from the last call?), so each call starts where the "
           "last one ended: a bug in forward's state, not an artefact")
SPOILED = ("only finite differences disagree (backward agrees with PyTorch), but another check failed on "
           "this example: not an artefact")
AT_KINKS = " (at kinks and ties)"  # what the kinks_and_ties check compares: "input x (at kinks and ties)"
CONVENTION = ("differs from PyTorch where the derivative is not defined (the drawn inputs moved exactly onto "
              "their declared kinks, a maximum's candidates tied): the convention there must be PyTorch's")
MAP_SHAPE = ("PyTorch's gradient, through the twin's grads map, has shape {torch}, the layer's has {layer}: "
             "a mistake in Twin(grads=...) (a transpose missing?), not in the layer")
NO_TWIN = "backward disagrees with finite differences (no PyTorch twin to arbitrate)"
TWIN_ONLY = "differs from PyTorch (finite differences not run)"
COARSE = ("backward disagrees with PyTorch, whose forward output agrees with the layer's; finite differences "
          "at float32 precision are too coarse to see a difference this small: a bug in backward")
TOGETHER = " (together)"  # finite differences along joint directions: "input x, param W (together)"


@dataclass
class Finding:
    what: str
    verdict: str
    lines: list = field(default_factory=list)


def triage(results):
    """(finding, ...) for every failing input, parameter or output; contract failures as they are."""
    fd = {c.what: c for c in results if c.check == "finite differences" and c.actual is not None}
    for joint in [c for c in fd.values() if c.what.endswith(TOGETHER) and c.ok]:
        del fd[joint.what]  # it speaks for each tensor it covered
        for name in joint.what[:-len(TOGETHER)].split(", "):
            fd.setdefault(name, joint)
    tw = {c.what: c for c in results if c.check == "torch" and c.actual is not None}
    compared = {id(c) for c in [*fd.values(), *tw.values()]}
    others_failed = any(not c.ok and id(c) not in compared for c in results)
    findings = []
    for what in dict.fromkeys([*fd, *tw]):
        f, t = fd.get(what), tw.get(what)
        f_bad, t_bad = f is not None and not f.ok, t is not None and not t.ok
        if not (f_bad or t_bad):
            continue
        if what.endswith(AT_KINKS):
            verdict = CONVENTION
        elif what == "output":
            verdict = OUTPUT
        elif f_bad and t_bad:
            verdict = BACKWARD
        elif f_bad:
            verdict = _finite_differences_alone(f, t, others_failed)
        elif np.shape(t.actual) != np.shape(t.expected) and what.startswith("param"):
            verdict = MAP_SHAPE.format(layer=np.shape(t.actual), torch=np.shape(t.expected))
        elif f is not None and _coarse(f) and "output" in tw and tw["output"].ok:
            verdict = COARSE
        else:
            verdict = FORWARD if f is not None else TWIN_ONLY
        findings.append(Finding(what, verdict))
    return findings


def _coarse(fd):
    """Whether finite differences ran at float32 precision (a layer with float32 buffers)."""
    tolerance = getattr(fd, "tolerance", None)
    return tolerance is not None and tolerance.rtol >= FLOAT32.finite_differences.rtol


def _finite_differences_alone(fd, twin, others_failed):
    if twin is None:
        return NO_TWIN
    if getattr(fd, "carried_state", False):
        return CARRIED
    if not (np.all(np.isfinite(fd.actual)) and np.all(np.isfinite(fd.expected))):
        return NON_FINITE
    return SPOILED if others_failed else ARTEFACT


def is_artefact(results):
    """True if every failing gradient comparison is finite differences alone."""
    findings = triage(results)
    return bool(findings) and all(f.verdict == ARTEFACT for f in findings)


def sizes(example):
    """The drawn sizes and hyperparameters, without the generator and the seed."""
    return {k: v for k, v in example.config.items() if k not in ("rng", "seed")}
