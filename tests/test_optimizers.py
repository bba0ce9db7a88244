"""Momentum, AdaGrad, RMSProp and Adam step for step against torch.optim, state included.

One optimizer updates two layers whose parameters all share shapes and names: a
SimpleRNN with n_features == n_nodes (W_x and W_h are both (n, n)) and an FC(n, n)
(its W is (n, n) too, and both layers have a "B" of shape (n,)). The FC is skipped on
drawn steps, where torch sees grad None and skips those tensors, so each parameter's
own step count (Adam's bias correction) is compared too. A buffer shared between two
parameters, or between the two "B"s, or one global step count, breaks the agreement.
"""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from scratch import FC, SGD, AdaGrad, Adam, Momentum, RMSProp, SimpleInitializer, SimpleRNN

torch.set_num_threads(1)

# Both sides run the same float64 update; only the association of a few multiplications
# differs (torch fuses some of them), so they agree to a few ulps of the largest state
# value (measured over 200 drawn runs per optimizer: at most 4.5e-13, AdaGrad's sums of
# squared gradients reaching ~1e4).
ATOL = 1e-10

LR = st.floats(1e-4, 1.0)
EPS = st.floats(1e-10, 1e-3)
FRACTION = st.floats(0.0, 0.999)  # momentum, alpha, beta: [0, 1)


@st.composite
def momentum_kwargs(draw):
    kwargs = {"lr": draw(LR), "momentum": draw(FRACTION), "dampening": draw(st.sampled_from([0.0, 0.1, 0.5]))}
    kwargs["nesterov"] = kwargs["momentum"] > 0 and kwargs["dampening"] == 0 and draw(st.booleans())
    return kwargs


# name -> (hyperparameter strategy, scratch optimizer, torch optimizer, compared state keys)
OPTIMIZERS = {
    "SGD": (st.fixed_dictionaries({"lr": LR}), SGD,
            lambda params, lr: torch.optim.SGD(params, lr=lr), ()),
    "Momentum": (momentum_kwargs(), Momentum, torch.optim.SGD, ("momentum_buffer",)),
    "AdaGrad": (st.fixed_dictionaries({"lr": LR, "eps": EPS, "initial_accumulator_value": st.floats(0.0, 1.0)}),
                AdaGrad, torch.optim.Adagrad, ("step", "sum")),
    "RMSProp": (st.fixed_dictionaries({"lr": LR, "alpha": FRACTION, "eps": EPS}),
                RMSProp, torch.optim.RMSprop, ("step", "square_avg")),
    "Adam": (st.fixed_dictionaries({"lr": LR, "betas": st.tuples(FRACTION, FRACTION), "eps": EPS}),
             Adam, torch.optim.Adam, ("step", "exp_avg", "exp_avg_sq")),
}


def two_layers(n, rng):
    init = SimpleInitializer(0.5, rng=rng)
    return {"rnn": SimpleRNN(n, n, init), "fc": FC(n, n, init)}


def run_both(name, kwargs, n, steps, fc_steps, grad_scale, seed):
    """Step scratch and torch side by side; return the largest |scratch - torch| seen."""
    _, make, make_torch, state_keys = OPTIMIZERS[name]
    rng = np.random.default_rng(seed)
    layers = two_layers(n, rng)
    tensors = {(ln, pn): torch.tensor(p.copy(), requires_grad=True)
               for ln, layer in layers.items() for pn, p in layer.params.items()}
    scratch_opt, torch_opt = make(**kwargs), make_torch(list(tensors.values()), **kwargs)
    worst, stepped = 0.0, set()

    def check(what, scratch_value, torch_value):
        nonlocal worst
        torch_value = np.asarray(torch_value, dtype=np.float64)
        assert np.shape(scratch_value) == torch_value.shape, f"{what}: shape {np.shape(scratch_value)}"
        diff = float(np.max(np.abs(scratch_value - torch_value)))
        if not diff <= ATOL:  # assert_allclose is slow; call it only to report the failure
            np.testing.assert_allclose(scratch_value, torch_value, rtol=0, atol=ATOL, err_msg=what)
        worst = max(worst, diff)

    for step in range(steps):
        updated = ["rnn", "fc"] if step in fc_steps else ["rnn"]
        for (ln, pn), tensor in tensors.items():
            grad = grad_scale * rng.standard_normal(tensor.shape)
            layers[ln].grads[pn][...] = grad
            tensor.grad = torch.tensor(grad) if ln in updated else None
        for ln in updated:
            scratch_opt.update(layers[ln])
        torch_opt.step()
        stepped.update(updated)
        for (ln, pn), tensor in tensors.items():
            where = f"{name} step {step + 1}: {ln}.{pn}"
            check(f"{where} (param)", layers[ln].params[pn], tensor.detach().numpy())
            if not state_keys:
                continue
            scratch_state = scratch_opt.state(layers[ln])
            if ln not in stepped:  # (torch's Adagrad creates its state before the first step)
                assert pn not in scratch_state, f"{where}: state before the first step"
                continue
            scratch_state, torch_state = scratch_state[pn], torch_opt.state[tensor]
            for key in state_keys:  # (no momentum buffer at momentum 0, in torch as here)
                assert (key in scratch_state) == (key in torch_state), f"{where}: state {key!r} on one side only"
                if key in torch_state:
                    check(f"{where} (state {key!r})", scratch_state[key], torch_state[key])
    return worst


@pytest.mark.parametrize("name", OPTIMIZERS)
@given(data=st.data())
def test_optimizer_matches_torch_with_its_state(name, data):
    kwargs = data.draw(OPTIMIZERS[name][0], label="hyperparameters")
    steps = data.draw(st.integers(10, 12), label="steps")
    fc_steps = data.draw(st.sets(st.integers(0, steps - 1)), label="steps that also update the FC")
    run_both(name, kwargs, n=data.draw(st.integers(1, 4), label="n"), steps=steps, fc_steps=fc_steps,
             grad_scale=data.draw(st.sampled_from([1e-3, 1.0, 10.0]), label="gradient scale"),
             seed=data.draw(st.integers(0, 2**32 - 1), label="seed"))


STATEFUL = [Momentum(0.1), AdaGrad(), RMSProp(), Adam()]


def stepped_layer(optimizer, steps=3):
    rng = np.random.default_rng(0)
    layer = two_layers(3, rng)["fc"]
    for _ in range(steps):
        for grad in layer.grads.values():
            grad[...] = rng.standard_normal(grad.shape)
        optimizer.update(layer)
    return layer


@pytest.mark.parametrize("optimizer", STATEFUL, ids=lambda o: type(o).__name__)
def test_mismatched_grads_change_neither_params_nor_state(optimizer):
    layer = stepped_layer(optimizer)
    params, state = {k: v.copy() for k, v in layer.params.items()}, optimizer.state(layer)
    layer.grads["B"] = np.zeros(4)
    with pytest.raises(ValueError, match=rf"{type(optimizer).__name__}\.update\(FC\): grads\['B'\] has shape"):
        optimizer.update(layer)
    for key, value in params.items():
        np.testing.assert_array_equal(layer.params[key], value)
    assert_same_state(optimizer.state(layer), state)


@pytest.mark.parametrize("optimizer", STATEFUL, ids=lambda o: type(o).__name__)
def test_a_parameter_whose_shape_changed_is_refused(optimizer):
    layer = stepped_layer(optimizer)
    state = optimizer.state(layer)
    layer.params["W"], layer.grads["W"] = np.zeros((3, 2)), np.ones((3, 2))
    bias = layer.params["B"].copy()
    with pytest.raises(ValueError, match=r"params\['W'\] has shape \(3, 2\), but its '\w+' state"):
        optimizer.update(layer)
    np.testing.assert_array_equal(layer.params["W"], 0.0)
    np.testing.assert_array_equal(layer.params["B"], bias)
    assert_same_state(optimizer.state(layer), state)


@pytest.mark.parametrize("make", [lambda: Momentum(0.1), AdaGrad, RMSProp, Adam],
                         ids=["Momentum", "AdaGrad", "RMSProp", "Adam"])
def test_a_new_layer_never_inherits_the_state_of_a_deleted_one(make):
    # CPython reuses the memory (and so the id) of a freed object for the next one of
    # its size, so state keyed on id(layer) would pass to the next layer; it is held
    # weakly instead.
    optimizer, init = make(), SimpleInitializer(rng=np.random.default_rng(0))
    for _ in range(3):
        layer = FC(3, 3, init)
        optimizer.update(layer)
        assert set(optimizer.state(layer)) == {"W", "B"}
        del layer  # freed at once: nothing refers back to it
        assert optimizer.state(FC(3, 3, init)) == {}


def assert_same_state(actual, expected):
    assert actual.keys() == expected.keys()
    for name in expected:
        assert actual[name].keys() == expected[name].keys()
        for key, value in expected[name].items():
            np.testing.assert_array_equal(actual[name][key], value, err_msg=f"{name} {key}")


@pytest.mark.parametrize("make, error, message", [
    (lambda: Momentum(0), ValueError, r"Momentum: lr must be a finite number in \(0, inf\), got 0"),
    (lambda: Momentum(float("nan")), ValueError, "Momentum: lr must be"),
    (lambda: Momentum("0.1"), TypeError, "Momentum: lr must be a real number"),
    (lambda: Momentum(True), TypeError, "Momentum: lr must be a real number"),
    (lambda: Momentum(0.1, momentum=1.0), ValueError, r"Momentum: momentum must be a finite number in \[0, 1\)"),
    (lambda: Momentum(0.1, momentum=-0.1), ValueError, "Momentum: momentum must be"),
    (lambda: Momentum(0.1, dampening=1.5), ValueError, r"Momentum: dampening must be a finite number in \[0, 1\]"),
    (lambda: Momentum(0.1, nesterov=1), TypeError, "Momentum: nesterov must be True or False"),
    (lambda: Momentum(0.1, dampening=0.5, nesterov=True), ValueError, "Momentum: nesterov needs"),
    (lambda: Momentum(0.1, momentum=0.0, nesterov=True), ValueError, "Momentum: nesterov needs"),
    (lambda: AdaGrad(lr=-1.0), ValueError, "AdaGrad: lr must be"),
    (lambda: AdaGrad(eps=0.0), ValueError, r"AdaGrad: eps must be a finite number in \(0, inf\)"),
    (lambda: AdaGrad(initial_accumulator_value=-1.0), ValueError, "AdaGrad: initial_accumulator_value must be"),
    (lambda: RMSProp(alpha=1.0), ValueError, r"RMSProp: alpha must be a finite number in \[0, 1\)"),
    (lambda: RMSProp(eps=float("inf")), ValueError, "RMSProp: eps must be"),
    (lambda: Adam(lr=0.0), ValueError, "Adam: lr must be"),
    (lambda: Adam(betas=0.9), TypeError, r"Adam: betas must be a pair"),
    (lambda: Adam(betas=(0.9, 0.99, 0.9)), TypeError, r"Adam: betas must be a pair"),
    (lambda: Adam(betas=(0.9, 1.0)), ValueError, r"Adam: betas\[1\] must be a finite number in \[0, 1\)"),
    (lambda: Adam(betas=(-0.1, 0.9)), ValueError, r"Adam: betas\[0\] must be"),
    (lambda: Adam(eps=-1e-8), ValueError, "Adam: eps must be"),
])
def test_bad_hyperparameters_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()
