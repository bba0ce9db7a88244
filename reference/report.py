"""The main job: run every spec over seeded hypothesis examples, one verdict row per layer."""
import argparse
import dataclasses
import sys
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import FailedHealthCheck, Unsatisfiable, UnsatisfiedAssumption

from .checks import CHECKS, every_element_checks, run_checks
from .compare import rule
from .initializer_stats import check_initializer
from .planted import CATALOG, variant_spec
from .planted_initializers import INITIALIZER_CATALOG
from .registry import BY_NAME, SPECS
from .output import HEADER, Progress, format_row, write_json
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
                column = _column(c)
                if c.check != "contract":
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


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m reference",
        description="Check every registered layer against finite differences, its PyTorch twin "
                    "and the layer contract, on seeded hypothesis examples.")
    parser.add_argument("--layer", action="append", choices=sorted(BY_NAME), metavar="NAME",
                        help="check only this layer (repeatable); one of: " + ", ".join(BY_NAME))
    parser.add_argument("--examples", type=_positive_int, default=50, metavar="N",
                        help="examples drawn per layer (default: 50)")
    parser.add_argument("--self-test", action="store_true",
                        help="run the planted-bug catalog (reference/planted.py) instead: every "
                             "variant must be caught")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="hypothesis seed; the same seed draws the same examples (default: 0)")
    parser.add_argument("--plot", metavar="DIR",
                        help="instead of checking, write DIR/<layer>.png: the finite-difference error "
                             "against the step size (needs matplotlib: pip install -e '.[plot]')")
    parser.add_argument("--json", metavar="FILE",
                        help="also write the full report (verdicts, errors, findings, reproduction) as JSON")
    parser.add_argument("--every-element", action="store_true",
                        help="finite differences of every element of every input and parameter, not "
                             "random directions on the larger ones (slower; README, 'Fast checks')")
    return parser.parse_args(argv)


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def self_test(n_examples, seed_value):
    """Every planted variant must fail the checks; print which checks caught it."""
    print(f"{'planted bug':<30}{'checked as':<28}{'verdict':<9}caught by")
    outcomes = []  # (name, caught)
    for bug in CATALOG:
        row = run_spec(variant_spec(bug, BY_NAME[bug.spec]), n_examples, seed_value, shrink=False)
        outcomes.append(_print_outcome(bug, bug.spec, bool(row.failures), ", ".join(sorted(row.caught_by))))
    for bug in INITIALIZER_CATALOG:
        failures = check_initializer(bug.make, bug.rule, seed=seed_value)
        checked_as = type(bug.make(np.random.default_rng(0))).__mro__[1].__name__
        outcomes.append(_print_outcome(bug, checked_as, bool(failures), "initializer_statistics"))
    escaped = [name for name, caught in outcomes if not caught]
    caught = len(outcomes) - len(escaped)
    print(f"\ncaught {caught} of {len(outcomes)} planted bugs ({100 * caught / len(outcomes):.0f}%)"
          + (f"; escaped: {', '.join(escaped)}" if escaped else "")
          + f" (seed {seed_value}, up to {n_examples} examples each)")
    return 1 if escaped else 0


def _print_outcome(bug, checked_as, caught, caught_by):
    print(f"{bug.name:<30}{checked_as:<28}{'caught' if caught else 'ESCAPED':<9}{caught_by if caught else ''}")
    print(f"{'':<4}{bug.description}")
    return bug.name, caught


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["check"]:  # python -m reference check path/to/file.py:Class --like NAME
        from .external import main as check_main
        return check_main(argv[1:])
    args = parse_args(argv)
    if args.self_test:
        return self_test(args.examples, args.seed)
    specs = [BY_NAME[name] for name in args.layer] if args.layer else SPECS
    if args.plot:
        from .step_plot import plot_all
        paths, problem = plot_all(specs, args.plot, args.seed)
        print(problem or "\n".join(f"wrote {path}" for path in paths), file=sys.stderr if problem else sys.stdout)
        return 2 if problem else 0
    print(HEADER)
    rows, progress = [], Progress(len(specs))
    checks = every_element_checks() if args.every_element else CHECKS
    for spec in specs:
        rows.append(run_spec(spec, args.examples, args.seed, checks=checks, progress=progress))
        progress.finished()
        print(format_row(rows[-1]), flush=True)
    if args.json:
        write_json(args.json, rows, seed=args.seed, examples=args.examples)
    failed = [row.name for row in rows if not row.passed]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} layers pass"
          + (f"; failing: {', '.join(failed)}" if failed else "")
          + f" (seed {args.seed}, {args.examples} examples each; errors are the largest |analytic - reference|;\n contract is the number of contract rules checked per example)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
