"""Every registered layer refuses a bad size at construction, naming itself and the argument.

Driven by the registry: for each spec, each of its `layer_dims` that is a parameter of
the layer's constructor (FC's n_in and n_out, Conv2d's in_channels, ...) is set to 0 and
to 2.5 in turn; building must raise ValueError with the whole message the shared
validator writes, and a layer added to the registry is covered without a new test.
"""
import inspect
import re

import numpy as np
import pytest

from reference._builtin.specs import SPECS

CASES = [pytest.param(spec, dim, id=f"{spec.name}-{dim}")
         for spec in SPECS
         for dim in spec.layer_dims
         if dim in inspect.signature(spec.cls.__init__).parameters]


def _config(spec, **changed):
    sizes = {name: 3 for name in spec.dim_names}
    draws = {name: strategy.example() for name, strategy in spec.draws.items()}
    return {**sizes, **draws, "seed": 0, "rng": np.random.default_rng(0), **changed}


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
@pytest.mark.parametrize("spec, dim", CASES)
@pytest.mark.parametrize("bad", [0, 2.5])
def test_layer_refuses_a_bad_size(spec, dim, bad):
    message = f"{spec.cls.__name__}: {dim} must be a positive integer, got {bad!r}"
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        spec.build(_config(spec, **{dim: bad}))


def test_every_layer_with_sizes_is_covered():
    covered = {spec.cls for spec, _ in (case.values for case in CASES)}
    sized = {spec.cls for spec in SPECS if spec.layer_dims and spec.cls.__name__ != "Sequential"}
    assert sized <= covered, f"layers whose sizes are not constructor arguments: {sized - covered}"
