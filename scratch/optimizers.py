"""Optimizers: update(layer) applies one step from layer.grads to layer.params in place.

Every optimizer but SGD keeps state (a momentum buffer, running averages, a step count)
per layer object and per parameter name, like torch.optim keeps it per parameter
tensor. So one optimizer can update several layers, two parameters of the same shape
(W_x and W_h of a SimpleRNN with n_features == n_nodes) never share a buffer, and two
layers with a parameter of the same name (every layer's "B") never do either. The
state of a layer is held through a weak reference: it goes when the layer goes, so a
new layer never inherits it. Each parameter counts its own steps, as in torch: a layer
updated less often than another gets its own bias correction.

Each step follows torch.optim's single-tensor update to the operation, so the
trajectories agree to a few ulps (tests/test_optimizers.py).
"""
import copy
import math
import numbers
import weakref

import numpy as np


class SGD:
    """params <- params - lr * grads, for every parameter of the layer."""

    def __init__(self, lr):
        self.lr = _number(self, "lr", lr, low=0.0, low_open=True)

    def update(self, layer):
        _check_grads(self, layer)
        for name, value in layer.params.items():
            value -= self.lr * layer.grads[name]
        return layer


class _Stateful:
    """One step per parameter from `_step(param, grad, state)`; state per (layer, name)."""

    def __init__(self):
        self._states = weakref.WeakKeyDictionary()  # layer -> {param name: {state key: value}}

    def update(self, layer):
        _check_grads(self, layer)
        params, grads = layer.params, layer.grads
        states = self._states_of(layer)
        for name, value in params.items():  # every check before the first write
            for key, kept in states.get(name, {}).items():
                if isinstance(kept, np.ndarray) and kept.shape != value.shape:
                    raise ValueError(
                        f"{type(self).__name__}.update({type(layer).__name__}): params[{name!r}] has shape "
                        f"{value.shape}, but its {key!r} state from earlier steps has {kept.shape}"
                    )
        for name, value in params.items():
            self._step(value, grads[name], states.setdefault(name, self._initial_state(value)))
        return layer

    def state(self, layer):
        """A copy of the state kept for `layer`: {param name: {state key: array or step count}}.

        The keys are torch.optim's names for the same quantities (optimizer.state[p]).
        """
        return copy.deepcopy(dict(self._states.get(layer, {})))

    def _states_of(self, layer):
        try:
            return self._states.setdefault(layer, {})
        except TypeError as exc:
            raise TypeError(
                f"{type(self).__name__}.update: cannot keep state for a {type(layer).__name__} "
                f"(it must be hashable and weak-referenceable): {exc}"
            ) from None

    def _initial_state(self, param):
        raise NotImplementedError

    def _step(self, param, grad, state):
        raise NotImplementedError


class Momentum(_Stateful):
    """SGD with momentum, torch.optim.SGD(momentum=...)'s convention:

        buf <- grad                                   on the first step
        buf <- momentum * buf + (1 - dampening) * grad    afterwards
        param <- param - lr * buf                     (nesterov: lr * (grad + momentum * buf))

    lr multiplies the buffer rather than being folded into it (the "v = mu * v - lr * g;
    p += v" form of Sutskever et al.); the two agree while lr stays constant. The first
    step is a plain gradient step, undamped.
    """

    def __init__(self, lr, momentum=0.9, dampening=0.0, nesterov=False):
        super().__init__()
        self.lr = _number(self, "lr", lr, low=0.0, low_open=True)
        self.momentum = _number(self, "momentum", momentum, low=0.0, high=1.0, high_open=True)
        self.dampening = _number(self, "dampening", dampening, low=0.0, high=1.0)
        if not isinstance(nesterov, bool):
            raise TypeError(f"Momentum: nesterov must be True or False, got {nesterov!r}")
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"Momentum: nesterov needs momentum > 0 and dampening == 0 (as in torch), "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )
        self.nesterov = nesterov

    def _initial_state(self, param):
        return {}  # the buffer is the first gradient, so it is created on the first step

    def _step(self, param, grad, state):
        if self.momentum == 0:  # torch keeps no buffer then: a plain SGD step
            param -= self.lr * grad
            return
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = grad.copy()
        else:
            buf *= self.momentum
            buf += (1.0 - self.dampening) * grad
        param -= self.lr * (grad + self.momentum * buf if self.nesterov else buf)


class AdaGrad(_Stateful):
    """torch.optim.Adagrad (lr_decay = 0, weight_decay = 0):

        sum <- sum + grad**2          (sum starts at initial_accumulator_value)
        param <- param - lr * grad / (sqrt(sum) + eps)

    eps is added outside the square root, as in torch.
    """

    def __init__(self, lr=0.01, eps=1e-10, initial_accumulator_value=0.0):
        super().__init__()
        self.lr = _number(self, "lr", lr, low=0.0, low_open=True)
        self.eps = _number(self, "eps", eps, low=0.0, low_open=True)
        self.initial_accumulator_value = _number(
            self, "initial_accumulator_value", initial_accumulator_value, low=0.0)

    def _initial_state(self, param):
        return {"step": 0, "sum": np.full_like(param, self.initial_accumulator_value)}

    def _step(self, param, grad, state):
        state["step"] += 1
        state["sum"] += grad * grad
        param -= self.lr * (grad / (np.sqrt(state["sum"]) + self.eps))


class RMSProp(_Stateful):
    """torch.optim.RMSprop (momentum = 0, centered = False, weight_decay = 0):

        square_avg <- alpha * square_avg + (1 - alpha) * grad**2     (starts at 0)
        param <- param - lr * grad / (sqrt(square_avg) + eps)

    No bias correction (the early steps are large, as in torch); eps outside the root.
    """

    def __init__(self, lr=0.01, alpha=0.99, eps=1e-8):
        super().__init__()
        self.lr = _number(self, "lr", lr, low=0.0, low_open=True)
        self.alpha = _number(self, "alpha", alpha, low=0.0, high=1.0, high_open=True)
        self.eps = _number(self, "eps", eps, low=0.0, low_open=True)

    def _initial_state(self, param):
        return {"step": 0, "square_avg": np.zeros_like(param)}

    def _step(self, param, grad, state):
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= self.alpha
        square_avg += (1.0 - self.alpha) * grad * grad
        param -= self.lr * (grad / (np.sqrt(square_avg) + self.eps))


class Adam(_Stateful):
    """torch.optim.Adam (amsgrad = False, weight_decay = 0), with bias correction:

        exp_avg    <- beta1 * exp_avg    + (1 - beta1) * grad       (both start at 0)
        exp_avg_sq <- beta2 * exp_avg_sq + (1 - beta2) * grad**2
        param <- param - lr / (1 - beta1**t) * exp_avg / (sqrt(exp_avg_sq) / sqrt(1 - beta2**t) + eps)

    t counts this parameter's steps. eps is added after the bias correction of the
    second moment, as in torch (not to sqrt(exp_avg_sq) before it).
    """

    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        super().__init__()
        self.lr = _number(self, "lr", lr, low=0.0, low_open=True)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(_number(self, f"betas[{i}]", beta, low=0.0, high=1.0, high_open=True)
                           for i, beta in enumerate(betas))
        self.eps = _number(self, "eps", eps, low=0.0, low_open=True)

    def _initial_state(self, param):
        return {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    def _step(self, param, grad, state):
        beta1, beta2 = self.betas
        state["step"] += 1
        t = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1.0 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1.0 - beta2) * grad * grad
        step_size = self.lr / (1.0 - beta1**t)
        denom = np.sqrt(exp_avg_sq) / math.sqrt(1.0 - beta2**t) + self.eps
        param -= step_size * (exp_avg / denom)


def _number(optimizer, name, value, *, low, high=math.inf, low_open=False, high_open=False):
    """A finite real number in the interval; TypeError/ValueError naming optimizer and argument."""
    owner = type(optimizer).__name__
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r}")
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open or high == math.inf else ']'}"
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (math.isfinite(value) and above and below):
        raise ValueError(f"{owner}: {name} must be a finite number in {interval}, got {value!r}")
    return float(value)


def _check_grads(optimizer, layer):
    """Refuse to step unless every parameter has a gradient of its shape (nothing changes)."""
    params, grads = layer.params, layer.grads
    where = f"{type(optimizer).__name__}.update({type(layer).__name__})"
    if set(params) != set(grads):
        raise ValueError(f"{where}: grads keys {sorted(grads)} do not match params keys {sorted(params)}")
    for name, value in params.items():
        if grads[name].shape != value.shape:
            raise ValueError(
                f"{where}: grads[{name!r}] has shape {grads[name].shape}, params[{name!r}] has {value.shape}"
            )
