"""The main job: run every spec over seeded hypothesis examples, one verdict row per layer."""
import argparse
import sys
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings

from .checks import CHECKS, run_checks
from .initializer_stats import check_initializer
from .planted import CATALOG, variant_spec
from .planted_initializers import INITIALIZER_CATALOG
from .registry import BY_NAME, SPECS
from .strategies import examples


class ChecksFailed(Exception):
    def __init__(self, failures):
        super().__init__("\n".join(str(c) for c in failures))
        self.failures = failures


@dataclass
class Row:
    name: str
    examples: int = 0
    errors: dict = field(default_factory=dict)  # "finite differences" / "torch output" / "torch grads" -> max |diff|
    contract_rules: int = 0
    failures: list = field(default_factory=list)
    caught_by: set = field(default_factory=set)  # checks that failed on any example, shrinking included
    example: str = ""

    @property
    def passed(self):
        return not self.failures


def _column(comparison):
    if comparison.check == "torch":
        return "torch output" if comparison.what == "output" else "torch grads"
    return comparison.check


def run_spec(spec, n_examples, seed_value, checks=CHECKS):
    """Check `spec` on `n_examples` drawn examples; on failure, hypothesis shrinks to the
    smallest failing example and the row keeps its failures."""
    row = Row(spec.name)
    state = {"failed": False}

    @settings(max_examples=n_examples, database=None, deadline=None, derandomize=False,
              phases=(Phase.generate, Phase.shrink), report_multiple_bugs=False, print_blob=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @seed(seed_value)
    @given(examples(spec))
    def run(example):
        results = run_checks(example, checks)
        if not state["failed"]:
            row.examples += 1
            for c in results:
                column = _column(c)
                if c.check != "contract":
                    row.errors[column] = _worse(row.errors.get(column, 0.0), c.error)
            row.contract_rules = max(row.contract_rules, sum(c.check == "contract" for c in results))
        failures = [c for c in results if not c.ok]
        row.caught_by |= {c.by for c in failures}
        if failures:
            state["failed"] = True
            row.example = repr(example)
            raise ChecksFailed(failures)

    try:
        with np.errstate(all="ignore"):  # a NaN or an overflow is reported by the comparisons
            run()
    except ChecksFailed as exc:
        row.failures = exc.failures
    return row


def _worse(a, b):
    """The larger error, NaN (a side produced NaN) being the worst."""
    return a if np.isnan(a) or a >= b else b


COLUMNS = ("finite differences", "torch output", "torch grads")


def format_row(row):
    errors = [f"{row.errors[c]:.1e}" if c in row.errors else "n/a" for c in COLUMNS]
    line = f"{row.name:<28}{row.examples:>9}" + "".join(f"{e:>14}" for e in errors)
    line += f"{row.contract_rules:>10}{'pass' if row.passed else 'FAIL':>8}"
    if row.passed:
        return line
    details = [f"    [{c.check}] {c.message}" for c in row.failures]
    return "\n".join([line, *details, f"    smallest failing example: {row.example}"])


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
        row = run_spec(variant_spec(bug, BY_NAME[bug.spec]), n_examples, seed_value)
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
    args = parse_args(argv)
    if args.self_test:
        return self_test(args.examples, args.seed)
    specs = [BY_NAME[name] for name in args.layer] if args.layer else SPECS
    print(f"{'layer':<28}{'examples':>9}" + "".join(f"{c:>14}" for c in ("finite-diff", "torch out",
                                                                           "torch grads")) + f"{'contract':>10}{'verdict':>8}")
    rows = []
    for spec in specs:
        rows.append(run_spec(spec, args.examples, args.seed))
        print(format_row(rows[-1]), flush=True)
    failed = [row.name for row in rows if not row.passed]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} layers pass"
          + (f"; failing: {', '.join(failed)}" if failed else "")
          + f" (seed {args.seed}, {args.examples} examples each; errors are the largest |analytic - reference|;\n contract is the number of contract rules checked per example)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
