"""The harness catches bugs: every planted variant fails the generic checks, and each check
is the only one to catch some variant (remove it and that variant escapes); every planted
initializer fails the statistics, and every layer planted with the wrong fans fails them as
built, and only as built."""
import pytest

from reference._engine.checks import CHECKS
from reference._selftest.built_layers import BY_LAYER
from reference._selftest.initializer_stats import check_built, check_initializer
from reference._selftest.planted import CATALOG, Planted, variant_spec
from reference._selftest.planted_initializers import BUILT_CATALOG, INITIALIZER_CATALOG
from reference._builtin.specs import BY_NAME
from reference._engine.verdict import run_spec

EXAMPLES, SEED = 20, 0


@pytest.mark.parametrize("bug", CATALOG, ids=lambda bug: bug.name)
def test_planted_bug_is_caught(bug):
    row = run_spec(variant_spec(bug, BY_NAME[bug.spec]), EXAMPLES, SEED, explain=False)
    assert row.failures, f"planted bug {bug.name!r} ({bug.description}) escaped {row.examples} examples"
    if bug.only:
        assert row.caught_by == {bug.only}, [str(c) for c in row.failures]


@pytest.mark.parametrize("bug", INITIALIZER_CATALOG, ids=lambda bug: bug.name)
def test_planted_initializer_is_caught(bug):
    assert check_initializer(bug.make, bug.rule), f"planted initializer {bug.name!r} ({bug.description}) escaped"


@pytest.mark.parametrize("bug", BUILT_CATALOG, ids=lambda bug: bug.name)
def test_planted_layer_is_caught_as_built_alone(bug):
    built = BY_LAYER[bug.layer]
    assert check_built(built, bug.cls, bug.make, bug.rule), f"{bug.name} ({bug.description}) escaped"
    # Without the statistics as built it escapes: the initializer alone is right, and the
    # generic checks redraw every parameter (strategies.examples).
    assert not check_initializer(bug.make, bug.rule)
    as_planted = Planted(bug.name, bug.layer, bug.description, bug.cls)
    assert not run_spec(variant_spec(as_planted, BY_NAME[bug.layer]), EXAMPLES, SEED).failures


@pytest.mark.parametrize("check", CHECKS, ids=str)
def test_every_check_earns_its_place(check):
    bugs = [bug for bug in CATALOG if bug.only == check.name]
    assert bugs, f"no planted bug is caught by {check.name} alone: add one (only={check.name!r}) or drop the check"
    without = tuple(c for c in CHECKS if c is not check)
    for bug in bugs:
        row = run_spec(variant_spec(bug, BY_NAME[bug.spec]), EXAMPLES, SEED, checks=without)
        assert not row.failures, f"{bug.name} is also caught without {check.name}: {row.failures[0]}"
