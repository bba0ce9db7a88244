"""Building a layer written elsewhere from the spec's drawn sizes (internal).

Constructor arguments are filled by name: the drawn sizes (under the spec's names, or the
exercise's: n_nodes1 is n_in, ...), `initializer` (the exercise's interface), `optimizer`
(a recording one), and the weights themselves for a constructor that takes them
(`Affine(W, b)`, `TimeRNN(Wx, Wh, b)`): an array of the spec's shape for each argument named
after a spec parameter, which the checks redraw anyway.
"""
import inspect

import numpy as np

from .holders import same_name


class CannotAdapt(Exception):
    """The class lacks something the checks need; the message says what."""


# Other code's names for sizes the specs draw under other names, each with the spec names it
# may be, the first one drawn wins (numpy-ml's n_out is a cell's n_nodes, an embedding's
# dim); the specs' own names (n_features, n_nodes, batch, ...) are matched as they are.
SIZE_ALIASES = {"n_nodes1": ("n_in",), "n_nodes2": ("n_out",), "batch_size": ("batch",), "n_sequences": ("seq_len",),
                "dropout_ratio": ("p",), "drop_prob": ("p",), "pad": ("padding",),
                "n_out": ("n_nodes", "dim", "out_channels"), "n_in": ("n_features", "in_channels"),
                "vocab_size": ("n_embeddings",), "hidden_size": ("n_nodes",), "input_size": ("n_features",)}


def size_name(name, config):
    """The drawn size a constructor argument `name` is, or None."""
    if name in config:
        return name
    return next((size for size in SIZE_ALIASES.get(name, ()) if size in config), None)
# A constructor's name for one axis of a size the specs draw per axis (kernel_size (kh, kw)).
AXIS_ALIASES = {"pool_h": ("kernel_size", 0), "pool_w": ("kernel_size", 1),
                "pool_height": ("kernel_size", 0), "pool_width": ("kernel_size", 1)}


def _axis(value, index):
    """One axis of a per-axis value (an int is the same on every axis; None for names only)."""
    return value[index] if isinstance(value, (tuple, list)) else value
INITIALIZER = "a Gaussian initializer (values redrawn by the checks)"
OPTIMIZER = "a recording optimizer"


class GaussianInitializer:
    """Passed as the layer's initializer, in the exercise's interface: W(n_in, n_out) and
    B(n_out), small Gaussian values from the example's generator. The checks redraw every
    parameter anyway; this only gives the layer arrays of the right shapes."""

    def __init__(self, rng, sigma=0.01):
        self.rng, self.sigma = rng, sigma

    def W(self, *shape):
        return self.sigma * self.rng.standard_normal(shape)

    def B(self, *shape):
        return self.sigma * self.rng.standard_normal(shape)


class RecordingOptimizer:
    """Passed as the layer's optimizer: update(layer) records the gradient attributes in
    `watched` and never changes a weight.

    The gradient of one backward is the sum over its update calls: what an SGD step with
    learning rate lr would subtract, divided by lr, as lr -> 0 (no step feeds back into the
    rest of backward, so an update at every time step still sums to the whole gradient).
    """

    def __init__(self, watched=()):
        self.watched = tuple(watched)
        self.calls = []

    def update(self, layer):
        self.calls.append({a: np.array(getattr(layer, a)) for a in self.watched
                           if getattr(layer, a, None) is not None})
        return layer


def probe_config(spec):
    """Sizes 2, 3, 4, ... (distinct, so that a shape can be named by its dimensions), the
    simplest value of every draw, seed 0; where the spec's assume refuses those (draws
    restricted from the command line: a window larger than the input), the first sizes and
    draws it allows that a few draws find, if any."""
    config = {name: size for size, name in enumerate(spec.dim_names, start=2)}
    if spec.draws:
        config.update(simplest_draws(spec))
        if not _allows(spec, config):
            config = _allowed_config(spec, config)
    return {**config, "seed": 0, "rng": np.random.default_rng(0)}


def simplest_draws(spec):
    """{name: the simplest value} of every draw of the spec (hyperparameters, restricted sizes):
    the first example hypothesis draws, its simplest (found, not shrunk: shrinking an example
    every value accepts tried hundreds more, for the same answer)."""
    from hypothesis import HealthCheck, Phase, find, settings  # only here: a spec without draws needs no hypothesis
    from hypothesis import strategies as st

    return find(st.fixed_dictionaries(dict(spec.draws)), lambda _: True,
                settings=settings(database=None, max_examples=20, phases=(Phase.generate,),
                                  suppress_health_check=list(HealthCheck)))


def _allows(spec, config):
    """Whether spec.assume allows config (True without an assume, or if it raises: the
    checks' draws then say why)."""
    try:
        return spec.assume is None or bool(spec.assume(dict(config)))
    except Exception:  # noqa: BLE001 - the spec's own function
        return True


def _allowed_config(spec, config):
    """The first sizes and draws spec.assume allows among a few drawn; `config` if none."""
    from hypothesis import HealthCheck, Phase, find, settings

    from .._engine.strategies import configs

    try:  # assume as find's condition, not a filter: hypothesis gives up on a filter after hundreds refused
        return find(configs(spec, filtered=False), spec.assume,
                    settings=settings(database=None, max_examples=50, phases=(Phase.generate,),
                                      suppress_health_check=list(HealthCheck)))
    except Exception:  # noqa: BLE001 - NoSuchExample, or the spec's assume raising: the probe's own sizes then
        return config


def probe_inputs(spec, config, rng):
    """{input: a value} for one call at the probe's sizes: floats uniform in [-1, 1], labels
    drawn among the classes, one-hot rows."""
    from .._spec.spec import Floats, Labels

    args = {}
    for name, decl in spec.inputs.items():
        shape = tuple(config[d] if isinstance(d, str) else d for d in decl.dims)
        if isinstance(decl, Floats):
            args[name] = rng.uniform(-1.0, 1.0, shape)
        elif isinstance(decl, Labels):
            args[name] = rng.integers(0, config[decl.classes], shape)
        else:  # OneHot
            args[name] = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
    return args


def param_shapes(spec, config):
    """{spec parameter: shape} of the spec's own layer at these sizes."""
    return {k: np.shape(v) for k, v in spec.build({**config, "rng": np.random.default_rng(0)}).params.items()}


class _Simplest:
    """Stands in for hypothesis.strategies in a LazyDraws maker, giving a value of each
    strategy without hypothesis: enough to learn the names of a spec's parameters."""

    integers = floats = staticmethod(lambda low=0, high=None, **_: low)
    sampled_from = staticmethod(lambda values: list(values)[0])
    one_of = staticmethod(lambda *options: options[0])
    tuples = staticmethod(lambda *values: tuple(values))
    just = staticmethod(lambda value: value)
    none = staticmethod(lambda: None)
    booleans = staticmethod(lambda: False)


def param_names_cheaply(spec):
    """The spec's parameter names without importing hypothesis, or None if its draws need it."""
    from .._builtin.lazy import LazyDraws

    config = {name: size for size, name in enumerate(spec.dim_names, start=2)}
    if spec.draws and not isinstance(spec.draws, LazyDraws):
        return None
    try:
        config.update(spec.draws.made_with(_Simplest) if spec.draws else {})
        return list(param_shapes(spec, {**config, "seed": 0}))
    except Exception:  # noqa: BLE001 - a draw the stand-in cannot give: hypothesis will
        return None


def describe_shape(shape, config, gates=0):
    """(2, 5) -> "(n_features, n_nodes)" with the probe's sizes; sizes no dimension has stay numbers.
    A size is named by the first entry of config that has it: the dimensions come before the
    draws (a stride of 2 does not name a dimension of 2). gates: a gated layer's gate count,
    whose stacked blocks are named so ("4 n_nodes")."""
    names = {}
    for k, v in config.items():
        if isinstance(v, int) and not isinstance(v, bool) and v >= 2:
            names.setdefault(v, k)
    if gates and isinstance(config.get("n_nodes"), int):
        names.setdefault(gates * config["n_nodes"], f"{gates} n_nodes")
    parts = [names.get(n, str(n)) for n in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def weight_param(name, params):
    """The spec parameter a constructor argument named `name` is, or None."""
    return next((p for p in params if same_name(name, p)), None)


def constructor_args(cls, config, optimizer, shapes=None):
    """(positional, keyword, {argument: where its value comes from}, {spec param: the array
    passed}) for cls(...), by parameter name. `shapes`: the spec's parameter shapes (None:
    names only, any name of a parameter accepted), for a constructor that takes weights."""
    positional, keywords, sources, passed = [], {}, {}, {}
    for name, param in inspect.signature(cls).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        size = size_name(name, config)
        weight = weight_param(name, shapes or {})
        if size is not None:
            value, sources[name] = config[size], size
        elif name in AXIS_ALIASES and AXIS_ALIASES[name][0] in config:
            drawn, index = AXIS_ALIASES[name]
            value, sources[name] = _axis(config[drawn], index), f"{drawn}[{index}]"
        elif name == "initializer":
            value, sources[name] = GaussianInitializer(config["rng"]), INITIALIZER
        elif name == "optimizer":
            value, sources[name] = optimizer, OPTIMIZER
        elif weight is not None:
            shape = shapes[weight]  # None when only the names are known
            value = passed[weight] = None if shape is None else 0.01 * config["rng"].standard_normal(shape)
            sources[name] = f"an array of {weight}'s shape"
        elif param.default is not param.empty:
            continue
        else:
            known = [*config, *(k for k in SIZE_ALIASES if size_name(k, config)), "initializer", "optimizer",
                     *(f"{p} (a weight)" for p in shapes or ())]
            raise CannotAdapt(f"{cls.__name__}.__init__ needs {name!r}, which the checks cannot fill; "
                              f"they fill arguments named {', '.join(k for k in known if k not in ('seed', 'rng'))}")
        if param.kind == param.POSITIONAL_ONLY:
            positional.append(value)
        else:
            keywords[name] = value
    return positional, keywords, sources, passed


def build_user_layer(cls, config, optimizer=None, shapes=None, said=None):
    """(cls built from config, {spec param: the array passed to its constructor}). An optimizer
    argument with a default is left at it if the recording optimizer makes the constructor
    raise (numpy-ml's takes a name or its own optimizer class); `said` gets why."""
    positional, keywords, _, passed = constructor_args(cls, config, optimizer or RecordingOptimizer(), shapes)
    # a constructor drawing from np.random: the check restores the generator (adapters.global_generator_kept)
    try:
        return cls(*positional, **keywords), passed
    except Exception as exc:  # noqa: BLE001 - raised again below unless the optimizer was the cause
        default = inspect.signature(cls).parameters.get("optimizer")
        if "optimizer" not in keywords or default is None or default.default is default.empty:
            raise
        del keywords["optimizer"]
        layer = cls(*positional, **keywords)
        if said is not None:
            said.append(f"optimizer left at its default {default.default!r} (given {OPTIMIZER}, "
                        f"{cls.__name__}() raised {type(exc).__name__}: {exc})")
        return layer, passed
