"""Hypothesis strategies: sizes, values, and whole examples drawn from a spec."""
import bisect
import contextlib
import copy
import dataclasses
import functools
import itertools

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from .._spec.spec import Floats, Labels, OneHot
from .compare import rule
from .crash import raised
from .outputs import built

# Every dimension (batch, seq_len, features, nodes, classes) is drawn independently,
# so 1 is common and unequal sizes are the rule: a transpose or a wrong reduction
# axis then shows as a shape error or a wrong value.
DIM = st.integers(min_value=1, max_value=5)
# Finite differences move a value by STEP = 1e-6; staying 1e-3 away from a kink
# leaves a 1000x margin.
KINK_MARGIN = 1e-3
PARAM_VALUES = Floats(dims=(), low=-1.0, high=1.0)


def away_from_kinks(values, kinks, margin=KINK_MARGIN):
    """Move every value closer than `margin` to a kink out to the margin (same side)."""
    for kink in kinks:
        near = np.abs(values - kink) < margin
        values = np.where(near, kink + np.where(values >= kink, margin, -margin), values)
    return values


def spread_apart(values, gap=KINK_MARGIN):
    """The same values in the same order, at least `gap` apart: the k-th smallest is raised
    by k * gap (so the top of the range grows by up to size * gap)."""
    flat = values.ravel()
    order = np.argsort(flat, kind="stable")
    spread = np.empty_like(flat)
    spread[order] = flat[order] + gap * np.arange(flat.size)
    return spread.reshape(values.shape)


def at_kinks_and_ties(decl, values, rng):
    """`values` moved onto the points finite differences are kept away from: about half the
    elements exactly at a declared kink (half of those at -0.0 for a kink at 0), and for a
    distinct input every value rounded to one of three levels, so that maxima tie."""
    values = np.array(values, dtype=np.float64)
    if decl.distinct and values.size:
        low, span = values.min(), np.ptp(values)
        values = low + np.round(2.0 * (values - low) / span) * span / 2.0 if span else values
    for kink in decl.kinks:
        at = rng.random(values.shape) < 1.0 / (1 + len(decl.kinks))
        values[at] = kink
        if kink == 0.0:
            values[at & (rng.random(values.shape) < 0.5)] = -0.0
    return values


# Values are drawn by NumPy from the example's seed (which hypothesis draws), and then
# hypothesis chooses up to this many elements per array itself (its edge values: 0, the
# bounds, tiny numbers) at positions it draws over all the arrays of the example.
# Hypothesis drawing every element was half the time of a run, and its per-element draws
# start from all zeros, where many mistakes look alike; random values show them.
CHOSEN = 3
SEEDS = st.integers(0, 2**32 - 1)


@st.composite
def floats_together(draw, wanted, seed):
    """One float64 array per (Floats declaration, shape) in `wanted`, for one example: uniform
    values from a NumPy generator seeded by the example's seed, then up to CHOSEN times as
    many elements as arrays chosen by hypothesis (at positions it draws over all the arrays
    at once: two draws each, and no draw per array), then each declaration's extras."""
    rng = np.random.default_rng([seed, 4])
    arrays = [rng.uniform(decl.low, decl.high, size=shape) for decl, shape in wanted]
    ends = list(itertools.accumulate(a.size for a in arrays))
    total = ends[-1] if ends else 0
    for _ in range(draw(_integers(0, min(total, CHOSEN * len(arrays))))):
        at = draw(_integers(0, total - 1))
        k = bisect.bisect_right(ends, at)
        decl = wanted[k][0]
        arrays[k].flat[at - (ends[k - 1] if k else 0)] = draw(_values_between(decl.low, decl.high))
    return [_declared(decl, values, rng) for (decl, _), values in zip(wanted, arrays)]


def _declared(decl, values, rng):
    """The declared row offsets, extremes (about half the elements), kink margin and
    distinctness, applied to drawn values."""
    shape = values.shape
    if decl.extremes:
        extreme = rng.random(shape) < 0.5
        values[extreme] = rng.choice(decl.extremes, size=int(extreme.sum()))
    if decl.row_offsets and len(shape) >= 1:
        values = values + rng.choice(decl.row_offsets, size=shape[:-1] + (1,))
    values = away_from_kinks(values, decl.kinks)
    return spread_apart(values) if decl.distinct else values


@functools.lru_cache(maxsize=None)
def _integers(low, high):
    """st.integers(low, high), built once per range (hypothesis's own cache of strategies
    costs a tenth of a draw each time it is asked)."""
    return st.integers(low, high)


@functools.lru_cache(maxsize=None)
def _values_between(low, high):
    """The strategy of one chosen value (built once per range: building it costs more than a draw)."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def integers(draw, shape, high):
    """An int64 array of `shape` with values in [0, high), drawn by NumPy from a hypothesis seed."""
    return np.random.default_rng(draw(SEEDS)).integers(0, high, size=shape)


@st.composite
def one_hot(draw, shape):
    """Rows of shape[-1] with a single 1, at positions drawn like integers."""
    return np.eye(shape[-1])[draw(integers(shape[:-1], shape[-1]))]


@st.composite
def probabilities(draw, shape):
    """Rows of shape[-1] probabilities: about a third with exact zeros, a sixth one-hot."""
    rng = np.random.default_rng(draw(SEEDS))
    weights = rng.random(shape) ** 2
    weights[rng.random(shape) < 1 / 3] = 0.0
    hot = rng.random(shape[:-1]) < 1 / 6
    weights[hot] = np.eye(shape[-1])[rng.integers(0, shape[-1], size=int(hot.sum()))]
    empty = weights.sum(axis=-1) == 0
    weights[empty] = 1.0  # a row drawn all zero becomes uniform
    return weights / weights.sum(axis=-1, keepdims=True)


def other_values(decl, shape, config):
    """The values of an input that is not Floats (those are drawn together: floats_together)."""
    if isinstance(decl, Labels):
        return integers(shape, config[decl.classes])
    if isinstance(decl, OneHot):
        return probabilities(shape) if decl.soft else one_hot(shape)
    raise TypeError(f"unknown input declaration {decl!r}")


def shape_of(decl, config):
    return tuple(config[d] if isinstance(d, str) else d for d in decl.dims)


class Example:
    """One drawn case: a built layer with drawn parameters, drawn inputs and upstream G.

    seed: seeds the layer's generator (dropout masks) and G; the layer's generators are
    reset from it before every forward call, so every call sees the same randomness.
    failure: None, or the failed rule of an example that could not be built (the spec's
    build or the first forward raised), with what was drawn up to there.
    memo: what the checks of this example share (run.once).
    """

    def __init__(self, spec, config, seed, layer, args, upstream, failure=None):
        self.spec, self.config, self.seed = spec, config, seed
        self.layer, self.args, self.upstream = layer, args, upstream
        self.failure = failure
        self.memo = {}

    def __repr__(self):
        sizes = {k: v for k, v in self.config.items() if k not in ("rng", "seed")}
        shapes = {k: v.shape for k, v in self.args.items()}
        return f"Example({self.spec.name}, sizes={sizes}, input shapes={shapes}, seed={self.seed})"

    def fresh_layer(self):
        """An independent copy of the layer, parameters included."""
        return copy.deepcopy(self.layer)


def freeze_randomness(layer, seed):
    """Reset every generator the layer holds, so that repeated forwards agree."""
    for value in vars(layer).values():
        if isinstance(value, np.random.Generator):
            value.bit_generator.state = np.random.default_rng(seed).bit_generator.state
    inner = vars(layer).get("layer")  # the layer behind an adapter (outputs.py, the external adapter)
    if inner is not None and hasattr(inner, "__dict__"):
        freeze_randomness(inner, seed)


def configs(spec, filtered=True):
    """The sizes and draws of an example, those spec.assume refuses filtered out (unless not
    `filtered`)."""
    sizes = {name: DIM for name in spec.dim_names}
    drawn = st.fixed_dictionaries({**sizes, **spec.draws})
    return drawn if spec.assume is None or not filtered else drawn.filter(spec.assume)


def examples(spec):
    """A full Example for `spec`: sizes, hyperparameters, parameters, inputs, G."""
    # The sizes' strategy is made once per spec, not per example: hypothesis validates
    # each new strategy on its first draw, which cost as much as the draw.
    return _example(spec, configs(spec))


@st.composite
def _example(draw, spec, sizes):
    config = dict(draw(sizes))
    seed = draw(SEEDS)
    config["seed"] = seed
    config["rng"] = np.random.default_rng(seed)
    try:
        layer = built(spec, config)
    except Exception as exc:  # noqa: BLE001 - the layer's failure at these sizes is the finding
        return _unbuilt(spec, config, seed, None, {}, "building the layer", exc)
    if not spec.wrt and not layer.params:
        raise ValueError(f"spec {spec.name}: nothing to differentiate: no Floats input and no parameter")
    shapes = {}
    for name, decl in spec.inputs.items():
        shape = shape_of(decl, config)
        if getattr(decl, "any_shape", False):  # ranks 1 to 3, not only the declared one
            ranks = [shape[-1:], shape, (draw(DIM),) + shape]
            shape = draw(st.sampled_from([s for s in ranks if len(s) >= decl.min_rank]))
        shapes[name] = shape
    floats = [name for name, decl in spec.inputs.items() if isinstance(decl, Floats)]
    drawn = iter(draw(floats_together([(PARAM_VALUES, value.shape) for value in layer.params.values()]
                                      + [(spec.inputs[name], shapes[name]) for name in floats], seed)))
    for value in layer.params.values():
        value[...] = next(drawn)
    args = {name: next(drawn) if name in floats else draw(other_values(decl, shapes[name], config))
            for name, decl in spec.inputs.items()}
    probe = copy.deepcopy(layer)
    freeze_randomness(probe, seed)
    try:
        out = probe.forward(**copy.deepcopy(args))
    except Exception as exc:  # noqa: BLE001 - the layer's failure on these inputs is the finding
        return _unbuilt(spec, config, seed, layer, args, "forward on the drawn inputs", exc)
    upstream = np.random.default_rng([seed, 1]).standard_normal(np.shape(out))
    if spec.loss and layer.params:  # backward() fills the gradients of L = forward(...) itself: G = 1
        upstream = np.ones(np.shape(out))
    return Example(spec, config, seed, layer, args, upstream)


def _unbuilt(spec, config, seed, layer, args, stage, exc):
    """An Example that could not be built: its failure is the whole verdict (checks.run_checks)."""
    failure = dataclasses.replace(rule("example", spec.name, stage, False, raised(exc)), by="example")
    return Example(spec, config, seed, layer, args, None, failure)


class _Enough(Exception):
    """Raised in the test to stop hypothesis drawing: the last example kept was enough."""


def drawn_examples(spec, seed_value, n_examples, keep=lambda example: example, enough=None):
    """keep(example) for the first `n_examples` Examples hypothesis draws for `spec` at
    `seed_value`, None results left out. `keep` runs inside the test, so it may reject().
    No more are drawn once enough(kept) holds for one kept (a draw builds the layer and runs
    it once); the examples before it are the same."""
    drawn = []

    @without_database_key
    @settings(max_examples=n_examples, database=None, deadline=None, phases=(Phase.generate,),
              report_multiple_bugs=False, suppress_health_check=list(HealthCheck))
    @seed(seed_value)
    @given(examples(spec))
    def collect(example):
        if stopped:  # hypothesis draws the example that stopped it once more, to raise
            raise _Enough
        kept = keep(example)
        if kept is not None:
            drawn.append(kept)
            if enough is not None and enough(kept):
                stopped.append(True)
                raise _Enough

    stopped = []
    with own_constants_only():
        try:
            collect()
        except _Enough:
            pass
    return drawn


def nontrivial(example):
    """How many parameter and input values are not 0 or +-1e-3 close to it: hypothesis's first
    draws are zeros and ones, where round-off does not show and many mistakes look alike."""
    params = {} if example.layer is None else example.layer.params  # None: the build raised
    arrays = [*params.values(), *example.args.values()]
    return sum(int(np.count_nonzero(np.abs(np.asarray(a, dtype=float)) > 1e-3)) for a in arrays)


def without_database_key(test):
    """`test` (made by @given), with hypothesis told it has no database key. Every run of a
    check has database=None, so the key is never used, yet hypothesis makes it on every run
    by reading and tokenizing the test's source: a millisecond, on each of the hundreds of
    runs a check makes when it searches for a smaller failure. The attribute is internal to
    hypothesis: where it is ignored, the key is made as before."""
    test._hypothesis_internal_database_key = None
    return test


@contextlib.contextmanager
def own_constants_only():
    """Hypothesis draws without the literals it gathers from local source files.

    Hypothesis (since 6.131) mixes constants found in the source of every local module
    imported so far into about one draw in twenty. Which modules are imported differs
    between pytest and the command line, and an edit anywhere changes them, so the same
    seed would draw different examples there: the printed rerun command would not
    reproduce a failure, and documented outputs would change with unrelated code. Within
    this block hypothesis keeps its own constants only. The hook is internal to
    hypothesis: where it is missing, draws simply keep hypothesis's default behaviour.
    """
    try:
        from hypothesis.internal.conjecture import providers
        original, cache, empty = providers._get_local_constants, providers.CONSTANTS_CACHE.cache, providers.Constants()
    except (ImportError, AttributeError):
        yield
        return
    providers._get_local_constants = lambda: empty
    cache.clear()  # cached draws may hold local constants
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.clear()
