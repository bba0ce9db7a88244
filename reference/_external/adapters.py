"""A layer written elsewhere, seen through the project's layer contract (DESIGN.md).

The conventions understood (docs/external.md):
  - the project's own (`params` and `grads` dicts keyed as the spec): used as it is;
  - everything else through an Adapted wrapper: weights held as attributes, `params`/`grads`
    lists or dicts keyed otherwise (holders.py), built from the drawn sizes, an initializer,
    a recording optimizer or the weights themselves (construction.py); forward's and
    backward's arguments passed by position.

Nothing of the user's changes: every layer checked is built here, and the user's class is
never patched.
"""
import contextlib
import copy
import dataclasses
import functools
import inspect
import math
import re
from dataclasses import dataclass, field

import numpy as np

from .._engine.outputs import built
from . import (biases, dropout, gates, gru_formulation, layouts, losses, norms, restrict, stepping, training,
               training_conventions)
from .construction import (OPTIMIZER, CannotAdapt, RecordingOptimizer, build_user_layer, constructor_args,
                           describe_shape, param_names_cheaply, param_shapes, probe_config, probe_inputs)
from .holders import Attribute, GateBlocks, attribute_names, describe_arrays, find_holders

__all__ = ["Adaptation", "CannotAdapt", "adapt", "expect_methods", "global_generator_kept"]


@dataclass
class Adaptation:
    """What adapt found: the spec the checks run, the registered name it is checked like,
    notes saying what was mapped, the parameter names, and what the checks leave out."""

    spec: object
    like: str
    notes: list
    params: list = field(default_factory=list)
    unchecked: list = field(default_factory=list)
    state: tuple = None  # (what was checked of a stepped cell's restart, its failure or None), stepping.py


STATE_INPUTS = ("h", "c", "h0", "c0")  # a recurrent layer's state, where a layer may keep its own


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
    state = [k for k in names[len(positional):] if k in STATE_INPUTS]
    kept = (f"; a cell keeping {', '.join(state)} itself is stepped over sequences under "
            f"{', '.join(stepping.SEQUENCES)} only" if state else "")
    raise CannotAdapt(f"{takes}; {spec.name} passes ({', '.join(names)}) and no registered spec passes "
                      f"only ({', '.join(wanted)}){kept}")


def argument_names(layer, spec):
    """{"forward": [(the layer's name, the spec's name)], "backward": [...]}, by position."""
    def names(method, spec_names):
        own = [p.name for p in inspect.signature(getattr(layer, method)).parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return list(zip(own, spec_names))
    upstream = [f"d{k}" for k in spec.outputs] or ["dout"]
    backward = names("backward", upstream)
    order = _upstream_order([own for own, _ in backward], spec.outputs)
    return {"forward": names("forward", list(spec.inputs)),
            "backward": [(own, upstream[k]) for (own, _), k in zip(backward, order)], "order": order}


def _upstream_order(own, outputs):
    """For each of backward's upstream arguments, the index of the output it is named after
    (backward(dc_next, dh_next) of outputs (h, c): [1, 0]); by position unless the names say
    otherwise, one output each."""
    def stem(name):
        name = name.lower().removeprefix("d")
        for suffix in ("_next", "_prev", "next", "prev", "_t"):
            name = name.removesuffix(suffix)
        return name.strip("_")
    stems = [stem(n) for n in own]
    if len(own) == len(outputs) and sorted(stems) == sorted(outputs) and len(set(stems)) == len(stems):
        return [outputs.index(k) for k in stems]
    return list(range(len(own)))


def find_bindings(layer, shapes, spec_name, passed):
    """A holder per spec parameter (holders.py); CannotAdapt naming what the layer holds."""
    found, tried = find_holders(layer, shapes, passed)
    if found is not None:
        return [found[p] for p in shapes]
    owner = type(layer).__name__
    unfound = [p for p in shapes if not any(p in t for t in tried)] or [p for p in shapes if p not in tried[0]]
    missing = [f"{p} (looked for {', '.join(attribute_names(p))})" for p in unfound]
    per_gate = gates.weights_per_gate(layer, shapes)
    if per_gate is not None:
        held, n = per_gate
        raise CannotAdapt(f"{owner} holds a weight per gate ({held}), which are bound to {spec_name}'s W_x (n_features, "
                          f"{n}*n_nodes) and W_h (n_nodes, {n}*n_nodes) only beside a bias per gate (b and the gate's "
                          f"letter, n_nodes each) for B, and only on [h, x] in a parameters or params dict; its "
                          f"arrays: {', '.join(describe_arrays(layer))}")
    raise CannotAdapt(f"{owner} has no array attribute for {spec_name}'s parameter {'; '.join(missing)}, "
                      f"no params/grads lists and no parameters/gradients dicts holding them; "
                      f"its arrays: {', '.join(describe_arrays(layer))}")


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
    the layer's own shape, so that the checks report the shape). Before every call they are
    put where the layer holds them (holders.py), in its own shapes; after it, what the layer
    holds is read back, so that a weight changed inside the layer shows as a change of params.
    A subclass named after the user's class is made per check, so that messages name it.
    """

    wrt = ()  # the spec's differentiable inputs, in order (set per check by _adapted_build)
    accumulates = True  # a layer with flush_gradients() adds each backward's gradients (False: replaces them)

    def __init__(self, layer, holders, shapes, recorder, renames, reorder=gates.IDENTITY, seed=0):
        self.layer, self.holders, self.recorder, self.renames = layer, holders, recorder, renames
        self.seed = seed % 2**32  # NumPy's global generator is seeded with it for every forward (dropout.py)
        self.reorder = reorder  # the layer's gate order (gates.py) or weight layout (layouts.py)
        self.own_shapes = {h.param: np.shape(h.get(layer)) for h in holders}
        self.params = {h.param: self._from_layer(h.param, np.array(h.get(layer), dtype=np.float64), shapes[h.param])
                       for h in holders}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    _SHARED = ("holders", "renames", "reorder", "own_shapes")  # what adapt found: never changed

    def __deepcopy__(self, memo):
        """A copy with its own layer, weights, gradients and recorder (one memo, so that a
        layer holding the recorder as its optimizer keeps holding the copy's); what adapt
        found is shared, which was most of the cost of a copy, made for every check."""
        new = memo[id(self)] = object.__new__(type(self))
        new.__dict__.update({k: v if k in self._SHARED else copy.deepcopy(v, memo) for k, v in vars(self).items()})
        return new

    @property
    def dinputs(self):
        returned = getattr(self, "_returned", None)  # backward returned them all: (dx, dh)
        return returned if returned is not None else getattr(self.layer, "dinputs", {})

    def forward(self, **inputs):
        self._flushed = self._flushes  # until a backward: what the layer holds must be zero
        self._start()
        return self._run("forward", *inputs.values())

    def backward(self, *dout):
        if len(dout) > 1:  # each upstream to the argument named after its output
            dout = [dout[k] for k in self.renames["order"]]
        self.recorder.calls.clear()
        self._returned = None
        kept = self._kept_gradients()
        dx = self._run("backward", *dout)
        self.grads = {h.param: self._gradient(h) - kept.get(h.param, 0.0) for h in self.holders}
        if isinstance(dx, (tuple, list)):
            # a cell's backward(dh_next) -> (dx, dh_prev): every input's gradient, by position
            if len(dx) != len(self.wrt) or len(self.wrt) < 2:
                raise TypeError(f"{type(self).__name__}.backward returned {len(dx)} values; expected the gradient "
                                f"of {self.wrt[0] if self.wrt else 'nothing'} alone, or one per input "
                                f"({', '.join(self.wrt)})")
            self._returned = dict(zip(self.wrt[1:], dx[1:]))
            dx = dx[0]
        return dx

    @property
    def _flushes(self):
        return callable(getattr(self.layer, "flush_gradients", None))

    def _kept_gradients(self):
        """{param: the gradient the layer holds before a backward} for a layer that adds each
        backward's to it until flush_gradients() (numpy-ml's, as PyTorch's .grad until
        zero_grad), so that each backward is read as what it adds; {} for any other."""
        if not self._flushes or not self.accumulates:
            return {}
        owner, kept = type(self).__name__, {}
        for h in self.holders:
            value = h.gradient(self.layer, [])  # None (or absent) after a flush is no gradient yet
            kept[h.param] = 0.0 if value is None else self._gradient(h)
            if getattr(self, "_flushed", False) and np.any(kept[h.param] != 0):
                raise ValueError(f"{owner}.flush_gradients() left {h.grad_where(owner)} non-zero: the gradients "
                                 f"of one batch would be added to the next one's")
        self._flushed = False
        return kept

    def _start(self):
        """Before every forward: the inputs and gradients kept since the last flush erased."""
        if self._flushes:
            self.layer.flush_gradients()

    def _run(self, method, *args):
        """The layer's forward or backward on the spec's arguments (one call; stepping.py steps)."""
        return self._call(method, *args)

    def _call(self, method, *args):
        for h in self.holders:
            value = self.reorder.to_layer(h.param, self.params[h.param])
            h.put(self.layer, np.reshape(value, self.own_shapes[h.param]))
        if method == "forward":  # one mask per example from np.random.rand (the check restores the generator)
            np.random.seed(self.seed)
        try:
            return getattr(self.layer, method)(*args)
        except Exception as exc:
            _mention(exc, self.renames[method])
            raise
        finally:
            self._read_back(method)

    def _read_back(self, method):
        owner = type(self).__name__
        for h in self.holders:
            value, param = h.get(self.layer), self.params[h.param]
            if np.size(value) != param.size:
                raise ValueError(f"{owner}: {method} replaced {h.where(owner)} of shape "
                                 f"{self.own_shapes[h.param]} by {_describe(value)}")
            param[...] = self._from_layer(h.param, value, param.shape)

    def _gradient(self, holder):
        value, owner = holder.gradient(self.layer, self.recorder.calls), type(self).__name__
        if value is None:
            passed = " and passed none to optimizer.update" if isinstance(holder, Attribute) else ""
            raise LookupError(f"{owner}.backward left no {holder.grad_where(owner)} (the gradient of "
                              f"{holder.where(owner)}){passed}")
        return self._from_layer(holder.param, np.array(value, dtype=np.result_type(value, np.float64)),
                                self.params[holder.param].shape)

    def _from_layer(self, param, value, shape):
        """The layer's array in the spec's layout and gate order, then shape (if the sizes agree)."""
        return _fitted(self.reorder.from_layer(param, value), shape)


@contextlib.contextmanager
def global_generator_kept():
    """NumPy's global generator as it was before, whatever the checks inside seeded (every
    adapted forward seeds it: saving and restoring it per call cost more than the call)."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def first_forward(layer, spec, config, adapter=None):
    """Call layer.forward once on inputs of config's sizes (a cell stepped by `adapter`: on one
    step of zeros, stepping.py); whether it returned. NumPy's global generator, which the layer
    may draw its weights from, is restored by the check (global_generator_kept)."""
    try:
        if adapter is not None and issubclass(adapter, stepping.Stepped):
            layer.forward(stepping.zero_step(spec, config))
        else:
            layer.forward(*probe_inputs(spec, config, np.random.default_rng(0)).values())
        return True
    except Exception:  # noqa: BLE001 - the checks report a failing call with its sizes
        return False


def _fitted(value, shape):
    """value reshaped to `shape` if it has that many elements, else as it is."""
    if value.shape == shape:  # the common case, on every call of an adapted layer
        return value
    return value.reshape(shape) if value.size == math.prod(shape) else value


def _describe(value):
    return f"shape {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__


def expect_methods(cls):
    """CannotAdapt unless cls has forward and backward, or is a whole model's training step
    (training.py); known before any spec is loaded."""
    if training.is_training_step(cls):
        return
    missing = [m for m in ("forward", "backward") if not callable(getattr(cls, m, None))]
    if missing:
        raise CannotAdapt(f"{cls.__name__} has no {' and no '.join(missing)} method; the checks call "
                          f"forward(x, ...) and backward(dout)")


def adapt(cls, spec, registered, name):
    """An Adaptation: the spec the checks run, the registered name it is checked like, notes
    saying what was mapped; CannotAdapt if cls lacks something.

    The spec is `spec` (or its registered variant with fewer inputs, see fitted_spec) renamed
    `name`, with a build that constructs cls from the drawn sizes (and wraps it in an Adapted
    subclass unless it follows the contract). `name` must not be a registered name, so that
    nothing mistakes the layer for the project's own (a reproduction snippet rebuilds a
    registered name from the registry).
    """
    owner, modelled = cls.__name__, None
    if training.is_training_step(cls):  # a whole model's train(): checked like CharLSTM
        spec = training.model_spec(spec, registered)
        cls, modelled = training.wrapped(cls, spec)
    expect_methods(cls)
    # Whether every constructor argument can be filled is known from names alone, before
    # any value is drawn (that needs hypothesis for the spec's draws).
    names = param_names_cheaply(spec)
    if names is not None:
        constructor_args(cls, dict.fromkeys([*spec.dim_names, *spec.draws, "seed", "rng"]), RecordingOptimizer(),
                         dict.fromkeys(names))
    config = probe_config(spec)
    config = training_conventions.probe_sizes(spec, config) if modelled else config
    shapes = param_shapes(spec, config)
    _, _, sources, _ = constructor_args(cls, config, RecordingOptimizer(), shapes)
    left, narrowed = [], []
    try:
        probe, passed = build_user_layer(cls, config, shapes=shapes, said=left)
    except Exception as exc:  # noqa: BLE001 - the user's constructor: say what it raised, no traceback
        pairs = layouts.int_geometry(spec, config, sources)
        built_with_ints = _built_with_ints(cls, spec, pairs) if pairs else None
        if built_with_ints is None:
            raise CannotAdapt(f"{owner}({_arguments(sources)}) raised {type(exc).__name__}: {exc}") from None
        spec, config, shapes, probe, passed = built_with_ints
        narrowed.append(f"{', '.join(pairs)} as one int for both axes ({owner}() raised {type(exc).__name__} for a "
                        f"pair per axis: {exc}): drawn equal on both axes")
    narrowed += training_conventions.probed(probe, spec, config) if modelled else []
    sequence = stepping.sequence_spec(spec, probe, registered)
    if sequence is not None:  # a cell keeping its state itself: probed at the sequence's sizes
        config = probe_config(sequence)
        shapes = param_shapes(sequence, config)
        probe, passed = build_user_layer(cls, config, shapes=shapes)
    fitted = sequence or fitted_spec(spec, probe, registered)
    if dropout.is_dropout(fitted) and fitted.name.endswith("-eval") and not _follows_contract(probe, shapes):
        raise CannotAdapt(f"{spec.name}: a layer written elsewhere is put in evaluation mode its own way (a "
                          f"train_flg argument or attribute, a mode); the checks cannot do that yet: check "
                          f"its training mode with --like Dropout")
    if left:
        del sources["optimizer"]
    notes = [modelled or f"built as {owner}({_arguments(sources)})", *left, *narrowed]
    unchecked, state, base, gate_order = [], None, Adapted, _UNSEARCHED
    if modelled:
        unchecked += [f"{k} ({owner}.train returns no gradient for it; given as zeros)" for k in cls._states]
    if sequence is not None:
        base, state, said, unchecked = _stepped(cls, spec, sequence, config, shapes)
        notes += said
    elif fitted is not spec:
        dropped = [k for k in spec.inputs if k not in fitted.inputs]
        notes.append(f"{owner}.forward takes no {', '.join(dropped)}: checked like {fitted.name}")
        unchecked += [f"{k} ({owner}.forward takes none)" for k in dropped]
        shapes = param_shapes(fitted, config)
    holders = renames = None
    if _follows_contract(probe, shapes) and sequence is None:
        notes.append(f"{owner} keeps params and grads dicts (the project's contract): used as it is")
        build = functools.partial(_built_as_it_is, cls, fitted)
    else:
        try:
            holders = find_bindings(probe, shapes, fitted.name, passed)
        except CannotAdapt:
            holders = None
        if holders is None and first_forward(probe, fitted, config, base):  # numpy-ml makes its weights so
            try:
                holders = find_bindings(probe, shapes, fitted.name, passed)
                on = "one step of zeros" if sequence is not None else "inputs of the drawn sizes"
                notes.append(f"{owner} makes its weights at its first forward: every layer built is called once "
                             f"on {on} before the checks set its weights")
            except CannotAdapt:
                pass
        # a GRU without B_hn: the reset-before formulation (gru_formulation.py)
        fitted, shapes, formulation = gru_formulation.fitted(fitted, probe, shapes, config, passed,
                                                             _built_with(cls, probe, config, base))
        holders = find_bindings(probe, shapes, fitted.name, passed) if formulation or holders is None else holders
        renames = argument_names(probe, fitted)
        holders, paired = biases.paired(holders, probe, _forward_with(cls, fitted, renames, base, config))
        holders, gate_order = _gate_rows(fitted, config, shapes, cls, holders, renames, base)
        unchecked += biases.unchecked(holders, owner)
        if callable(getattr(probe, "flush_gradients", None)) and getattr(base, "restart", None) != stepping.COPY:
            if sequence is None and _replaces_gradients(_adapted_build(cls, fitted, holders, renames, base=base),
                                                        fitted, config):
                base = type(base.__name__, (base,), {"accumulates": False})
                notes.append(f"{owner}.backward replaces its gradients rather than adding to them until "
                             f"flush_gradients() (two backward calls on one forward hold one's gradients, not "
                             f"their sum): flush_gradients() called before every forward, each backward read as "
                             f"it leaves them")
            else:
                notes.append(f"{owner}.flush_gradients() called before every forward, and each backward read as "
                             f"what it adds to the gradients (they accumulate until flushed, as PyTorch's .grad "
                             f"until zero_grad)")
        notes += _binding_notes(owner, fitted, holders, probe, shapes, config, passed) + formulation + paired
        notes += _argument_notes(renames, holders, OPTIMIZER in sources.values())
        build = _adapted_build(cls, fitted, holders, renames, base=base)
    if gates.gate_names(fitted):  # the order is tried through the adapter, whatever the layer holds
        holders = holders or find_bindings(probe, shapes, fitted.name, passed)
        renames = renames or argument_names(probe, fitted)
        reorder, note = _gate_order(fitted, config, shapes, cls, holders, renames, base, gate_order)
        notes += [note] if note else []
        if not reorder.identity:
            build = _adapted_build(cls, fitted, holders, renames, reorder, base)
    elif holders is not None and build is not None:
        probed = config
        fitted, config, layout, said = layouts.find_layout(
            fitted, config, sources, lambda at, layout, c: _adapted_build(cls, at, holders, renames, layout, base)(c))
        notes[:] = [_in_layout(note, layout, holders, owner, shapes, probed) for note in notes] + said
        if said:
            build = _adapted_build(cls, fitted, holders, renames, layout, base)
    adapted = dataclasses.replace(fitted, name=name, cls=cls, build=build)
    if dropout.is_dropout(fitted) and fitted.twin is not None and holders is not None:
        adapted, said = _dropout(adapted, config)
        notes += said
    if losses.is_cross_entropy(fitted) and fitted.twin is not None:
        eps = losses.eps_in_log(adapted, config)
        if eps is not None:
            adapted = dataclasses.replace(adapted, twin=losses.twin(eps))
            notes.append(losses.note(eps))
    norm = norms.norm_of(fitted)
    if norm is not None:
        eps = norms.eps_found(adapted, config, norm)
        if eps is not None:
            adapted = dataclasses.replace(adapted, twin=norm.twin(eps))
            notes.append(norms.note(eps))
        said = norms.momentum_note(adapted, config) if norm.axis == 0 else None
        notes += [said] if said else []
    narrow = float32_results(adapted, config)
    if narrow:
        notes.append(f"float32 buffers ({', '.join(narrow)} float32 for float64 input): checked at float32 "
                     f"precision, a coarser check; give it float64 buffers for the tight one")
        adapted = dataclasses.replace(adapted, dtype="float32")
    return Adaptation(adapted, fitted.name, notes, list(shapes), unchecked, state)


def _built_with_ints(cls, spec, pairs):
    """(spec, config, shapes, layer, passed) with the per-axis draws `pairs` drawn as one int
    for both axes, for a constructor that refuses a pair; None if it refuses that too."""
    narrowed = restrict.one_int(spec, pairs)
    config = probe_config(narrowed)
    shapes = param_shapes(narrowed, config)
    try:
        return (narrowed, config, shapes, *build_user_layer(cls, config, shapes=shapes))
    except Exception:  # noqa: BLE001 - the first refusal is the one to report
        return None


def float32_results(spec, config):
    """What comes back float32 from one forward and backward on float64 input ("its output",
    "the gradient of x", "grads"): a layer with float32 buffers. [] if nothing does, or if
    the call fails (the checks then say why)."""
    try:
        layer = built(spec, config)  # several outputs side by side, as the checks see them
        rng = np.random.default_rng(0)
        args = probe_inputs(spec, config, rng)
        out = layer.forward(**args)
        dx = layer.backward() if spec.loss else layer.backward(np.ones(np.shape(out)))
        grads = list(getattr(layer, "grads", {}).values())
        found = [("its output", [out]), (f"the gradient of {next(iter(spec.wrt), 'x')}", [dx]), ("grads", grads)]
        return [what for what, values in found
                if any(np.asarray(v).dtype == np.float32 for v in values if v is not None)]
    except Exception:  # noqa: BLE001 - the checks report a failing call with its sizes
        return []


def _stepped(cls, cell_spec, spec, config, shapes):
    """(the adapter class of a cell stepped over `spec`'s sequences, the state row's (checked,
    failure or None) or None, notes, unchecked) (stepping.py). A restart found to leave the cell
    unusable is the failure, and every sequence then runs on a fresh copy of the cell."""
    owner = cls.__name__
    layer, _ = build_user_layer(cls, config, RecordingOptimizer(), shapes)
    restart, state, broken = stepping.restart_of(layer), None, None
    if restart != stepping.COPY:
        state_rng = np.random.get_state()
        try:
            broken = stepping.restart_breaks(layer, restart, probe_inputs(spec, config, np.random.default_rng(0))["x"])
        finally:
            np.random.set_state(state_rng)
        state = (stepping.checked(owner, restart),
                 None if broken is None else stepping.broken_message(owner, restart, broken))
    used = stepping.COPY if broken is not None else restart
    base = type("Stepped", (stepping.Stepped, Adapted), {"restart": used})
    notes, unchecked = stepping.notes(layer, cell_spec, spec, used, broken is not None and restart)
    return base, state, notes, unchecked


def _built_as_it_is(cls, spec, config):
    """cls built from config (weights passed to its constructor in the drawn sizes' shapes)."""
    return build_user_layer(cls, config, shapes=param_shapes(spec, config))[0]


def _follows_contract(layer, shapes):
    return isinstance(getattr(layer, "params", None), dict) and isinstance(getattr(layer, "grads", None), dict) \
        and set(layer.params) == set(shapes)


def _dropout(spec, config):
    """(spec with a twin that takes the layer's mask and scales as it does, notes) (dropout.py)."""
    x_name = next(iter(spec.inputs))
    if not dropout.drops_p(spec.build, config, x_name):
        return spec, [f"dropout: the layer does not drop a fraction p of its units (tried p = {dropout.PROBE_P} and "
                      "0.8); checked against PyTorch's mask"]
    scaled, in_float32 = dropout.inverted(spec.build, config, x_name)
    notes = [dropout.MASK] + ([dropout.NOTE[scaled]] if scaled is not None else [])
    spec = dataclasses.replace(spec, twin=dropout.twin(spec.build, x_name, scaled is not False))
    if in_float32:
        notes.append("computes in float32 inside (its scale 1/(1-p) is float32-rounded): checked at float32 "
                     "precision, a coarser check")
        spec = dataclasses.replace(spec, dtype="float32")
    return spec, notes


_UNSEARCHED = object()  # no gate order searched yet


def _gate_rows(spec, config, shapes, cls, holders, renames, base=None):
    """(holders, the gate order their forward shows, or _UNSEARCHED): weights per gate read on
    [x, h] (h's rows last) where no gate order explains forward on [h, x] and one does on
    [x, h]; as they are otherwise."""
    if not any(isinstance(h, GateBlocks) and h.rows and not h.whole for h in holders or ()):
        return holders, _UNSEARCHED
    flipped = [dataclasses.replace(h, first="x") if isinstance(h, GateBlocks) and h.rows else h for h in holders]

    def order(held):
        found, _, _ = gates.find_order(spec, config, shapes,
                                       lambda reorder: _adapted_build(cls, spec, held, renames, reorder, base)(config))
        return found

    as_bound = order(holders)
    if as_bound is None:
        on_x_first = order(flipped)
        if on_x_first is not None:
            return flipped, on_x_first
    return holders, as_bound


def _gate_order(spec, config, shapes, cls, holders, renames, base=None, found=_UNSEARCHED):
    """(Reorder, note) for a gated layer: the layer's gate order (gates.py; `found` if already
    searched), said when it is not PyTorch's or when no order explains its forward (then the
    checks say what differs)."""
    names = gates.gate_names(spec)
    if not names:
        return gates.IDENTITY, ""
    order = found
    if order is _UNSEARCHED:
        order, _, _ = gates.find_order(spec, config, shapes,
                                       lambda reorder: _adapted_build(cls, spec, holders, renames, reorder, base)(config))
    torch_order = ", ".join(names)
    if order is None:
        return gates.IDENTITY, (f"gate order: no order of the {len(names)} gate blocks makes forward equal "
                                f"{spec.name}'s; checked in PyTorch's ({torch_order})")
    if order.identity:
        return order, ""
    return order, (f"gate order {gates.describe(order, names)} (PyTorch's: {torch_order}), a convention: "
                   f"the checks give the layer its weights in its own order and compare in PyTorch's")


def _adapted_build(cls, spec, holders, renames, reorder=gates.IDENTITY, base=None):
    """config -> the user's layer built from it, in an Adapted subclass (of `base`: a stepped
    cell's, stepping.py) named after cls."""
    adapter = type(cls.__name__, (base or Adapted,), {"__doc__": f"{cls.__name__} adapted to the layer contract",
                                              "wrt": tuple(spec.wrt)})
    watched = [h.grad for h in holders if isinstance(h, Attribute)]

    def build(config):
        recorder = RecordingOptimizer(watched)
        shapes = param_shapes(spec, config)
        layer, _ = build_user_layer(cls, config, recorder, reorder.layer_shapes(shapes))
        if any(h.get(layer) is None for h in holders):  # weights made by the first forward
            first_forward(layer, spec, config, adapter)
        return adapter(layer, holders, shapes, recorder, renames, reorder, config.get("seed", 0))

    return build


def _replaces_gradients(build, spec, config):
    """Whether the layer `build` makes (one with flush_gradients()) replaces its gradients at
    each backward: two backward calls on one forward leave it holding the first's gradients
    (non-zero), where a layer that adds them holds twice those. False if a call raises (the
    checks report it)."""
    try:
        layer, rng = build(config), np.random.default_rng(0)
        for value in layer.params.values():
            value[...] = rng.uniform(-1.0, 1.0, value.shape)
        with global_generator_kept():
            out = layer.forward(**probe_inputs(spec, config, rng))
            upstream = rng.standard_normal(np.shape(out))
            held = []
            for _ in range(2):
                layer.backward(upstream)
                held.append([np.array(h.gradient(layer.layer, layer.recorder.calls), dtype=float)
                             for h in layer.holders])
    except Exception:  # noqa: BLE001 - the checks report a failing call with its sizes
        return False
    first, second = held
    return any(np.any(a != 0) for a in first) and all(np.array_equal(a, b) for a, b in zip(first, second))


def _forward_with(cls, spec, renames, base, config):
    """holders -> the output of cls adapted with them, at one draw of inputs and parameters."""
    def forward(holders):
        layer, rng = _adapted_build(cls, spec, holders, renames, base=base)(config), np.random.default_rng(0)
        for value in layer.params.values():
            value[...] = rng.uniform(-1.0, 1.0, value.shape)
        with global_generator_kept():
            return np.asarray(layer.forward(**probe_inputs(spec, config, rng)))
    return forward


def _built_with(cls, probe, config, base=None):
    """(spec, holders, reorder) -> the user's layer built for config, adapted to `spec`."""
    return lambda spec, holders, reorder: _adapted_build(cls, spec, holders, argument_names(probe, spec),
                                                         reorder, base)(config)


def _in_layout(note, layout, holders, owner, shapes, config):
    """A parameter's binding note, written anew with the shape the layer holds in its own
    layout (layouts.py), where that is not the spec's; any other note as it is."""
    for h in holders:
        if h.param in layout.params and note.startswith(f"param {h.param} = "):
            held = describe_shape(layout.layer_shapes(shapes)[h.param], config)
            return f"param {h.param} = {h.where(owner)} {held}; gradient {h.grad_where(owner)}"
    return note


def _arguments(sources):
    return ", ".join(f"{name}={source}" for name, source in sources.items())


def _binding_notes(owner, spec, holders, probe, shapes, config, passed):
    n_gates = len(gates.gate_names(spec))

    def describe(shape):
        return describe_shape(shape, config, n_gates)

    notes = []
    for h in holders:
        own, wanted = np.shape(h.get(probe)), shapes[h.param]
        line = f"param {h.param} = {h.where(owner)} {describe(own)}"
        if not isinstance(h, Attribute) and isinstance(getattr(h, "key", None), int):
            line += (" (the array passed as " + h.param + ")" if h.get(probe) is passed.get(h.param)
                     else " (by position and shape)")
        if own != wanted and np.prod(own) == np.prod(wanted):
            line += f", reshaped to {describe(wanted)}"
        elif own != wanted:
            line += (f": {spec.name}'s {h.param} is {describe(wanted)}, another size, so it "
                     f"is kept as it is and the checks compare shapes")
        notes.append(f"{line}; gradient {h.grad_where(owner)}")
    return notes


def _argument_notes(renames, holders, optimizer_passed):
    notes = []
    renamed = [f"{own} is {name}" for own, name in renames["forward"] + renames["backward"] if own != name]
    if renamed:
        notes.append(f"arguments: {', '.join(renamed)}")
    watched = [h.grad for h in holders if isinstance(h, Attribute)]
    if optimizer_passed and watched:
        notes.append(f"gradients: {', '.join(watched)} as backward passes them to "
                     f"optimizer.update, summed over its calls (the recording optimizer changes no weight), "
                     f"else as backward leaves them")
    return notes
