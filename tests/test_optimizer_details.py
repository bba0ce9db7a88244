"""Optimizers in detail: default hyperparameters against torch.optim's, interval boundaries,
whole error messages and the independence of state() copies, which the drawn comparison
with torch in tests/test_optimizers.py does not reach (it passes every argument)."""
import re

import numpy as np
import pytest
import torch

from scratch import FC, AdaGrad, Adam, Momentum, RMSProp, SimpleInitializer

torch.set_num_threads(1)

ATOL = 1e-12  # a few float64 steps on values of order 1 (see ATOL in tests/test_optimizers.py)


def raises_exactly(error, message):
    return pytest.raises(error, match="^" + re.escape(message) + "$")


def fc(seed=0):
    return FC(3, 2, SimpleInitializer(0.5, rng=np.random.default_rng(seed)))


def step_with_grads(optimizer, layer, grads):
    for name, grad in grads.items():
        layer.grads[name][...] = grad
    optimizer.update(layer)


# Every default is torch.optim's default (Momentum: torch.optim.SGD's, with momentum=0.9).
DEFAULTS = {
    "Momentum": (lambda: Momentum(0.1), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    "AdaGrad": (AdaGrad, torch.optim.Adagrad),
    "RMSProp": (RMSProp, torch.optim.RMSprop),
    "Adam": (Adam, torch.optim.Adam),
}


@pytest.mark.parametrize("name", DEFAULTS)
def test_defaults_step_like_torch_defaults(name):
    make, make_torch = DEFAULTS[name]
    layer, rng = fc(), np.random.default_rng(1)
    tensors = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in layer.params.items()}
    optimizer, torch_optimizer = make(), make_torch(list(tensors.values()))
    for _ in range(3):
        grads = {k: rng.standard_normal(v.shape) for k, v in layer.params.items()}
        step_with_grads(optimizer, layer, grads)
        for k, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[k])
        torch_optimizer.step()
        for k, tensor in tensors.items():
            np.testing.assert_allclose(layer.params[k], tensor.detach().numpy(), rtol=0, atol=ATOL, err_msg=k)


def test_momentum_accepts_full_dampening():
    # dampening lies in [0, 1]: at 1 the buffer keeps only its decayed past after the first step.
    layer, lr = fc(), 0.1
    W = layer.params["W"].copy()
    g1, g2 = np.full((3, 2), 1.0), np.full((3, 2), 3.0)
    optimizer = Momentum(lr, momentum=0.5, dampening=1.0)
    step_with_grads(optimizer, layer, {"W": g1, "B": np.zeros(2)})
    step_with_grads(optimizer, layer, {"W": g2, "B": np.zeros(2)})
    # buf1 = g1 (the first step is undamped); buf2 = 0.5 * buf1 + (1 - 1) * g2
    np.testing.assert_allclose(layer.params["W"], W - lr * g1 - lr * 0.5 * g1, rtol=0, atol=ATOL)


@pytest.mark.parametrize("make, message", [
    (lambda: AdaGrad(lr=0), "AdaGrad: lr must be a finite number in (0, inf), got 0"),
    (lambda: RMSProp(lr=0), "RMSProp: lr must be a finite number in (0, inf), got 0"),
    (lambda: AdaGrad(eps=0.0), "AdaGrad: eps must be a finite number in (0, inf), got 0.0"),
    (lambda: RMSProp(eps=0.0), "RMSProp: eps must be a finite number in (0, inf), got 0.0"),
    (lambda: Adam(eps=0.0), "Adam: eps must be a finite number in (0, inf), got 0.0"),
    (lambda: Momentum(0.1, dampening=1.5), "Momentum: dampening must be a finite number in [0, 1], got 1.5"),
], ids=["AdaGrad lr", "RMSProp lr", "AdaGrad eps", "RMSProp eps", "Adam eps", "Momentum dampening"])
def test_open_and_closed_bounds_are_named_whole(make, message):
    with raises_exactly(ValueError, message):
        make()


@pytest.mark.parametrize("make", [lambda: AdaGrad(lr=5e-324, eps=5e-324), lambda: RMSProp(lr=5e-324, eps=5e-324),
                                  lambda: Adam(lr=5e-324, eps=5e-324)], ids=["AdaGrad", "RMSProp", "Adam"])
def test_the_smallest_positive_lr_and_eps_are_accepted(make):
    assert make().lr == 5e-324


STATE_KEYS = {Momentum: "momentum_buffer", AdaGrad: "sum", RMSProp: "square_avg", Adam: "exp_avg"}


@pytest.mark.parametrize("make", [lambda: Momentum(0.1), AdaGrad, RMSProp, Adam],
                         ids=["Momentum", "AdaGrad", "RMSProp", "Adam"])
def test_a_changed_parameter_shape_is_named_whole(make):
    optimizer, layer = make(), fc()
    optimizer.update(layer)
    layer.params["W"], layer.grads["W"] = np.zeros((2, 2)), np.zeros((2, 2))
    name, key = type(optimizer).__name__, STATE_KEYS[type(optimizer)]  # its first array state, torch's name
    with raises_exactly(ValueError, f"{name}.update(FC): params['W'] has shape (2, 2), "
                                    f"but its '{key}' state from earlier steps has (3, 2)"):
        optimizer.update(layer)


class Slotted:
    """A layer without a __weakref__ slot: the optimizer cannot hold its state weakly."""

    __slots__ = ("params", "grads")

    def __init__(self):
        self.params, self.grads = {"W": np.zeros(2)}, {"W": np.ones(2)}


def test_a_layer_that_cannot_be_weakly_referenced_is_named():
    layer = Slotted()
    with pytest.raises(TypeError, match="^" + re.escape("Adam.update: cannot keep state for a Slotted "
                                                        "(it must be hashable and weak-referenceable): ") + ".+$"):
        Adam().update(layer)
    np.testing.assert_array_equal(layer.params["W"], 0.0)


@pytest.mark.parametrize("make", [lambda: Momentum(0.1), AdaGrad, RMSProp, Adam],
                         ids=["Momentum", "AdaGrad", "RMSProp", "Adam"])
def test_state_is_a_copy_the_caller_may_change(make):
    optimizer, layer = make(), fc()
    optimizer.update(layer)
    state = optimizer.state(layer)
    expected = {name: {key: np.copy(value) for key, value in kept.items()} for name, kept in state.items()}
    for kept in state.values():
        for key, value in kept.items():
            if isinstance(value, np.ndarray):
                value += 1.0
            else:
                kept[key] = value + 100
    again = optimizer.state(layer)
    assert again.keys() == expected.keys()
    for name, kept in expected.items():
        assert again[name].keys() == kept.keys()
        for key, value in kept.items():
            np.testing.assert_array_equal(again[name][key], value, err_msg=f"{name} {key}")
