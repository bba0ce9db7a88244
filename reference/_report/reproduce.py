"""Reproduce a failing example without hypothesis: a snippet with the exact arrays.

`snippet(example)` writes Python that rebuilds the example (sizes, hyperparameters,
seed, parameters, inputs) and reruns every check on it through `rerun`, printing the
same localised report. Floats are written with repr, which round-trips exactly.
"""
import copy

import numpy as np

from .._engine.outputs import built
from .._engine.strategies import Example, freeze_randomness

MAX_PRINTED = 400  # elements; beyond this the snippet reruns by seed instead


def build_example(spec, sizes, seed, params, args):
    """The Example hypothesis would have drawn with these values (same G, same masks)."""
    config = {**sizes, "seed": seed, "rng": np.random.default_rng(seed)}
    layer = built(spec, config)
    for name, value in params.items():
        layer.params[name][...] = value
    probe = copy.deepcopy(layer)
    freeze_randomness(probe, seed)
    out = probe.forward(**copy.deepcopy(args))
    upstream = np.random.default_rng([seed, 1]).standard_normal(np.shape(out))
    return Example(spec, config, seed, layer, args, upstream)


def example_at(spec, sizes, seed=0):
    """An Example at fixed sizes (benchmarks, size-specific tests): parameters uniform in
    [-0.5, 0.5], Floats inputs uniform in [-1, 1], float64."""
    rng = np.random.default_rng(seed)
    layer = built(spec, {**sizes, "seed": seed, "rng": rng})
    params = {k: rng.uniform(-0.5, 0.5, v.shape) for k, v in layer.params.items()}
    args = {k: rng.uniform(-1, 1, tuple(sizes[d] for d in decl.dims)) for k, decl in spec.inputs.items()}
    return build_example(spec, sizes, seed, params, args)


def rerun(spec_name, sizes, seed, params, args):
    """Run every check on the rebuilt example; return the report text ("" if it passes).
    The spec is looked up by name (the project's, the built-in ones, planted variants)."""
    from .._engine.checks import run_checks
    from .._spec.project import find_spec
    from .explain import explain

    spec = find_spec(spec_name)
    if spec is None:
        raise LookupError(f"no spec named {spec_name!r} here: run this from the project that declares it")
    example = build_example(spec, sizes, seed, params, args)
    return explain(run_checks(example), example)


def _array(value):
    value = np.asarray(value)
    return f"np.array({value.tolist()!r}, dtype=np.{value.dtype})"


def snippet(example):
    """Python that rebuilds `example` and reruns every check on it; "" when the arrays are too
    large to print or the spec cannot be found again by its name."""
    spec = example.spec
    sizes = {k: v for k, v in example.config.items() if k not in ("rng", "seed")}
    drawn = {} if example.layer is None else example.layer.params  # None: the build raised
    if sum(np.size(v) for v in [*drawn.values(), *example.args.values()]) > MAX_PRINTED or not _findable(spec):
        return ""
    params = "{" + ", ".join(f"{k!r}: {_array(v)}" for k, v in drawn.items()) + "}"
    args = "{" + ", ".join(f"{k!r}: {_array(v)}" for k, v in example.args.items()) + "}"
    return "\n".join([
        "import numpy as np",
        "from reference._report.reproduce import rerun",
        f"print(rerun({spec.name!r}, sizes={sizes!r}, seed={example.seed},",
        f"            params={params},",
        f"            args={args}))",
    ])


def _findable(spec):
    """The snippet finds the spec by its name: only a spec the run could look up again."""
    from .._spec.project import SpecsError, find_spec

    try:
        return find_spec(spec.name) is not None
    except SpecsError:
        return False
