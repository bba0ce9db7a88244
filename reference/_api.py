"""check_layer: one spec, checked as the main job checks it, from any test runner or a notebook."""
from ._spec.spec import Spec


class LayerCheckFailed(AssertionError):
    """A layer failed its checks; str() is the main job's report (triage, worst elements,
    hints, every failing tensor, the reproduction)."""


def check_layer(spec, examples=50, seed=0, *, shrink=True):
    """Check `spec` on `examples` examples drawn from `seed`: finite differences, the PyTorch
    twin and the layer contract, as `python -m reference` does.

    Returns the verdict row as text (the main job's table row, with its header). Raises
    LayerCheckFailed, an AssertionError, whose message is the main job's report, if any check
    fails. shrink=False reports the first failing example instead of the smallest.
    """
    from ._engine.verdict import run_spec
    from ._report.table import HEADER, format_row

    if not isinstance(spec, Spec):
        raise TypeError(f"check_layer: spec must be a reference.Spec, got {type(spec).__name__}")
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise ValueError(f"check_layer: examples must be a positive int, got {examples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"check_layer: seed must be an int, got {seed!r}")
    row = run_spec(spec, examples, seed, shrink=shrink)
    row.rerun = _rerun_command(spec, examples, seed)
    text = format_row(row)
    if not row.passed:
        raise LayerCheckFailed(f"{HEADER}\n{text}")
    return f"{HEADER}\n{text}"


def _rerun_command(spec, examples, seed):
    """The main job's command for this spec where the project declares it, else the call."""
    from ._spec.project import SpecsError, find_spec

    try:
        declared = find_spec(spec.name) is not None
    except SpecsError:
        declared = False
    if declared:
        return f"python -m reference --layer {spec.name} --seed {seed} --examples {examples}"
    return f"check_layer(<the spec {spec.name}>, examples={examples}, seed={seed})"
