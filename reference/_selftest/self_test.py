"""`python -m reference --self-test`: every planted bug must be caught."""
import numpy as np

from .._engine.verdict import run_spec
from .._spec.project import builtin_specs
from .built_layers import BY_LAYER
from .initializer_stats import check_built, check_initializer
from .planted import CATALOG, variant_spec
from .planted_initializers import BUILT_CATALOG, INITIALIZER_CATALOG


def self_test(n_examples, seed_value):
    """Run the generic checks on every planted variant and the statistics on every planted
    initializer; print which checks caught each. 0 if every one is caught, else 1."""
    by_name = {spec.name: spec for spec in builtin_specs()}
    print(f"{'planted bug':<30}{'checked as':<30}{'verdict':<9}caught by")
    outcomes = []  # (name, caught)
    for bug in CATALOG:
        row = run_spec(variant_spec(bug, by_name[bug.spec]), n_examples, seed_value, explain=False)
        outcomes.append(_print_outcome(bug, bug.spec, bool(row.failures), ", ".join(sorted(row.caught_by))))
    for bug in INITIALIZER_CATALOG:
        failures = check_initializer(bug.make, bug.rule, seed=seed_value)
        checked_as = type(bug.make(np.random.default_rng(0))).__mro__[1].__name__
        outcomes.append(_print_outcome(bug, checked_as, bool(failures), "initializer_statistics"))
    for bug in BUILT_CATALOG:
        failures = check_built(BY_LAYER[bug.layer], bug.cls, bug.make, bug.rule, seed=seed_value)
        checked_as = f"{bug.layer}, {bug.make.__name__}"
        outcomes.append(_print_outcome(bug, checked_as, bool(failures), "initializer_statistics_as_built"))
    escaped = [name for name, caught in outcomes if not caught]
    caught = len(outcomes) - len(escaped)
    print(f"caught {caught} of {len(outcomes)} planted bugs ({100 * caught / len(outcomes):.0f}%)"
          + (f"; escaped: {', '.join(escaped)}" if escaped else "")
          + f" (seed {seed_value}, up to {n_examples} examples each)")
    return 1 if escaped else 0


def _print_outcome(bug, checked_as, caught, caught_by):
    print(f"{bug.name:<30}{checked_as:<30}{'caught' if caught else 'ESCAPED':<9}{caught_by if caught else ''}")
    print(f"{'':<4}{bug.description}")
    return bug.name, caught
