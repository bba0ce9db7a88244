"""A layer written elsewhere, seen through the project's layer contract (DESIGN.md).

Two conventions are understood:
  - the project's own (`params` and `grads` dicts): the layer is used as it is;
  - the exercise's (../shared/seed/simple_rnn_exercise.txt): weights as attributes (`W`, `B`,
    `W_x`, `W_h`), gradients as `d` attributes (`dW`, `dB`, ...) set by backward, an
    optimizer whose `update(layer)` backward calls, sizes named `n_nodes1`, `n_nodes2`,
    `batch`, `n_sequences`, ...

Nothing of the user's changes: every layer checked is built here, with an initializer and
a recording optimizer passed in, and the user's class is never patched.
"""
import dataclasses
import functools
import inspect
import re
from dataclasses import dataclass

import numpy as np


class CannotAdapt(Exception):
    """The class lacks something the checks need; the message says what."""


# The exercise's names for sizes the specs draw under other names; the specs' own names
# (n_features, n_nodes, batch, ...) are matched as they are.
SIZE_ALIASES = {"n_nodes1": "n_in", "n_nodes2": "n_out", "batch_size": "batch", "n_sequences": "seq_len"}
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


@dataclass(frozen=True)
class Binding:
    """A spec parameter held by the layer as an attribute; backward sets its gradient as another."""

    param: str  # the spec's name, "W_h"
    attr: str  # the layer's attribute, "W_h" (or "w_h", "Wh")
    grad: str  # "dW_h"


def attribute_names(param):
    """The attribute names that may hold a spec parameter: W_h, w_h, Wh, wh."""
    return tuple(dict.fromkeys([param, param.lower(), param.replace("_", ""), param.lower().replace("_", "")]))


def probe_config(spec):
    """Sizes 2, 3, 4, ... (distinct, so that a shape can be named by its dimensions), the
    simplest value of every draw, seed 0."""
    config = {name: size for size, name in enumerate(spec.dim_names, start=2)}
    if spec.draws:
        from hypothesis import find, settings  # only here: a spec without draws needs no hypothesis
        from hypothesis import strategies as st

        config.update(find(st.fixed_dictionaries(dict(spec.draws)), lambda _: True, settings=settings(database=None)))
    return {**config, "seed": 0, "rng": np.random.default_rng(0)}


def constructor_args(cls, config, optimizer):
    """(positional, keyword, {argument: where its value comes from}) for cls(...), by parameter name."""
    positional, keywords, sources = [], {}, {}
    for name, param in inspect.signature(cls).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        size = name if name in config else SIZE_ALIASES.get(name)
        if size in config:
            value, sources[name] = config[size], size
        elif name == "initializer":
            value, sources[name] = GaussianInitializer(config["rng"]), INITIALIZER
        elif name == "optimizer":
            value, sources[name] = optimizer, OPTIMIZER
        elif param.default is not param.empty:
            continue
        else:
            known = [*config, *(k for k, size in SIZE_ALIASES.items() if size in config), "initializer", "optimizer"]
            raise CannotAdapt(f"{cls.__name__}.__init__ needs {name!r}, which the checks cannot fill; "
                              f"they fill arguments named {', '.join(known)}")
        if param.kind == param.POSITIONAL_ONLY:
            positional.append(value)
        else:
            keywords[name] = value
    return positional, keywords, sources


def build_user_layer(cls, config, optimizer=None):
    positional, keywords, _ = constructor_args(cls, config, optimizer or RecordingOptimizer())
    return cls(*positional, **keywords)


def fitted_spec(spec, layer, registered):
    """`spec`, or the registered variant with only the leading inputs layer.forward takes
    (SimpleRNN-no-h0 for a forward(X)); CannotAdapt if there is none."""
    params = list(inspect.signature(layer.forward).parameters.values())
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return spec
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p.name for p in positional if p.default is p.empty]
    names, owner = list(spec.inputs), type(layer).__name__
    takes = f"{owner}.forward takes ({', '.join(p.name for p in positional)})"
    if len(required) > len(names):
        raise CannotAdapt(f"{takes}; {spec.name} passes only ({', '.join(names)})")
    if len(positional) >= len(names):
        return spec
    wanted = names[:len(positional)]
    for other in registered:
        if other.cls is spec.cls and list(other.inputs) == wanted:
            return other
    raise CannotAdapt(f"{takes}; {spec.name} passes ({', '.join(names)}) and no registered spec passes "
                      f"only ({', '.join(wanted)})")


def argument_names(layer, spec):
    """{"forward": [(the layer's name, the spec's name)], "backward": [...]}, by position."""
    def names(method, spec_names):
        own = [p.name for p in inspect.signature(getattr(layer, method)).parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return list(zip(own, spec_names))
    return {"forward": names("forward", list(spec.inputs)), "backward": names("backward", ["dout"])}


def find_bindings(layer, param_names, spec_name):
    """A Binding per spec parameter; CannotAdapt naming the ones the layer has no attribute for."""
    bindings, missing = [], []
    for param in param_names:
        found = [a for a in attribute_names(param) if isinstance(getattr(layer, a, None), np.ndarray)]
        if found:
            bindings.append(Binding(param, found[0], "d" + found[0]))
        else:
            missing.append(f"{param} (looked for {', '.join(attribute_names(param))})")
    if missing:
        owner = type(layer).__name__
        arrays = [k for k, v in vars(layer).items() if isinstance(v, np.ndarray)] or ["none"]
        raise CannotAdapt(f"{owner} has no array attribute for {spec_name}'s parameter "
                          f"{'; '.join(missing)}; its array attributes: {', '.join(arrays)}")
    return bindings


def _mention(exc, renames):
    """Add the spec's name of every argument the layer's error message names by its own name
    ("FC: X must be finite (X is x)"), so that the contract can find the argument."""
    message = str(exc)
    said = [f"{own} is {name}" for own, name in renames
            if own != name and re.search(rf"\b{re.escape(own)}\b", message)]
    if said:
        exc.args = (f"{message} ({', '.join(said)})",)


class Adapted:
    """The user's layer behind the contract: params/grads dicts, forward(**inputs), backward(dout).

    params hold the weights in the spec's shapes (reshaped where the sizes agree, else kept in
    the layer's own shape, so that the checks report the shape). Before every call they are set
    on the layer as views in its own shapes; after it, what the layer holds is read back, so
    that a weight changed inside the layer shows as a change of params.
    A subclass named after the user's class is made per check, so that messages name it.
    """

    def __init__(self, layer, bindings, shapes, recorder, renames):
        self.layer, self.bindings, self.recorder, self.renames = layer, bindings, recorder, renames
        self.own_shapes = {b.param: np.shape(getattr(layer, b.attr)) for b in bindings}
        self.params = {b.param: _fitted(np.array(getattr(layer, b.attr), dtype=np.float64), shapes[b.param])
                       for b in bindings}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    @property
    def dinputs(self):
        return getattr(self.layer, "dinputs", {})

    def forward(self, **inputs):
        return self._call("forward", *inputs.values())

    def backward(self, *dout):
        self.recorder.calls.clear()
        dx = self._call("backward", *dout)
        self.grads = {b.param: self._gradient(b) for b in self.bindings}
        return dx

    def _call(self, method, *args):
        for b in self.bindings:
            setattr(self.layer, b.attr, self.params[b.param].reshape(self.own_shapes[b.param]))
        try:
            return getattr(self.layer, method)(*args)
        except Exception as exc:
            _mention(exc, self.renames[method])
            raise
        finally:
            self._read_back(method)

    def _read_back(self, method):
        for b in self.bindings:
            value, param = getattr(self.layer, b.attr, None), self.params[b.param]
            if np.size(value) != param.size:
                raise ValueError(f"{type(self).__name__}: {method} replaced {b.attr} of shape "
                                 f"{self.own_shapes[b.param]} by {_describe(value)}")
            param[...] = np.reshape(value, param.shape)

    def _gradient(self, binding):
        recorded = [call[binding.grad] for call in self.recorder.calls if binding.grad in call]
        value = sum(recorded) if recorded else getattr(self.layer, binding.grad, None)
        if value is None:
            raise LookupError(f"{type(self).__name__}.backward set no {binding.grad} (the gradient of "
                              f"{binding.attr}) and passed none to optimizer.update")
        return _fitted(np.array(value), self.params[binding.param].shape)


def _fitted(value, shape):
    """value reshaped to `shape` if it has that many elements, else as it is."""
    return value.reshape(shape) if value.size == int(np.prod(shape)) else value


def _describe(value):
    return f"shape {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__


def describe_shape(shape, config):
    """(2, 5) -> "(n_features, n_nodes)" with the probe's sizes; sizes no dimension has stay numbers."""
    names = {v: k for k, v in config.items() if isinstance(v, int) and not isinstance(v, bool) and v >= 2}
    parts = [names.get(n, str(n)) for n in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def expect_methods(cls):
    """CannotAdapt unless cls has forward and backward (known before any spec is loaded)."""
    missing = [m for m in ("forward", "backward") if not callable(getattr(cls, m, None))]
    if missing:
        raise CannotAdapt(f"{cls.__name__} has no {' and no '.join(missing)} method; the checks call "
                          f"forward(x, ...) and backward(dout)")


def adapt(cls, spec, registered, name):
    """(the spec the checks run, the registered name it is checked like, notes saying what was
    mapped); CannotAdapt if cls lacks something.

    The spec is `spec` (or its registered variant with fewer inputs, see fitted_spec) renamed
    `name`, with a build that constructs cls from the drawn sizes (and wraps it in an Adapted
    subclass unless it follows the contract). `name` must not be a registered name, so that
    nothing mistakes the layer for the project's own (a reproduction snippet rebuilds a
    registered name from the registry).
    """
    owner = cls.__name__
    expect_methods(cls)
    # Whether every constructor argument can be filled is known from names alone, before
    # any value is drawn (that needs hypothesis for the spec's draws).
    constructor_args(cls, dict.fromkeys([*spec.dim_names, *spec.draws, "seed", "rng"]), RecordingOptimizer())
    config = probe_config(spec)
    _, _, sources = constructor_args(cls, config, RecordingOptimizer())
    try:
        probe = build_user_layer(cls, config)
    except Exception as exc:  # noqa: BLE001 - the user's constructor: say what it raised, no traceback
        raise CannotAdapt(f"{owner}({_arguments(sources)}) raised {type(exc).__name__}: {exc}") from None
    fitted = fitted_spec(spec, probe, registered)
    notes = [f"built as {owner}({_arguments(sources)})"]
    if fitted is not spec:
        dropped = ", ".join(k for k in spec.inputs if k not in fitted.inputs)
        notes.append(f"{owner}.forward takes no {dropped}: checked like {fitted.name}")
    reference_params = fitted.build(config).params
    if isinstance(getattr(probe, "params", None), dict) and isinstance(getattr(probe, "grads", None), dict):
        if set(probe.params) != set(reference_params):
            raise CannotAdapt(f"{owner}.params has {sorted(probe.params)}; {fitted.name}'s are "
                              f"{sorted(reference_params)}")
        notes.append(f"{owner} keeps params and grads dicts (the project's contract): used as it is")
        build = functools.partial(build_user_layer, cls)
    else:
        bindings = find_bindings(probe, list(reference_params), fitted.name)
        notes += _binding_notes(owner, fitted, bindings, probe, reference_params, config)
        renames = argument_names(probe, fitted)
        notes += _argument_notes(renames, bindings, OPTIMIZER in sources.values())
        build = _adapted_build(cls, fitted, bindings, renames)
    return dataclasses.replace(fitted, name=name, cls=cls, build=build), fitted.name, notes


def _adapted_build(cls, spec, bindings, renames):
    """config -> the user's layer built from it, in an Adapted subclass named after cls."""
    adapter = type(cls.__name__, (Adapted,), {"__doc__": f"{cls.__name__} adapted to the layer contract"})

    def build(config):
        recorder = RecordingOptimizer(b.grad for b in bindings)
        layer = build_user_layer(cls, config, recorder)
        shapes = {k: v.shape for k, v in spec.build({**config, "rng": np.random.default_rng(0)}).params.items()}
        return adapter(layer, bindings, shapes, recorder, renames)

    return build


def _arguments(sources):
    return ", ".join(f"{name}={source}" for name, source in sources.items())


def _binding_notes(owner, spec, bindings, probe, reference_params, config):
    notes = []
    for b in bindings:
        own, wanted = np.shape(getattr(probe, b.attr)), reference_params[b.param].shape
        line = f"param {b.param} = {owner}.{b.attr} {describe_shape(own, config)}"
        if own != wanted and np.prod(own) == np.prod(wanted):
            line += f", reshaped to {describe_shape(wanted, config)}"
        elif own != wanted:
            line += (f": {spec.name}'s {b.param} is {describe_shape(wanted, config)}, another size, so it "
                     f"is kept as it is and the checks compare shapes")
        notes.append(f"{line}; gradient {owner}.{b.grad}")
    return notes


def _argument_notes(renames, bindings, optimizer_passed):
    notes = []
    renamed = [f"{own} is {name}" for own, name in renames["forward"] + renames["backward"] if own != name]
    if renamed:
        notes.append(f"arguments: {', '.join(renamed)}")
    if optimizer_passed and bindings:
        notes.append(f"gradients: {', '.join(b.grad for b in bindings)} as backward passes them to "
                     f"optimizer.update, summed over its calls (the recording optimizer changes no weight), "
                     f"else as backward leaves them")
    return notes
