"""A whole model written as one training step, seen as a loss layer (internal).

Character models written from scratch (min-char-rnn and its descendants) often have no
forward or backward: one method, train(inputs, targets, h_prev, c_prev, learning_rate),
runs the sequence forward, backpropagates through time, clips the gradients and takes an
SGD step, and returns the loss first. Its inputs and targets are lists of one-hot columns
(n_vocab, 1) or of character indices, one per step (training_conventions.py finds which),
its states columns (n_nodes, 1), and its weights, in a dict, multiply columns:
W @ [h; x] + b, so each is (out, in), the transpose of this project's.

`wrapped(cls, model)` makes a class with the project's loss contract around it, checked
like CharLSTM or CharGRU: forward(x, targets) calls train with learning_rate=0 once per
sample (the weights stay as they were) and sums the losses; backward() calls it again with
a learning rate of 2**30 and reads each gradient from the step it took, (before - after) /
2**30, then puts the weights back. A power of two keeps the step exact up to the rounding
of `after`, which the division brings to within about 1e-24 of a weight, so the gradients
are read to float64 precision. The initial states are zeros (train returns no gradient for
them). A step that went beyond train's clip is not the gradient: it is reported as clipped
(ClippedStep), and a step keeping an optimizer's state is refused (StatefulStep).

The weights are presented in the project's layout, under the model's own keys, as `params`
(copies, put into the model's own arrays before every call): every 2-D array transposed, a
(n, 1) bias so becoming (1, n). holders.py then binds them as it binds numpy-ml's weights
per gate, and the output layer beside them.
"""
import inspect

import numpy as np

from .construction import CannotAdapt

STEP = 2.0 ** 30
COLUMNS = ("columns", "columns")  # inputs and targets as one-hot columns, unless probed otherwise
RATES = ("learning_rate", "lr", "eta", "alpha", "step_size")
HOLDERS = ("param", "params", "parameters", "weights")
VOCAB = ("n_vocab", "vocab_size", "vocab", "str_size", "input_size", "n_chars", "char_size", "data_size")
HIDDEN = ("n_nodes", "hidden_size", "hidden", "n_hidden", "hidden_dim", "n_h", "h_size")
MODELS = {"LSTM": "CharLSTM", "LSTM-no-c0": "CharLSTM", "LSTM-no-state": "CharLSTM", "LSTMCell": "CharLSTM",
          "CharLSTM": "CharLSTM", "GRU": "CharGRU", "GRU-no-h0": "CharGRU", "GRUCell": "CharGRU", "CharGRU": "CharGRU"}


def is_training_step(cls):
    """Whether cls has train() and neither forward nor backward."""
    return callable(getattr(cls, "train", None)) and not any(
        callable(getattr(cls, m, None)) for m in ("forward", "backward"))


def model_spec(spec, registered):
    """The registered spec of the whole model a training step of `spec`'s layer is checked
    like (CharLSTM for an LSTM, CharGRU for a GRU); CannotAdapt for any other."""
    name = MODELS.get(spec.name)
    found = [s for s in registered if s.name == name]
    if not found:
        raise CannotAdapt(f"a model written as a training step (train(), no forward or backward) is checked as a "
                          f"whole character model, CharLSTM (--like LSTM) or CharGRU (--like GRU); there is none "
                          f"for {spec.name}")
    return found[0]


def wrapped(cls, model):
    """(a class with the loss contract around cls, what to say of it), for the spec `model`;
    CannotAdapt where train's arguments or the constructor's cannot be filled."""
    owner = cls.__name__
    train = list(inspect.signature(cls.train).parameters.values())[1:]
    rate = [p.name for p in train if p.name in RATES]
    positional = [p for p in train if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in RATES]
    if not rate or len(positional) < 2:
        raise CannotAdapt(f"{owner}.train({', '.join(p.name for p in train)}) is read as train(inputs, targets, "
                          f"states..., learning_rate), with the learning rate named {' or '.join(RATES)}")
    # zeros for every state, also one defaulting to None (which would carry the last call's)
    states = [p.name for p in positional[2:] if p.default is p.empty or p.default is None]
    sizes = _constructor_sizes(cls)
    attributes = {"__init__": _init(cls, sizes), "_states": tuple(states), "_rate": rate[0]}
    said = (f"{owner} is a whole model written as a training step: train({', '.join(p.name for p in train)}) "
            f"runs forward, backward, a gradient clip and an SGD step, so it is checked like {model.name} (the "
            f"{model.name.removeprefix('Char')}, an output layer, the softmax cross-entropy summed over the steps): "
            f"built as {owner}({', '.join(f'{k}={v}' for k, v in sizes.items())}), called on one sample at a time "
            f"as lists of steps, {', '.join(states) or 'no state'} zeros; the loss from learning_rate=0, the "
            f"gradients read from the step it takes; its 2-D weights, (out, in), seen transposed as params; "
            f"no advice row (input validation, the caller's arrays): train gets lists of steps made from copies")
    return type(owner, (TrainingStep,), attributes), said


class StatefulStep(ValueError):
    """train's step is not the gradient: it keeps an optimizer's state."""


class ClippedStep(ValueError):
    """train's step is not the gradient: the gradient went beyond its clip."""


def _constructor_sizes(cls):
    """{the constructor's argument: "n_vocab" or "n_nodes"}, by name, else by position."""
    required = [p.name for p in inspect.signature(cls).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    named = {k: "n_vocab" if k in VOCAB else "n_nodes" for k in required if k in VOCAB or k in HIDDEN}
    left = [k for k in required if k not in named]
    free = [size for size in ("n_vocab", "n_nodes") if size not in named.values()]
    if len(left) > len(free):
        raise CannotAdapt(f"{cls.__name__}.__init__ needs ({', '.join(required)}); a model written as a training "
                          f"step is built from its vocabulary's size and its hidden size only")
    named.update(zip(left, free))
    return {k: named[k] for k in required}


def _init(cls, sizes):
    def __init__(self, n_vocab, n_nodes):
        drawn = {"n_vocab": n_vocab, "n_nodes": n_nodes}
        self.model = cls(**{k: drawn[v] for k, v in sizes.items()})
        self.n_nodes = n_nodes
        held = [getattr(self.model, k, None) for k in HOLDERS]
        held = [h for h in held if isinstance(h, dict) and h and all(isinstance(v, np.ndarray) for v in h.values())]
        if not held:
            raise CannotAdapt(f"{cls.__name__} holds its weights in no dict named {', '.join(HOLDERS)}")
        self._holder = next(k for k in HOLDERS if getattr(self.model, k, None) is held[0])
        self.params = {k: self._presented(v).copy() for k, v in self._held.items()}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._samples = None
    return __init__


class TrainingStep:
    """The loss contract around a model's train(): see the module's docstring."""

    _states, _rate = (), "learning_rate"
    _plain = False  # whether train's step was seen to be plain SGD (_expect_plain_sgd), set on the class: once
    # seen on the drawn weights of the first backward, not again on each fresh copy of every example
    _given = COLUMNS  # how train takes inputs and targets (training_conventions.probed)
    _averages = False  # whether train's loss is the mean over the steps (training_conventions.probed)

    @property
    def _held(self):
        """The model's own dict of weights (a property: messages listing arrays name params)."""
        return getattr(self.model, self._holder)

    @staticmethod
    def _steps(rows, given):
        """One sample's steps as train takes them: columns (n_vocab, 1) or indices (argmax)."""
        return [int(np.argmax(step)) if given == "indices" else step.reshape(-1, 1) for step in rows]

    @staticmethod
    def _presented(value):
        return value.T if value.ndim == 2 else value

    def _give(self):
        """The weights, as the checks set them, into the model's own arrays."""
        for k, value in self.params.items():
            self._held[k][...] = self._presented(value)

    def _step(self, sample, rate):
        """train on one sample: its loss (summed over the steps, where train averages it)."""
        inputs, targets = sample
        zeros = {k: np.zeros((self.n_nodes, 1)) for k in self._states}
        returned = self.model.train(inputs, targets, **zeros, **{self._rate: rate})
        return float(np.sum(returned[0] if isinstance(returned, tuple) else returned)) * self._scale(sample)

    def _scale(self, sample):
        return len(sample[0]) if self._averages else 1

    def forward(self, x, targets):
        x, targets = np.array(x, dtype=np.float64), np.array(targets, dtype=np.float64)  # copies: kept for backward
        samples = [(self._steps(xs, self._given[0]), self._steps(ts, self._given[1])) for xs, ts in zip(x, targets)]
        self._give()
        loss = sum(self._step(sample, 0.0) for sample in samples)
        self._samples = samples  # only once train took them: a call that raised leaves the last good one
        return loss

    def _gradient(self, sample, clip_seen=True):
        """{key: the gradient train steps the weight by on one sample}, the weights put back;
        ClippedStep where train clipped it (unless not clip_seen)."""
        before = {k: v.copy() for k, v in self._held.items()}
        self._step(sample, STEP)
        read = {k: (before[k] - value) / STEP * self._scale(sample) for k, value in self._held.items()}
        for k, value in self._held.items():
            value[...] = before[k]
        if clip_seen:
            self._expect_unclipped(read)
        return read

    def _expect_unclipped(self, read):
        """ClippedStep if the largest element of an array of the step sits exactly (to 1e-12) on
        a number of two decimals (1, 0.25, 5, 10): what np.clip leaves where a gradient went
        beyond it. A gradient read to float64 precision lands on one by a chance of about 1e-10
        per array."""
        for g in read.values():  # each array's own largest element: a clip may be of some arrays only
            bound = float(np.max(np.abs(g), initial=0.0))
            if not bound or abs(bound - round(bound, 2)) > 1e-12 * bound:
                continue
            at = [k for k, h in read.items() if np.any(np.isclose(np.abs(h), bound, rtol=1e-12, atol=0))]
            raise ClippedStep(f"{type(self).__name__}.train clipped its gradients at +-{bound:g} on this example "
                              f"({', '.join(at)} at exactly that size): a clipped gradient is not the gradient, so "
                              f"it cannot be compared; check with a clip no gradient of these sizes reaches (5 "
                              f"where weights are of order 1), or none")

    def _expect_plain_sgd(self, samples, clip_seen=True):
        """StatefulStep unless two steps on one sample, with a step on another between them
        where there is one, move the weights alike: an optimizer with state (Adagrad's memory,
        momentum, Adam's moments) steps by more than the gradient."""
        first = self._gradient(samples[0], clip_seen)
        self._gradient(samples[-1], clip_seen)
        second = self._gradient(samples[0], clip_seen)
        moved = [k for k in first if not np.allclose(first[k], second[k], rtol=1e-9, atol=1e-12)]
        if moved:
            raise StatefulStep(f"{type(self).__name__}.train stepped {', '.join(moved)} differently on the same sample "
                             f"twice: its step keeps state (an optimizer's memory or momentum), so it is not the "
                             f"gradient; the checks read gradients from a plain SGD step only")

    def backward(self):
        if self._samples is None:
            raise RuntimeError(f"{type(self).__name__}: backward() before forward()")
        self._give()
        if not type(self)._plain:
            self._expect_plain_sgd(self._samples)
            type(self)._plain = True
        grads = {k: np.zeros_like(v) for k, v in self._held.items()}
        for sample in self._samples:
            for k, g in self._gradient(sample).items():
                grads[k] += g
        for k, g in grads.items():
            self.grads[k][...] = self._presented(g)
        return None
