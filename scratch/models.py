"""Models built from the layers: a Sequential container and an RNN sequence classifier."""
import copy

import numpy as np

from ._validate import as_array, expect_positive_int, expect_shape
from .activations import Softmax, _Activation
from .dense import FC
from .initializers import XavierInitializer
from .losses import SoftmaxCrossEntropy
from .optimizers import Adam
from .recurrent import SimpleRNN
from .serialization import load_params, save_params


class _ParamView(dict):
    """The layers' own arrays under "layer.param" names: write into them in place.

    Assigning a new array to a key would not reach the layer, so it is refused.
    A copy (copy.copy/deepcopy) is a plain dict.
    """

    def _refuse(self, *args, **kwargs):
        raise TypeError("Sequential: params and grads are views of the layers' arrays; "
                        "write in place (params[name][...] = value) or on the layer itself")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _refuse

    def __copy__(self):
        return dict(self)

    def __deepcopy__(self, memo):
        return {name: copy.deepcopy(value, memo) for name, value in self.items()}

    def __reduce__(self):
        return dict, (dict(self),)


class Sequential:
    """Layers applied in order: forward chains their forwards, backward their backwards in reverse.

    Sequential(SimpleRNN(...), Tanh(), FC(...), names=("rnn", "tanh", "fc")); without
    names the layers are called "0", "1", ... as in torch.nn.Sequential. Each layer takes
    one array and returns one (losses stay outside: see ScratchRNNClassifier).

    params/grads follow the layer contract: every layer's, keyed "name.param"
    ("rnn.W_x"), and they are the layers' own arrays, so an optimizer can step the whole
    model (`model.update(optimizer)`) and a check can perturb any of them.
    A layer that raises in forward or backward is named in the error, and the layers
    are put back as they were (a bad input changes nothing).
    """

    def __init__(self, *layers, names=None):
        if not layers:
            raise ValueError("Sequential: needs at least one layer")
        for i, layer in enumerate(layers):
            missing = [a for a in ("forward", "backward", "params", "grads") if not hasattr(layer, a)]
            if missing:
                raise TypeError(f"Sequential: layer {i} ({type(layer).__name__}) has no {', '.join(missing)}")
        names = [str(i) for i in range(len(layers))] if names is None else list(names)
        if len(names) != len(layers):
            raise ValueError(f"Sequential: names has {len(names)} entries for {len(layers)} layers")
        for name in names:
            if not isinstance(name, str) or not name or "." in name:
                raise ValueError(f"Sequential: names must be non-empty strings without '.', got {name!r}")
        if len(set(names)) != len(names):
            raise ValueError(f"Sequential: names must be unique, got {names}")
        self.layers = dict(zip(names, layers))
        self.ready = False  # forward has run, so backward has what it needs

    @property
    def params(self):
        return self._gather("params")

    @property
    def grads(self):
        return self._gather("grads")

    def _gather(self, which):
        return _ParamView({f"{name}.{key}": value for name, layer in self.layers.items()
                           for key, value in getattr(layer, which).items()})

    def forward(self, x):
        saved = self._snapshot()
        out = x
        for name, layer in self.layers.items():
            out = self._call(name, layer, layer.forward, out, saved)
        self.ready = True
        return out

    def backward(self, dout):
        if not self.ready:
            raise RuntimeError("Sequential: backward called before forward")
        saved = self._snapshot()
        for name, layer in reversed(self.layers.items()):
            dout = self._call(name, layer, layer.backward, dout, saved)
        return dout

    def infer(self, x):
        """forward(x) without replacing what backward would use (the layers are put back).

        Layers with a training mode (Dropout, BatchNorm1d) should be in eval() first.
        """
        saved = self._snapshot()
        try:
            return self.forward(x)
        finally:
            self._restore(saved)

    def train(self):
        return self._each_mode("train")

    def eval(self):
        return self._each_mode("eval")

    def _each_mode(self, mode):
        for layer in self.layers.values():
            if hasattr(layer, mode):
                getattr(layer, mode)()
        return self

    def update(self, optimizer):
        """One optimizer step on every parameter of every layer (state kept for this model)."""
        optimizer.update(self)
        return self

    def save(self, path):
        """Every parameter to exactly `path` as .npz, one array per "layer.param" name."""
        save_params(self.params, path)

    def load(self, path):
        """Parameters from a file written by save: same names, shapes, float dtype; else nothing changes."""
        load_params(self.params, path, f"{type(self).__name__}.load")
        return self

    def _call(self, name, layer, method, value, saved):
        try:
            return method(value)
        except (TypeError, ValueError, RuntimeError) as exc:
            self._restore(saved)
            kind = next(k for k in (TypeError, ValueError, RuntimeError) if isinstance(exc, k))
            raise kind(f"Sequential: layer {name!r} ({type(layer).__name__}): {exc}") from exc

    # Every layer keeps what backward needs in its attributes (cache, dinputs, masks) and
    # rebinds them on each call, so a shallow copy of its attributes restores it. Gradients
    # are written in place and not restored: in backward only the caller's dout can be
    # bad, and the last layer checks it before writing any (later douts come from layers
    # whose shapes the last forward already matched).
    def _snapshot(self):
        return self.ready, [dict(vars(layer)) for layer in self.layers.values()]

    def _restore(self, saved):
        self.ready, attributes = saved
        for layer, attrs in zip(self.layers.values(), attributes):
            vars(layer).clear()
            vars(layer).update(attrs)


class LastTimeStep(_Activation):
    """(batch, seq_len, n) -> (batch, n): the last time step; the gradient flows to it alone.

    Checked as part of ScratchRNNClassifier (tests/test_models.py); not exported from
    scratch, because a public layer needs its own spec in reference/registry.py.
    """

    def _check_input(self, x):
        if x.ndim != 3 or x.shape[1] == 0:
            raise ValueError(f"LastTimeStep: x must have shape (batch, seq_len, n_nodes), got {x.shape}")

    def _forward(self, x):
        return x[:, -1].copy()

    def _backward(self, x, y, dout):
        dx = np.zeros(x.shape, dtype=np.result_type(x, dout))
        dx[:, -1] = dout
        return dx


class ScratchRNNClassifier:
    """SimpleRNN -> its last hidden state -> FC -> softmax cross-entropy, for sequence labels.

    X: (n_samples, seq_len, n_features) floats; y: (n_samples,) integer labels in
    [0, n_classes). Weights come from `initializer` (default: Xavier from
    np.random.default_rng(0), so two models built alike start alike).
    `network` is the Sequential ("rnn", "last", "fc"); its params are "rnn.W_x",
    "rnn.W_h", "rnn.B", "fc.W", "fc.B", the names used by save and load.
    """

    def __init__(self, n_features, n_nodes, n_classes, initializer=None):
        self.n_features = expect_positive_int(self, "n_features", n_features)
        self.n_nodes = expect_positive_int(self, "n_nodes", n_nodes)
        self.n_classes = expect_positive_int(self, "n_classes", n_classes)
        init = XavierInitializer(rng=np.random.default_rng(0)) if initializer is None else initializer
        self.network = Sequential(SimpleRNN(self.n_features, self.n_nodes, init), LastTimeStep(),
                                  FC(self.n_nodes, self.n_classes, init), names=("rnn", "last", "fc"))
        self.criterion = SoftmaxCrossEntropy()
        self.loss_history_ = None

    @property
    def params(self):
        return self.network.params

    @property
    def grads(self):
        return self.network.grads

    def loss(self, X, y):
        """Mean cross-entropy of the batch (like nn.CrossEntropyLoss); keeps what backward needs."""
        X, y = self._check_data(X, y)
        return self.criterion.forward(self.network.forward(X), y)

    def backward(self):
        """Fill the gradients of every parameter for the last loss(X, y); return dL/dX."""
        return self.network.backward(self.criterion.backward())

    def fit(self, X, y, *, epochs=30, batch_size=32, optimizer=None, seed=0, loss_history=True):
        """Mini-batch training: every epoch visits the samples in a fresh order from np.random
        .default_rng(seed), in batches of batch_size (the last one may be smaller), one
        optimizer step per batch. optimizer defaults to Adam(lr=0.01), new for each fit call;
        pass one to continue its state across calls. With loss_history, loss_history_ is
        the list of each epoch's mean batch loss (each taken before its step).
        """
        X, y = self._check_data(X, y)
        epochs = expect_positive_int(self, "epochs", epochs)
        batch_size = expect_positive_int(self, "batch_size", batch_size)
        optimizer = Adam(lr=0.01) if optimizer is None else optimizer
        if not callable(getattr(optimizer, "update", None)):
            raise TypeError(f"ScratchRNNClassifier: optimizer must have an update(layer) method, "
                            f"got {type(optimizer).__name__}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"ScratchRNNClassifier: seed must be a non-negative integer, got {seed!r}")
        if not isinstance(loss_history, bool):
            raise TypeError(f"ScratchRNNClassifier: loss_history must be True or False, got {loss_history!r}")
        rng = np.random.default_rng(seed)
        history = []
        for _ in range(epochs):
            order = rng.permutation(len(X))
            total = 0.0
            for start in range(0, len(X), batch_size):
                batch = order[start:start + batch_size]
                total += self.loss(X[batch], y[batch]) * len(batch)
                self.backward()
                self.network.update(optimizer)
            history.append(total / len(X))
        self.loss_history_ = history if loss_history else None
        return self

    def predict_proba(self, X):
        """(n_samples, n_classes) class probabilities; leaves what backward uses untouched."""
        X = self._check_X(X)
        return Softmax().forward(self.network.infer(X))

    def predict(self, X):
        """(n_samples,) int64 labels, the most probable class of each sequence."""
        X = self._check_X(X)
        return np.argmax(self.network.infer(X), axis=1).astype(np.int64)

    def save(self, path):
        """Every parameter to exactly `path` (.npz, names "rnn.W_x", ..., "fc.B")."""
        self.network.save(path)

    def load(self, path):
        """Parameters from a file written by save, for a model of the same sizes; a file with a
        missing, extra, mis-shaped, non-float or non-finite array raises ValueError naming it,
        and the model is left unchanged."""
        load_params(self.params, path, f"{type(self).__name__}.load")
        return self

    def _check_X(self, X):
        X = as_array(self, "X", X)
        expect_shape(self, "X", X, ("n_samples", "seq_len", self.n_features))
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"ScratchRNNClassifier: X must hold at least one sequence of at least one step, "
                             f"got shape {X.shape}")
        return X

    def _check_data(self, X, y):
        X = self._check_X(X)
        if not isinstance(y, np.ndarray) or y.ndim != 1 or y.dtype.kind not in "iu":
            raise TypeError(f"ScratchRNNClassifier: y must be a 1-D integer numpy array of labels, got "
                            f"{type(y).__name__}" + (f" of dtype {y.dtype} and shape {y.shape}"
                                                     if isinstance(y, np.ndarray) else ""))
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"ScratchRNNClassifier: y has {y.shape[0]} labels for {X.shape[0]} sequences in X")
        if y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(f"ScratchRNNClassifier: y must be labels in [0, {self.n_classes}), "
                             f"got values from {y.min()} to {y.max()}")
        return X, y
