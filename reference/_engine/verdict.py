"""A verdict for one spec: its checks over seeded hypothesis examples, and on failure a
failing example at sizes searched down from the first failure's, with typical values."""
import dataclasses
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import FailedHealthCheck, Unsatisfiable, UnsatisfiedAssumption

from .checks import CHECKS, run_checks
from .compare import rule
from .crash import raised
from .strategies import drawn_examples, examples, nontrivial, own_constants_only, without_database_key
from .triage import sizes


@dataclass
class Row:
    name: str
    examples: int = 0
    errors: dict = field(default_factory=dict)  # "finite differences" / "torch output" / "torch grads" -> max |diff|
    used: dict = field(default_factory=dict)  # the same columns -> the largest share of its allowance an error used
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


def run_spec(spec, n_examples, seed_value, checks=CHECKS, progress=None, shrink=True, explain=True):
    """Check `spec` on `n_examples` drawn examples; on failure the row keeps its failures and
    a failing example at the smallest sizes a bounded search finds (smaller_failure; the
    first failure's sizes if `shrink` is False), the least degenerate of a few drawn there
    (typical_failure). explain=False: the first failure only, for a verdict that no report
    reads (the self-test). progress: a Progress, or None."""
    return run_groups(spec, n_examples, seed_value, [checks], progress, shrink, explain)[0]


def run_groups(spec, n_examples, seed_value, groups, progress=None, shrink=True, explain=True):
    """[run_spec(spec, n_examples, seed_value, checks, ...) for checks in groups], the same
    rows, from one run of hypothesis: each example is drawn once, and every group's checks
    run on it, sharing what they compute (run.once). The examples a group sees are those its
    own run would draw, since hypothesis draws the same sequence from the same seed whatever
    the test does, until a group is done (failed, or n_examples kept). One exception: a group
    that redraws an example (finite differences alone disagreeing) which another group keeps
    would have drawn one more in its own run; it is run on its own afterwards."""
    tallies = [_Tally(Row(spec.name, seed=seed_value, n_examples=n_examples), checks, progress)
               for checks in groups]

    @without_database_key
    @settings(max_examples=n_examples, database=None, deadline=None, derandomize=False,
              phases=(Phase.generate,),  # hypothesis's shrinking reruns hundreds of examples
              report_multiple_bugs=False, print_blob=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @seed(seed_value)
    @given(examples(spec))
    def run(example):
        active = [t for t in tallies if t.active]
        if not active:  # every group has failed: hypothesis replays the example that ended it
            raise _Done
        redrawn = [t for t in active if t.take(example) == "redrawn"]
        if redrawn and len(redrawn) == len(active):
            raise redrawn[0].why  # redrawn in every group's own run too: hypothesis draws another
        for t in redrawn:
            t.alone = True
        if not any(t.active for t in tallies):
            raise _Done

    try:
        with np.errstate(all="ignore"), own_constants_only():  # a NaN or an overflow is reported
            run()
    except _Done:
        pass
    except (FailedHealthCheck, Unsatisfiable):  # (almost) every example redrawn
        for t in tallies:
            if t.active:
                t.gave_up()
    except Exception as exc:  # noqa: BLE001 - the spec itself failed (a draw, a declaration): the row says so
        failure = dataclasses.replace(rule("example", spec.name, "drawing an example", False, raised(exc)),
                                      by="example")
        for t in tallies:
            if t.active:
                t.row.failures, t.row.results = [failure], [failure]
                t.row.caught_by.add("example")
    rows = []
    for checks, t in zip(groups, tallies):
        if t.alone:
            rows.append(run_spec(spec, n_examples, seed_value, checks, progress, shrink, explain))
            continue
        if t.failed is not None and explain:
            found = smaller_failure(spec, sizes(t.failed), seed_value, checks) if shrink else sizes(t.failed)
            typical = typical_failure(spec, found, seed_value, checks)
            if typical is not None:
                t.row.results, t.row.example = typical
        rows.append(t.row)
    return rows


class _Done(Exception):
    """Raised in the test to stop hypothesis drawing: every group has its verdict."""


class _Tally:
    """One group's row, filled example by example as its own run of hypothesis would."""

    def __init__(self, row, checks, progress):
        self.row, self.checks, self.progress = row, checks, progress
        self.failed = None  # the first failing example
        self.alone = False  # to be run on its own (run_groups)
        self.why = None  # the exception that redrew the last example

    @property
    def active(self):
        return self.failed is None and not self.alone and not self.row.failures

    def take(self, example):
        """Run the checks on `example`: "redrawn", "failed" or "kept"."""
        row = self.row
        try:
            results = run_checks(example, self.checks)
        except UnsatisfiedAssumption as exc:
            row.redrawn += 1
            self.why = exc
            return "redrawn"
        row.examples += 1
        if self.progress is not None:
            self.progress.example(row.name, row.examples, row.n_examples)
        for c in results:
            if c.check in ("finite differences", "torch"):
                column = _column(c)
                row.errors[column] = _worse(row.errors.get(column, 0.0), c.error)
                row.used[column] = _worse(row.used.get(column, 0.0), allowance_used(c))
        row.contract_rules = max(row.contract_rules, sum(c.check == "contract" for c in results))
        failures = [c for c in results if not c.ok]
        row.caught_by |= {c.by for c in failures}
        if not failures:
            return "kept"
        row.failures, row.results, row.example = failures, results, example
        self.failed = example
        return "failed"

    def gave_up(self):
        """Hypothesis gave up drawing: most examples redrawn, or none the spec's assume allows."""
        row = self.row
        if not row.redrawn:
            failure = dataclasses.replace(rule(
                "example", row.name, "drawing an example", False,
                "no example could be drawn: the spec's assume refused the sizes of every draw tried (a restriction "
                "of its draws that its assume does not allow, such as a window larger than every input?)"), by="example")
        else:
            failure = rule("finite differences", row.name, "every example", False,
                           f"{row.redrawn} examples redrawn and only {row.examples} kept: finite differences "
                           "alone disagreed on them (PyTorch agreed with the layer). A kink the spec does not "
                           "declare (Floats(kinks=...)), or a tolerance too tight for the values drawn?")
        row.failures, row.results = [failure], [failure]
        row.caught_by.add(failure.by or "finite_differences")


# Examples drawn at each smaller size the search tries (the first is all zeros): a mistake that shows at a size
# shows in most draws there, and every try costs a run of the checks (up to the first failure).
TRIES_PER_SIZE = 4


def smaller_failure(spec, failing_sizes, seed_value, checks=CHECKS):
    """The sizes of a failure, made smaller one dimension at a time, smallest value first:
    a dimension takes the first smaller value at which one of TRIES_PER_SIZE draws fails.
    Hyperparameters stay as they failed. At most sum(size - 1) * TRIES_PER_SIZE runs of the
    checks, against the hundreds hypothesis's shrinking takes."""
    found = dict(failing_sizes)
    for name in spec.dim_names:
        for value in range(1, found.get(name, 1)):
            candidate = {**found, name: value}
            # one failure decides: the draws after it would not change the answer
            if failures_at(spec, candidate, seed_value, checks, TRIES_PER_SIZE, enough=lambda example: True):
                found = candidate
                break
    return found


def typical_failure(spec, found_sizes, seed_value, checks=CHECKS, n_examples=12):
    """A failing example at these sizes with the least degenerate values: hypothesis's first
    draws are zeros and ones, where many mistakes look alike (a gradient that is 0 because
    h0 is 0); with random values the worst elements and the hint show the pattern. None if
    no such example fails."""
    # With every shape fixed by the sizes, no example can beat one whose every value is
    # nontrivial: the draws after it are not checked (max would return that one anyway).
    fixed = not any(getattr(decl, "any_shape", False) for decl in spec.inputs.values())
    found = failures_at(spec, found_sizes, seed_value, checks, n_examples, enough=_all_nontrivial if fixed else None)
    chosen = max(found, key=lambda pair: nontrivial(pair[1]), default=None)
    if chosen is None:
        return None
    with np.errstate(all="ignore"):  # every check, for the report (failures_at stopped at the first failure)
        results = run_checks(chosen[1], checks, redraw=False)
    if all(c.ok or c.artefact for c in results):  # only artefacts this time: a layer whose calls differ run to run
        return chosen
    return results, chosen[1]


def _all_nontrivial(example):
    if example.failure is not None:  # not built: no values to judge
        return False
    params = example.layer.params
    return nontrivial(example) == sum(np.size(a) for a in [*params.values(), *example.args.values()])


def failures_at(spec, pinned_sizes, seed_value, checks, n_examples, enough=None):
    """[(results, example)] of the examples that fail among `n_examples` drawn at these sizes;
    none after the first failing one for which enough(example) holds (nor any drawn after it).
    The results of each stop at its first failure (run_checks' first_failure): whether an
    example fails is all the search reads."""
    if not _allowed(spec, pinned_sizes):
        return []
    pinned = dataclasses.replace(spec, draws={k: st.just(v) for k, v in pinned_sizes.items()})

    def failing(example):
        results = run_checks(example, checks, first_failure=True)
        return None if all(c.ok for c in results) else (results, example)

    try:
        with np.errstate(all="ignore"):
            return drawn_examples(pinned, seed_value, n_examples, keep=failing,
                                  enough=None if enough is None else lambda found: enough(found[1]))
    except Exception:  # noqa: BLE001 - sizes the spec's assume refuses, or every example redrawn
        return []


def _allowed(spec, pinned_sizes):
    """False if the spec's assume refuses sizes that pin everything it draws: hypothesis would
    otherwise draw and filter out every example until it gives up (the search for a smaller
    failure tries such sizes often, a window larger than the input, and each try cost more
    than a whole run of the checks). True where something is still drawn, or assume raises
    (then drawing says so, as before)."""
    if spec.assume is None or not {*spec.dim_names, *spec.draws} <= pinned_sizes.keys():
        return True
    try:
        return bool(spec.assume(dict(pinned_sizes)))
    except Exception:  # noqa: BLE001 - left to the draw, which fails the same way
        return True


def allowance_used(comparison):
    """max |a - e| / allowed over the compared elements: 1 is the line between pass and fail
    (0 for a comparison without two arrays of one shape)."""
    actual, expected, tolerance = comparison.actual, comparison.expected, comparison.tolerance
    if tolerance is None or actual is None or np.shape(actual) != np.shape(expected) or not np.size(actual):
        return 0.0
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return float(np.max(np.abs(actual - expected) / tolerance.allowed(actual, expected)))


def _worse(a, b):
    """The larger error, NaN (a side produced NaN) being the worst."""
    return a if np.isnan(a) or a >= b else b
