"""Gradient checks for NumPy layers: declare a layer once, check it everywhere.

The public surface is this module's __all__, documented in the README ("Your own
layers"):

    Spec, Floats, FloatTargets, Labels, OneHot   declare a layer: how to build it, its inputs
    Twin                                         its PyTorch equivalent and the parameter map
    Tolerance                                    a finite-difference tolerance override
    check_layer(spec, examples=50, seed=0)       check it; AssertionError with the report if it fails
    check(MyLayer, like="FC")                    a layer written elsewhere (a class, a function pair),
                                                 from a notebook: a CheckResult (.passed, the report)

Everything else is internal and may change:

    _spec/      the declarations behind the names above, and how a project declares its specs
    _engine/    the check engine: example drawing, finite differences, the twin, the contract
    _report/    reading a failure (triage, hints, reproduction) and the command line
    _external/  `python -m reference check`: layers written elsewhere, adapted to the contract
    _builtin/   this project's own layers (scratch/) declared as specs, with their twins
    _selftest/  planted bugs the checks must catch (`python -m reference --self-test`)
    pytest_plugin.py  the pytest plugin (a pytest11 entry point)
"""
from ._api import LayerCheckFailed, check_layer
from ._check import CheckResult, check
from ._spec.spec import Floats, FloatTargets, Labels, OneHot, Spec
from ._spec.tolerances import Tolerance
from ._spec.twin import Twin

__all__ = ["Spec", "Floats", "FloatTargets", "Labels", "OneHot", "Twin", "Tolerance", "check_layer",
           "LayerCheckFailed", "check", "CheckResult"]
