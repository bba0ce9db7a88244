"""A verdict for one spec: its checks over seeded hypothesis examples, and on failure the
smallest failing example hypothesis found, redrawn with typical values at its sizes."""
import dataclasses
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import FailedHealthCheck, Unsatisfiable, UnsatisfiedAssumption

from .checks import CHECKS, run_checks
from .compare import rule
from .crash import raised
from .strategies import drawn_examples, examples, nontrivial
from .triage import sizes


class ChecksFailed(Exception):
    def __init__(self, failures, results, example):
        super().__init__("\n".join(str(c) for c in failures))
        self.failures, self.results, self.example = failures, results, example


@dataclass
class Row:
    name: str
    examples: int = 0
    errors: dict = field(default_factory=dict)  # "finite differences" / "torch output" / "torch grads" -> max |diff|
    contract_rules: int = 0
    failures: list = field(default_factory=list)
    caught_by: set = field(default_factory=set)  # checks that failed on any example, shrinking included
    example: object = None  # the smallest failing Example hypothesis found
    results: list = field(default_factory=list)  # every comparison on that example
    redrawn: int = 0  # examples where finite differences alone disagreed (kink, round-off)
    seed: int = 0
    n_examples: int = 0
    rerun: str = ""  # the command that reruns this row (default: python -m reference --layer NAME ...)

    @property
    def passed(self):
        return not self.failures


def _column(comparison):
    if comparison.check == "torch":
        return "torch output" if comparison.what == "output" else "torch grads"
    return comparison.check


def run_spec(spec, n_examples, seed_value, checks=CHECKS, progress=None, shrink=True):
    """Check `spec` on `n_examples` drawn examples; on failure, hypothesis shrinks to the
    smallest failing example (unless `shrink` is False: then the first one) and the row keeps
    its failures. progress: a Progress, or None."""
    row = Row(spec.name, seed=seed_value, n_examples=n_examples)
    state = {"failed": False}

    @settings(max_examples=n_examples, database=None, deadline=None, derandomize=False,
              phases=(Phase.generate, Phase.shrink) if shrink else (Phase.generate,),
              report_multiple_bugs=False, print_blob=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @seed(seed_value)
    @given(examples(spec))
    def run(example):
        try:
            results = run_checks(example, checks)
        except UnsatisfiedAssumption:
            row.redrawn += 1
            raise
        if not state["failed"]:
            row.examples += 1
            if progress is not None:
                progress.example(spec.name, row.examples, n_examples)
            for c in results:
                if c.check in ("finite differences", "torch"):
                    column = _column(c)
                    row.errors[column] = _worse(row.errors.get(column, 0.0), c.error)
            row.contract_rules = max(row.contract_rules, sum(c.check == "contract" for c in results))
        failures = [c for c in results if not c.ok]
        row.caught_by |= {c.by for c in failures}
        if failures:
            state["failed"] = True
            raise ChecksFailed(failures, results, example)

    try:
        with np.errstate(all="ignore"):  # a NaN or an overflow is reported by the comparisons
            run()
    except (FailedHealthCheck, Unsatisfiable):  # (almost) every example redrawn
        failure = rule("finite differences", spec.name, "every example", False,
                       f"{row.redrawn} examples redrawn and only {row.examples} kept: finite differences "
                       "alone disagreed on them (PyTorch agreed with the layer). A kink the spec does not "
                       "declare (Floats(kinks=...)), or a tolerance too tight for the values drawn?")
        row.failures, row.results = [failure], [failure]
        row.caught_by.add("finite_differences")
    except ChecksFailed as exc:
        row.failures, row.results, row.example = exc.failures, exc.results, exc.example
        typical = typical_failure(spec, sizes(exc.example), seed_value, checks)
        if typical is not None:
            row.results, row.example = typical
    except Exception as exc:  # noqa: BLE001 - the spec itself failed (a draw, a declaration): the row says so
        failure = dataclasses.replace(rule("example", spec.name, "drawing an example", False, raised(exc)),
                                      by="example")
        row.failures, row.results = [failure], [failure]
        row.caught_by.add("example")
    return row


def typical_failure(spec, shrunk_sizes, seed_value, checks=CHECKS, n_examples=12):
    """A failing example at the sizes hypothesis shrank to, with the least degenerate values.

    Shrinking also drives values to 0 and 1, where many mistakes look alike (a gradient
    that is 0 because h0 is 0); at the same sizes with random values the worst elements
    and the hint show the pattern. None if no such example fails.
    """
    pinned = dataclasses.replace(spec, draws={k: st.just(v) for k, v in shrunk_sizes.items()})

    def failing(example):
        results = run_checks(example, checks)
        return None if all(c.ok for c in results) else (results, example)

    try:
        with np.errstate(all="ignore"):
            found = drawn_examples(pinned, seed_value, n_examples, keep=failing)
    except Exception:  # noqa: BLE001 - no typical example: the shrunk one is reported instead
        return None
    return max(found, key=lambda pair: nontrivial(pair[1]), default=None)


def _worse(a, b):
    """The larger error, NaN (a side produced NaN) being the worst."""
    return a if np.isnan(a) or a >= b else b
