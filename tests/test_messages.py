"""Constructor and optimizer errors, and mode switches, the generic checks do not reach.

The generic `rejects_bad_input` check draws bad forward/backward arguments for every
spec and matches the layer and argument names; these tests pin the whole message of the
errors it cannot draw (constructor arguments, optimizer steps, a 0-d input), since a
message is what a user reads, and they check that nothing changed afterwards.
"""
import re

import numpy as np
import pytest

from scratch import (FC, GRU, LSTM, SGD, Dropout, Flatten, HeInitializer, SimpleInitializer, SimpleRNN,
                     Softmax, SoftmaxCrossEntropy, XavierInitializer)


def raises_exactly(error, message):
    return pytest.raises(error, match="^" + re.escape(message) + "$")


@pytest.mark.parametrize("p", [1.0, 1.5, -0.1, "0.5", None])
def test_dropout_rejects_p_outside_zero_one(p):
    with raises_exactly(ValueError, f"Dropout: p must be a number in [0, 1), got {p!r}"):
        Dropout(p, rng=np.random.default_rng(0))


def test_dropout_needs_a_generator():
    with raises_exactly(TypeError, "Dropout: rng must be a numpy.random.Generator, got RandomState"):
        Dropout(0.5, rng=np.random.RandomState(0))


def test_dropout_modes_switch_and_chain():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    assert layer.training is True
    assert layer.eval() is layer and layer.training is False
    np.testing.assert_array_equal(layer.forward(np.ones(1000)), np.ones(1000))
    assert layer.train() is layer and layer.training is True
    kept = layer.forward(np.ones(1000))
    assert set(np.unique(kept)) == {0.0, 2.0}


@pytest.mark.parametrize("make", [lambda rng: SimpleInitializer(0.1, rng=rng), XavierInitializer, HeInitializer],
                         ids=["Simple", "Xavier", "He"])
@pytest.mark.parametrize("n", [0, -2, 2.0, True])
def test_initializer_sizes_must_be_positive_integers(make, n):
    init = make(np.random.default_rng(0))
    name = type(init).__name__
    with raises_exactly(ValueError, f"{name}: n_out must be a positive integer, got {n!r}"):
        init.B(n)
    with raises_exactly(ValueError, f"{name}: n_in must be a positive integer, got {n!r}"):
        init.W(n, 3)
    with raises_exactly(ValueError, f"{name}: n_out must be a positive integer, got {n!r}"):
        init.W(3, n)


@pytest.mark.parametrize("make", [lambda rng: SimpleInitializer(0.1, rng=rng), XavierInitializer, HeInitializer],
                         ids=["Simple", "Xavier", "He"])
@pytest.mark.parametrize("shape, fan_in, fan_out, words", [
    ([2, 3], 2, 3, "shape must be a tuple of positive integers, got [2, 3]"),
    ((2, 0), 2, 3, "shape must be a tuple of positive integers, got (2, 0)"),
    ((2, 3), 0, 3, "fan_in must be a positive integer, got 0"),
    ((2, 3), 2, 1.5, "fan_out must be a positive integer, got 1.5"),
])
def test_initializer_weight_shapes_and_fans_must_be_positive_integers(make, shape, fan_in, fan_out, words):
    init = make(np.random.default_rng(0))
    with raises_exactly(ValueError, f"{type(init).__name__}: {words}"):
        init.weight(shape, fan_in, fan_out)
    np.testing.assert_array_equal(init.W(2, 3), make(np.random.default_rng(0)).W(2, 3))  # nothing drawn


@pytest.mark.parametrize("sigma", [0, -0.1, float("inf"), "0.1"])
def test_simple_initializer_rejects_bad_sigma(sigma):
    with raises_exactly(ValueError, f"SimpleInitializer: sigma must be a positive finite number, got {sigma!r}"):
        SimpleInitializer(sigma, rng=np.random.default_rng(0))


def test_softmax_needs_at_least_one_axis():
    with raises_exactly(ValueError, "Softmax: x must have at least 1 dimension, got shape ()"):
        Softmax().forward(np.array(1.0))


def test_cross_entropy_scores_must_be_two_dimensional():
    with raises_exactly(ValueError, "SoftmaxCrossEntropy: scores must have shape (batch, n_classes), got (3,)"):
        SoftmaxCrossEntropy().forward(np.zeros(3), np.zeros(3, dtype=int))


def _fc():
    return FC(2, 3, SimpleInitializer(rng=np.random.default_rng(0)))


def _refused(layer, message):
    before = {k: v.copy() for k, v in layer.params.items()}
    with raises_exactly(ValueError, message):
        SGD(0.1).update(layer)
    for name, value in layer.params.items():
        np.testing.assert_array_equal(value, before[name])


def test_optimizer_refuses_missing_gradients_and_changes_nothing():
    layer = _fc()
    del layer.grads["B"]
    _refused(layer, "SGD.update(FC): grads keys ['W'] do not match params keys ['B', 'W']")


def test_optimizer_refuses_misshaped_gradients_and_changes_nothing():
    layer = _fc()
    layer.grads["W"] = np.zeros((3, 2))
    _refused(layer, "SGD.update(FC): grads['W'] has shape (3, 2), params['W'] has (2, 3)")


@pytest.mark.parametrize("make, name", [(XavierInitializer, "XavierInitializer"), (HeInitializer, "HeInitializer"),
                                        (lambda rng: SimpleInitializer(0.1, rng=rng), "SimpleInitializer")])
def test_initializers_name_themselves_when_the_generator_is_wrong(make, name):
    with raises_exactly(TypeError, f"{name}: rng must be a numpy.random.Generator, got RandomState"):
        make(np.random.RandomState(0))


def test_array_checks_say_what_was_given_and_where():
    layer = _fc()
    with raises_exactly(TypeError, "FC: x must be a numpy array, got list"):
        layer.forward([[1.0, 2.0]])
    with raises_exactly(TypeError, "FC: x must have a real numeric dtype, got <U3"):
        layer.forward(np.array([["1.0", "2.0"]]))
    x = np.zeros((3, 2))
    x[2, 1] = np.inf
    with raises_exactly(ValueError, "FC: x must be finite, got inf at index (2, 1)"):
        layer.forward(x)


def test_integer_input_is_promoted_to_float64():
    layer = _fc()
    out = layer.forward(np.array([[1, 2]]))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, layer.forward(np.array([[1.0, 2.0]])))


def test_a_recurrent_layer_has_no_input_gradients_before_backward():
    assert SimpleRNN(3, 4, SimpleInitializer(rng=np.random.default_rng(0))).dinputs == {}


def test_flatten_needs_a_batch_axis_and_another():
    with raises_exactly(ValueError, "Flatten: x must have shape (batch, ...) with at least 2 dimensions, got (3,)"):
        Flatten().forward(np.zeros(3))


def test_documented_defaults():
    # The exercise's defaults: dropout ratio 0.5, Gaussian sigma 0.01.
    assert Dropout(rng=np.random.default_rng(0)).p == 0.5
    assert SimpleInitializer(rng=np.random.default_rng(0)).sigma == 0.01


@pytest.mark.parametrize("cls", [SimpleRNN, GRU, LSTM])
def test_every_recurrent_layer_names_the_axes_it_expects(cls):
    layer = cls(3, 4, SimpleInitializer(rng=np.random.default_rng(0)))
    name = cls.__name__
    with raises_exactly(ValueError, f"{name}: x must have shape (batch, seq_len, 3), got (2, 3)"):
        layer.forward(np.zeros((2, 3)))
    with raises_exactly(ValueError, f"{name}: h0 must have shape (2, 4) (batch as in x), got (3, 4)"):
        layer.forward(np.zeros((2, 5, 3)), np.zeros((3, 4)))


@pytest.mark.parametrize("cls", [SimpleRNN, GRU, LSTM])
def test_an_empty_sequence_is_refused_as_torch_refuses_it_and_changes_nothing(cls):
    # torch.nn.RNN raises for seq_len 0; with no step, nothing would depend on h0.
    layer = cls(3, 4, SimpleInitializer(0.5, rng=np.random.default_rng(0)))
    layer.forward(np.ones((2, 1, 3)))
    cache = layer.cache
    with raises_exactly(ValueError, f"{cls.__name__}: x must have at least one time step, got shape (2, 0, 3)"):
        layer.forward(np.zeros((2, 0, 3)), np.ones((2, 4)))
    assert layer.cache is cache
