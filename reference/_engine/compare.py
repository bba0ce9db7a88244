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
    # Finite differences alone disagreed (PyTorch agrees, the layer stays consistent): the
    # example is redrawn unless another check failed on it (checks.run_checks).
    artefact: bool = False
    # Finite differences alone disagreed on a layer whose forward, after those calls, gives
    # another output than a fresh layer's for the same input: it carries state between calls.
    carried_state: bool = False

    def made_by(self, name):
        """This comparison with `by` set, as dataclasses.replace would (run_checks labels
        every comparison of every example: see _built)."""
        return _built({**vars(self), "by": name})

    def __str__(self):
        status = "ok" if self.ok else "FAILED"
        return f"[{self.check}] {self.layer} {self.what}: {status}" + (f"\n  {self.message}" if self.message else "")


def _built(fields):
    """A Comparison with these fields, without the frozen dataclass's __init__ (which sets
    each field through object.__setattr__ and costs more than the comparison itself)."""
    comparison = object.__new__(Comparison)
    comparison.__dict__.update(fields)
    return comparison


_PASSED = vars(Comparison("", "", "", True))  # every field's default, ok=True


def matches(actual, expected, tolerance):
    """Element by element: a finite pair within the allowance, or the same infinity on both
    sides. A non-finite value never matches a finite one (the allowance, which grows with
    |a|, would be infinite), and NaN matches nothing."""
    return _gaps(actual, expected, tolerance)[0]


def all_match(actual, expected, tolerance):
    """matches(...).all(), the common case first (_within)."""
    return _within(actual, expected, tolerance) is not None or bool(matches(actual, expected, tolerance).all())


def _within(actual, expected, tolerance):
    """|a - b| when both sides are finite and every gap is within the allowance (the common
    case, in a few operations), else None.

    A finite gap means both sides are finite (inf - x is inf, inf - inf is NaN); a gap within
    atol + round-off alone is within the allowance without its relative part."""
    if actual.dtype.kind != "f" or expected.dtype.kind != "f":
        return None
    with np.errstate(over="ignore", invalid="ignore"):  # finite values can differ by more than the largest float
        gap = np.abs(actual - expected)
    if not np.isfinite(gap).all():
        return None
    if (gap <= tolerance.atol + tolerance.roundoff).all():
        return gap
    return gap if (gap <= tolerance.allowed(actual, expected)).all() else None


def _gaps(actual, expected, tolerance):
    """(matches, |a - b| with 0 where the same infinity is on both sides, the allowance)."""
    finite = np.isfinite(actual) & np.isfinite(expected)
    with np.errstate(invalid="ignore", over="ignore"):
        gap, allowed = np.abs(actual - expected), tolerance.allowed(actual, expected)
        same_infinity = np.isinf(actual) & (actual == expected)
        return np.where(finite, gap <= allowed, same_infinity), np.where(same_infinity, 0.0, gap), allowed


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
    gap = _within(actual, expected, tolerance)
    if gap is not None:
        return _built({**_PASSED, "check": check, "layer": layer, "what": what, "error": float(gap.max()),
                       "actual": actual, "expected": expected, "sides": sides, "tolerance": tolerance})
    within, gap, allowed = _gaps(actual, expected, tolerance)
    error = float(gap.max())  # inf or NaN where a side is non-finite and the other is not the same
    if within.all():
        return Comparison(check, layer, what, True, error, actual=actual, expected=expected, sides=sides,
                          tolerance=tolerance)
    bad = ~within
    with np.errstate(invalid="ignore"):
        excess = np.where(np.isfinite(gap), gap / allowed, np.inf)  # a non-finite mismatch is the worst
    worst = np.unravel_index(np.argmax(np.where(bad, excess, -1.0)), actual.shape)
    index = tuple(int(i) for i in worst)
    a, e = float(actual[worst]), float(expected[worst])
    why = (f"|diff|={gap[worst]:.3g} > allowed {allowed[worst]:.3g} ({tolerance})" if np.isfinite(gap[worst])
           else _why_no_match(a, e))
    return failed(f"{int(bad.sum())} of {actual.size} elements differ{_non_finite_counts(actual, expected, bad)}; "
                  f"worst at index {index}: {a_name}={a!r}, {e_name}={e!r}, {why}", error)


def _non_finite_counts(actual, expected, bad):
    """' (2 with inf, 1 with nan)': the failing elements with a non-finite side, if any."""
    nan = bad & (np.isnan(actual) | np.isnan(expected))
    inf = bad & ~nan & (np.isinf(actual) | np.isinf(expected))
    counts = [f"{int(n.sum())} with {name}" for name, n in (("inf", inf), ("nan", nan)) if n.any()]
    return f" ({', '.join(counts)})" if counts else ""


def _why_no_match(a, e):
    if np.isnan(a) or np.isnan(e):
        return "nan matches nothing"
    if np.isinf(a) and np.isinf(e):
        return "infinities of opposite sign"
    return "inf never matches a finite value"


def rule(check, layer, what, ok, message=""):
    """A contract rule that holds or not (no numbers to compare)."""
    return Comparison(check, layer, what, bool(ok), 0.0, "" if ok else f"{layer}: {what}: {message}")
