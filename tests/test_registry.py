"""Every public layer class of scratch has a spec; every spec is well formed."""
import inspect

import scratch
from reference._builtin.specs import SPECS


def public_layer_classes():
    classes = (getattr(scratch, name) for name in scratch.__all__)
    return [c for c in classes if inspect.isclass(c) and hasattr(c, "forward") and hasattr(c, "backward")]


def test_every_public_layer_has_a_spec():
    covered = {spec.cls for spec in SPECS}
    missing = [c.__name__ for c in public_layer_classes() if c not in covered]
    assert not missing, (
        f"no spec for {missing}: add a Spec(...) entry to reference/registry.py "
        "(see README, 'Adding a layer')")


def test_layer_classes_are_found():
    # Guards the test above against passing vacuously if discovery broke.
    assert {"FC", "SimpleRNN", "Softmax", "SoftmaxCrossEntropy"} <= {c.__name__ for c in public_layer_classes()}


def test_spec_names_are_unique():
    names = [spec.name for spec in SPECS]
    assert len(names) == len(set(names))
