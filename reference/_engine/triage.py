"""Three-way triage of a failing example, and the localised report.

For every input, parameter and the output, three sources can disagree: the layer's
backward (analytic), central finite differences of the layer's own forward (numeric),
and the PyTorch twin. Which pair disagrees says where the mistake is:

  backward vs both          -> a bug in backward
  forward vs PyTorch, while backward matches finite differences
                            -> a bug or convention difference in forward, or a
                               parameter-map mistake (backward is consistent with it)
  finite differences alone  -> a kink or precision artefact: the example is redrawn,
                               the layer is not blamed (checks.finite_differences)
"""
from dataclasses import dataclass, field

BACKWARD = "backward disagrees with both finite differences and PyTorch: a bug in backward"
FORWARD = ("backward agrees with finite differences of this forward but not with PyTorch: the forward "
           "differs from PyTorch's (a bug or convention difference in forward, or a parameter-map mistake)")
OUTPUT = "the forward output differs from PyTorch's: a bug or convention difference in forward"
ARTEFACT = ("only finite differences disagree (backward agrees with PyTorch): a kink or precision "
            "artefact, not a layer bug")
NO_TWIN = "backward disagrees with finite differences (no PyTorch twin to arbitrate)"
TWIN_ONLY = "differs from PyTorch (finite differences not run)"


@dataclass
class Finding:
    what: str
    verdict: str
    lines: list = field(default_factory=list)


def triage(results):
    """(finding, ...) for every failing input, parameter or output; contract failures as they are."""
    fd = {c.what: c for c in results if c.check == "finite differences" and c.actual is not None}
    tw = {c.what: c for c in results if c.check == "torch" and c.actual is not None}
    findings = []
    for what in dict.fromkeys([*fd, *tw]):
        f, t = fd.get(what), tw.get(what)
        f_bad, t_bad = f is not None and not f.ok, t is not None and not t.ok
        if not (f_bad or t_bad):
            continue
        if what == "output":
            verdict = OUTPUT
        elif f_bad and t_bad:
            verdict = BACKWARD
        elif f_bad:
            verdict = ARTEFACT if t is not None else NO_TWIN
        else:
            verdict = FORWARD if f is not None else TWIN_ONLY
        findings.append(Finding(what, verdict))
    return findings


def is_artefact(results):
    """True if every failing gradient comparison is finite differences alone."""
    findings = triage(results)
    return bool(findings) and all(f.verdict == ARTEFACT for f in findings)


def sizes(example):
    """The drawn sizes and hyperparameters, without the generator and the seed."""
    return {k: v for k, v in example.config.items() if k not in ("rng", "seed")}
