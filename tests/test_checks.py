"""Every generic check on every registered layer, at examples hypothesis draws.

Test ids read `test_layer_passes[SimpleRNN-finite_differences]`.
"""
import pytest
from hypothesis import given, strategies as st

from reference.checks import CHECKS
from reference.registry import SPECS
from reference.strategies import examples

CASES = [pytest.param(spec, check, id=f"{spec.name}-{check.name}")
         for spec in SPECS for check in CHECKS if check.applies(spec)]


@pytest.mark.parametrize("spec, check", CASES)
@given(data=st.data())
def test_layer_passes(spec, check, data):
    example = data.draw(examples(spec), label="example")
    failures = [c for c in check.run(example) if not c.ok]
    if failures:
        pytest.fail("\n".join(str(c) for c in failures), pytrace=False)
