"""One step size and one tolerance table, with the reasoning.

An analytic value a and a reference value r agree when
    |a - r| <= atol + rtol * max(|a|, |r|).

Finite differences (central, float64, step h = STEP):
    error ~ h^2/6 * |f'''|            (truncation)
          + eps * |L| / h             (round-off in L(x+h) - L(x-h), eps = 2.2e-16)
  The two balance near h = eps^(1/3) ~ 6e-6; we take h = 1e-6 (rounding the other way
  costs little because our inputs are O(1): truncation ~1e-13, round-off ~2e-10 * |L|).
  L = sum(G * forward(...)) is at most a few tens here (sizes <= 5, values <= 1, G
  standard normal), so both terms stay below ~1e-8. rtol = 1e-6 and atol = 1e-8 sit
  about two orders of magnitude above the largest error measured over thousands of
  drawn examples (see README), and two orders below any planted bug.
  Larger layers make |L| larger, and with it the round-off: every finite difference is
  therefore also allowed eps * (sum|G * out(x+h)| + sum|G * out(x-h)|) / (2h), the
  rounding of the two sums it subtracts (its `roundoff`, computed per difference). It is
  ~2e-10 * sum|G * out|: below atol at the drawn sizes, and what keeps a correct SimpleRNN
  of 8 x 20 x 16 x 64 (10 240 outputs) passing.

PyTorch twin: both sides compute the same float64 function, only the order of
  floating-point operations differs (matmul blocking, summation order), so they agree
  to a few ulps times the depth of the computation: atol = 1e-12, rtol = 1e-10.

float32 (a layer whose buffers are float32, Spec(dtype="float32")): the same reasoning
  with eps = 1.2e-7, and every intermediate rounded, not only the result:
  - its values carry a relative error of up to ~depth * eps (a recurrence of a few steps,
    sums of a few terms: tens of eps, ~3e-6), so the twin (float64) and the layer agree to
    atol = 1e-5, rtol = 1e-4; the contract (the layer against itself, reassociated sums
    in float32) to atol = 1e-6, rtol = 1e-5;
  - finite differences: the round-off of L(x+h) - L(x-h) is now that relative error times
    sum|G * out|, so the step that balances it against the truncation h^2/6 * |f'''| is
    near 1e-2; h = 1e-3 keeps the truncation (~2e-7) far below the round-off, which the
    per-difference allowance covers (computed with FLOAT32_ROUNDING * eps as the relative
    error of a value); atol = 1e-4, rtol = 1e-3 above it.
  The largest errors measured on right float32 layers are in docs/external.md; one
  gradient element scaled by 1.01 is still caught, by the twin (tests/test_external.py).
"""
import dataclasses
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    atol: float
    rtol: float
    roundoff: object = 0.0  # a scalar, or one value per compared element (finite differences)

    def allowed(self, a, b):
        return self.atol + self.rtol * np.maximum(np.abs(a), np.abs(b)) + self.roundoff

    def __str__(self):
        extra = f", round-off up to {np.max(self.roundoff):.2g}" if np.any(self.roundoff) else ""
        return f"atol={self.atol:g}, rtol={self.rtol:g}{extra}"


EPS = float(np.finfo(np.float64).eps)
STEP = 1e-6
FINITE_DIFFERENCES = Tolerance(atol=1e-8, rtol=1e-6)
TORCH = Tolerance(atol=1e-12, rtol=1e-10)
# Contract checks compare a layer with itself (repeat calls, linearity): only the
# round-off of re-associated sums separates the two sides.
CONTRACT = Tolerance(atol=1e-12, rtol=1e-10)


@dataclass(frozen=True)
class Precision:
    """The step and tolerances for a layer computing in `dtype` (see above)."""

    dtype: str
    eps: float  # the relative rounding of one computed value, for the round-off allowance
    step: float
    finite_differences: Tolerance
    torch: Tolerance
    contract: Tolerance


FLOAT32_ROUNDING = 32  # values of a float32 layer carry up to this many eps (a few steps deep)
FLOAT64 = Precision("float64", EPS, STEP, FINITE_DIFFERENCES, TORCH, CONTRACT)
FLOAT32 = Precision("float32", FLOAT32_ROUNDING * float(np.finfo(np.float32).eps), 1e-3,
                    Tolerance(atol=1e-4, rtol=1e-3), Tolerance(atol=1e-5, rtol=1e-4), Tolerance(atol=1e-6, rtol=1e-5))
PRECISIONS = {"float64": FLOAT64, "float32": FLOAT32}


def precision(spec):
    """The Precision a spec is checked at: its dtype's, with the spec's own finite-difference
    tolerance in place of the default one."""
    chosen = PRECISIONS[getattr(spec, "dtype", "float64")]
    if spec.tolerance is not None:
        chosen = dataclasses.replace(chosen, finite_differences=spec.tolerance)
    return chosen
