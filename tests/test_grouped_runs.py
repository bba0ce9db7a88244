"""run_groups: the rows of several groups of checks from one run of hypothesis (each example
drawn once) are the rows each group's own run_spec gives."""
import dataclasses

import pytest

from reference._builtin.specs import BY_NAME
from reference._engine.verdict import run_groups, run_spec
from reference._external.command import groups
from reference._selftest.planted import CATALOG, variant_spec

GROUPS = [checks for _, checks in groups()]  # gradients, contract, advice: as `check` runs them


def _relu_at_kink():
    # no kink margin: where hypothesis puts an element at 0, central differences see half the
    # slope and the gradients group redraws that example, which the other groups keep
    relu = BY_NAME["ReLU"]
    return dataclasses.replace(relu, name="ReLU-at-kink", inputs={"x": dataclasses.replace(relu.inputs["x"], kinks=())})


def _planted(name):
    bug = next(b for b in CATALOG if b.name == name)
    return variant_spec(bug, BY_NAME[bug.spec])


def _said(row):
    """Everything a row reports, in comparable form."""
    return {**{f.name: getattr(row, f.name) for f in dataclasses.fields(row) if f.name not in ("failures", "results",
                                                                                              "example")},
            "failures": [str(c) for c in row.failures], "results": [str(c) for c in row.results],
            "example": repr(row.example)}


# (spec, examples, whether each group passes, whether the gradients group redraws)
@pytest.mark.parametrize("spec, n_examples, passed, redraws", [
    (BY_NAME["FC"], 10, [True, True, True], False),
    (_relu_at_kink(), 30, [True, True, True], True),
    (_planted("rnn-grads-over-batch"), 10, [False, True, True], False),
    (_planted("rnn-carries-state"), 10, [False, False, True], False),
    (_planted("no-validation"), 10, [True, True, False], False),
])
def test_each_group_gets_the_row_of_its_own_run(spec, n_examples, passed, redraws):
    together = run_groups(spec, n_examples, 0, GROUPS)
    alone = [run_spec(spec, n_examples, 0, checks) for checks in GROUPS]
    assert [_said(row) for row in together] == [_said(row) for row in alone]
    # what the comparison rests on: the cases fail where they should, and one group redraws
    # examples the others keep
    assert [row.passed for row in together] == passed
    assert (together[0].redrawn > 0, together[1].redrawn) == (redraws, 0)
