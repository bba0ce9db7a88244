"""The one comparison helper: shape, then dtype, then values; says which stage failed."""
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Comparison:
    """The outcome of one comparison (or one contract rule) for one layer.

    check: which check ran ("finite differences", "torch", "contract: ...").
    what: the input, parameter or output compared ("input x", "param W_h", "output").
    error: the largest |a - b| (nan when the shapes or dtypes already differ).
    """

    check: str
    layer: str
    what: str
    ok: bool
    error: float = 0.0
    message: str = ""
    by: str = ""  # the name of the Check that produced it (set by run_checks)
    # The compared arrays and what they are (for the triage and the localised report).
    actual: object = field(default=None, repr=False, compare=False)
    expected: object = field(default=None, repr=False, compare=False)
    sides: tuple = ("analytic", "numeric")
    tolerance: object = field(default=None, repr=False, compare=False)

    def __str__(self):
        status = "ok" if self.ok else "FAILED"
        return f"[{self.check}] {self.layer} {self.what}: {status}" + (f"\n  {self.message}" if self.message else "")


def compare(check, layer, what, actual, expected, tolerance, sides=("analytic", "numeric")):
    """Compare two arrays; `sides` names them in the message (e.g. scratch vs torch)."""
    a_name, e_name = sides
    actual, expected = np.asarray(actual), np.asarray(expected)

    def failed(message, error=float("nan")):
        return Comparison(check, layer, what, False, error, f"{layer}: {what}: {message}",
                          actual=actual, expected=expected, sides=sides, tolerance=tolerance)

    if actual.shape != expected.shape:
        return failed(f"shape differs: {a_name} {actual.shape}, {e_name} {expected.shape}")
    if actual.dtype != expected.dtype:
        return failed(f"dtype differs: {a_name} {actual.dtype}, {e_name} {expected.dtype}")
    if actual.size == 0:
        return Comparison(check, layer, what, True)
    diff = np.abs(actual - expected)
    allowed = tolerance.allowed(actual, expected)
    within = diff <= allowed  # NaN counts as a mismatch
    error = float(diff.max())  # NaN if either side has one
    if within.all():
        return Comparison(check, layer, what, True, error, actual=actual, expected=expected, sides=sides,
                          tolerance=tolerance)
    bad = ~within
    excess = np.where(np.isnan(diff), np.inf, diff / allowed)
    worst = np.unravel_index(np.argmax(excess), actual.shape)
    index = tuple(int(i) for i in worst)
    return failed(
        f"{int(bad.sum())} of {actual.size} elements differ; worst at index {index}: "
        f"{a_name}={float(actual[worst])!r}, {e_name}={float(expected[worst])!r}, "
        f"|diff|={diff[worst]:.3g} > allowed {allowed[worst]:.3g} "
        f"({tolerance})",
        error,
    )


def rule(check, layer, what, ok, message=""):
    """A contract rule that holds or not (no numbers to compare)."""
    return Comparison(check, layer, what, bool(ok), 0.0, "" if ok else f"{layer}: {what}: {message}")
