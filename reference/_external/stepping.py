"""A recurrent cell that keeps its state itself, stepped over a sequence (internal).

numpy-ml's RNNCell and LSTMCell take one step's input alone, `forward(Xt)`, and keep h (and c)
themselves, from zeros; `backward(dLdAt)` is called once per step in reverse order and carries
dh to the earlier step inside; gradients add up until `flush_gradients()`, which also erases
the steps. No cell spec passes x alone (SimpleRNNCell passes (x, h)), so such a cell is checked
like the sequence spec without state (SimpleRNN-no-h0, GRU-no-h0, LSTM-no-state):
  - forward(x (batch, seq_len, n_features)) calls the cell's forward on x[:, t] for each t and
    stacks its outputs (the first of a tuple: LSTMCell returns (At, Ct));
  - backward(dh (batch, seq_len, n_nodes)) calls the cell's backward on dh[:, t] for t in
    reverse and stacks what it returns; the parameters' gradients are read after the whole
    sequence (as what it added, for a layer whose gradients add up until flushed);
  - the state starts fresh for every sequence: the cell's flush_gradients(), else its
    reset_state() or reset(), else a fresh copy of the cell as built. A second backward of
    one forward replays the forward first (the cell's backward steps back through its steps
    once), so that backward_twice checks that forward and backward repeat, not re-entrancy;
  - a flush that leaves the cell unusable (its first use works, the backward after a flush
    raises: numpy-ml's sets an accumulator to [] where backward expects None) is a failure,
    found once when the cell is adapted; the sequences then run on fresh copies, so that the
    gradients are still checked.
The h the spec passes is not checked: the cell starts from zeros itself.
"""
import copy
import inspect

import numpy as np

# A cell spec, and the registered sequence spec its steps are checked like.
SEQUENCES = {"SimpleRNNCell": "SimpleRNN-no-h0", "GRUCell": "GRU-no-h0", "LSTMCell": "LSTM-no-state"}
FLUSH, COPY = "flush_gradients", "a fresh copy"
RESETS = (FLUSH, "reset_state", "reset")


def sequence_spec(spec, layer, registered):
    """The registered sequence spec a cell whose forward takes x alone is stepped as under the
    cell spec `spec` (SimpleRNN-no-h0 under SimpleRNNCell), or None."""
    name = SEQUENCES.get(spec.name)
    params = inspect.signature(layer.forward).parameters.values()
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    if name is None or len(positional) != 1 or positional[0].kind == positional[0].VAR_POSITIONAL:
        return None
    return next((s for s in registered if s.name == name), None)


def restart_of(layer):
    """How the state restarts for each sequence: the name of the layer's own method, else COPY."""
    return next((m for m in RESETS if callable(getattr(layer, m, None))), COPY)


def state_names(cell_spec, sequence):
    return [k for k in cell_spec.inputs if k not in sequence.inputs]


def notes(layer, cell_spec, sequence, restart, broken):
    """(the notes saying how the cell was stepped, what of the spec's it does not check);
    broken: the name of the cell's restart method found to leave it unusable, or None."""
    owner = type(layer).__name__
    state = ", ".join(state_names(cell_spec, sequence))
    x, own = next(iter(sequence.inputs)), _step_argument(layer)
    how = f"{owner}.{restart}()" if restart != COPY else f"a fresh copy of {owner} as built"
    if broken:
        how += f" ({owner}.{broken}() leaves it unusable: see the state row)"
    zero = " = 0, ".join(f"{k}0" for k in state_names(cell_spec, sequence))
    return ([f"{owner} keeps {state} itself (forward({own})): stepped over each sequence, {zero} = 0, checked "
             f"like {sequence.name}",
             f"stepping: forward on {x}[:, t] for each t, the outputs stacked, then backward on each step's upstream "
             f"in reverse, once per forward (a second backward replays the forward); the state started fresh for "
             f"every sequence by {how}"],
            [f"{state} ({owner} keeps it itself, from zeros)"])


def _step_argument(layer):
    return next(iter(inspect.signature(layer.forward).parameters), "x")


def first(value):
    """A step's output: the first of a tuple (LSTMCell's (At, Ct))."""
    return value[0] if isinstance(value, (tuple, list)) and value else value


def _steps(value):
    """Whether value is a sequence to step over (an array with a time axis); bad input is
    handed to the cell as it is, so that its own answer is the one checked."""
    return isinstance(value, np.ndarray) and value.ndim >= 3


def zero_step(spec, config):
    """One step of zeros at the drawn sizes: a cell that makes its weights at its first forward is
    called so (zeros in, zeros out from a zero state leaves the state at zero)."""
    decl = next(iter(spec.inputs.values()))
    shape = tuple(config[d] if isinstance(d, str) else d for d in decl.dims)
    return np.zeros(shape[:1] + shape[2:])


def sequence(layer, x):
    """The cell's forward over x's steps, then its backward in reverse (upstream ones)."""
    outs = [first(layer.forward(x[:, t])) for t in range(x.shape[1])]
    for out in reversed(outs):
        layer.backward(np.ones(np.shape(out)))


def restart_breaks(layer, restart, x):
    """What the cell raises in a sequence after its `restart` method when its first use works
    (its own weights, made as it makes them), else None."""
    try:
        sequence(layer, x)
    except Exception:  # noqa: BLE001 - its first use fails too: the checks say why
        return None
    getattr(layer, restart)()
    try:
        sequence(layer, x)
    except Exception as exc:  # noqa: BLE001 - the finding
        return exc
    return None


def checked(owner, restart):
    return (f"checked: a sequence's forward and backward after {owner}.{restart}(), which every sequence starts "
            f"with (the first use of a layer as built works)")


def broken_message(owner, restart, exc):
    """The failure of a restart that leaves the cell unusable, in words to act on."""
    loop = " (numpy-ml's update() flushes after each step)" if restart == FLUSH else ""
    return (f"{owner}.backward raises after {restart}() ({type(exc).__name__}: {str(exc).strip()}): the {restart.split('_')[0]} "
            f"leaves the layer unusable, while its first use works: a training loop that calls {restart}() between "
            f"batches{loop} raises at the second one. Make {restart}() leave the layer as it was built; the "
            f"gradients above were checked on a fresh copy of the layer per sequence")


class Stepped:
    """Mixed into the adapter (adapters.Adapted) of a cell stepped over a sequence: its forward
    and backward step, and the cell's state restarts for every sequence. `restart` is set per
    check: a method of the cell (FLUSH, "reset_state", "reset") or COPY."""

    restart = FLUSH

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._inputs, self._stepped_back = None, False
        # the cell as built (weights made, no step): a copy per sequence holds this adapter's recorder
        self._template = self._copy(self.layer) if self.restart == COPY else None

    def _copy(self, layer):
        return copy.deepcopy(layer, {id(self.recorder): self.recorder})

    def forward(self, **inputs):
        self._inputs, self._stepped_back = copy.deepcopy(inputs), False
        return super().forward(**inputs)

    def backward(self, *dout):
        if self._stepped_back and self._inputs is not None:  # the cell has stepped back once already
            super().forward(**self._inputs)
        self._stepped_back = True
        return super().backward(*dout)

    @property
    def _flushes(self):
        return self.restart == FLUSH  # gradients then add up until a flush, read as what backward added

    def _start(self):
        if self.restart == COPY:
            self.layer = self._copy(self._template)
        else:
            getattr(self.layer, self.restart)()

    def _run(self, method, *args):
        (value,) = args  # one input (x) or one upstream (dh): the sequence spec's
        if not _steps(value):
            return self._call(method, value)
        order = range(value.shape[1]) if method == "forward" else reversed(range(value.shape[1]))
        steps = {t: first(self._call(method, value[:, t])) for t in order}
        return np.stack([steps[t] for t in sorted(steps)], axis=1)
