"""Every generic check on every registered layer, at examples hypothesis draws.

One test per layer, `test_layer_passes[SimpleRNN]`, runs every check of
reference/checks.py on each drawn example: drawing a whole example (sizes, parameters,
inputs, element by element) costs more than most checks, so it is drawn once for all of
them. A failure names each check that failed: `[finite_differences] SimpleRNN: param W_h ...`.
"""
import pytest
from hypothesis import given, strategies as st

from reference.checks import run_checks
from reference.registry import SPECS
from reference.strategies import examples


@pytest.mark.parametrize("spec", SPECS, ids=str)
@given(data=st.data())
def test_layer_passes(spec, data):
    example = data.draw(examples(spec), label="example")
    failures = [c for c in run_checks(example) if not c.ok]
    if failures:
        pytest.fail("\n".join(f"{c.by}: {c}" for c in failures), pytrace=False)
