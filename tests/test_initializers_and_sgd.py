"""Initializers draw from the injected generator and follow their rule (statistically, and
like torch.nn.init); SGD steps every parameter once."""
import numpy as np
import pytest

from reference._selftest import initializer_stats as stats
from reference._selftest.built_layers import BUILT
from scratch import FC, SGD, HeInitializer, SimpleInitializer, SimpleRNN, XavierInitializer

INITIALIZERS = [lambda rng: SimpleInitializer(0.05, rng=rng), XavierInitializer, HeInitializer]


@pytest.mark.parametrize("make", INITIALIZERS, ids=["Simple", "Xavier", "He"])
def test_initializer_is_reproducible_from_its_generator(make):
    first = make(np.random.default_rng(7))
    second = make(np.random.default_rng(7))
    other = make(np.random.default_rng(8))
    W = first.W(3, 5)
    assert W.shape == (3, 5) and W.dtype == np.float64
    np.testing.assert_array_equal(W, second.W(3, 5))
    assert not np.array_equal(W, other.W(3, 5))
    assert first.B(5).shape == (5,)


@pytest.mark.parametrize("make", INITIALIZERS, ids=["Simple", "Xavier", "He"])
def test_initializer_rejects_bad_sizes(make):
    init = make(np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_in must be a positive integer"):
        init.W(0, 3)


RULES = [(lambda rng: SimpleInitializer(0.05, rng=rng), stats.simple_rule(0.05)),
         (XavierInitializer, stats.XAVIER), (HeInitializer, stats.HE)]


@pytest.mark.parametrize("make, rule", RULES, ids=["Simple", "Xavier", "He"])
@pytest.mark.parametrize("seed", [0, 1])
def test_initializer_follows_its_rule_and_torch_nn_init(make, rule, seed):
    # Mean, std and kurtosis within 6 standard errors of N(0, std^2), and the std within
    # 6 standard errors of torch.nn.init's draw: false alarm < 1.6e-8 per seed
    # (reference/initializer_stats.py); at these fixed seeds the verdict never changes.
    failures = stats.check_initializer(make, rule, seed=seed)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("make, rule", RULES, ids=["Simple", "Xavier", "He"])
@pytest.mark.parametrize("built", BUILT, ids=lambda built: built.name)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_layer_draws_its_initial_weights_with_torch_nn_inits_fans(built, make, rule, seed):
    # Each weight as the constructor draws it, against the rule with the fans torch.nn.init
    # computes for the same weight in torch's layout, and against torch.nn.init's own draw:
    # false alarm < 5.6e-7 over every layer, rule and seed here (initializer_stats.py).
    failures = stats.check_built(built, built.cls, make, rule, seed=seed)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("make", INITIALIZERS, ids=["Simple", "Xavier", "He"])
def test_a_weight_of_any_shape_is_drawn_as_a_matrix_with_the_same_fans(make):
    W = make(np.random.default_rng(0)).weight((4, 3, 5), 12, 5)
    assert W.shape == (4, 3, 5) and W.dtype == np.float64
    np.testing.assert_array_equal(W, make(np.random.default_rng(0)).W(12, 5).reshape(4, 3, 5))


def test_initializers_need_a_generator():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        XavierInitializer(np.random.RandomState(0))


def test_sgd_updates_every_parameter_of_a_recurrent_layer():
    rng = np.random.default_rng(0)
    rnn = SimpleRNN(3, 4, SimpleInitializer(0.5, rng=rng))
    before = {k: v.copy() for k, v in rnn.params.items()}
    rnn.forward(rng.standard_normal((2, 5, 3)))
    rnn.backward(rng.standard_normal((2, 5, 4)))
    SGD(lr=0.1).update(rnn)
    for name, value in rnn.params.items():
        np.testing.assert_allclose(value, before[name] - 0.1 * rnn.grads[name], rtol=1e-15, atol=0)


def test_sgd_refuses_mismatched_grads_and_changes_nothing():
    layer = FC(2, 3, SimpleInitializer(rng=np.random.default_rng(0)))
    layer.grads["B"] = np.zeros(4)
    before = {k: v.copy() for k, v in layer.params.items()}
    with pytest.raises(ValueError, match=r"grads\['B'\] has shape \(4,\)"):
        SGD(0.1).update(layer)
    for name, value in layer.params.items():
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize("lr", [0, -1.0, float("nan")])
def test_sgd_rejects_bad_learning_rates(lr):
    with pytest.raises(ValueError, match=r"SGD: lr must be a finite number in \(0, inf\)"):
        SGD(lr)


@pytest.mark.parametrize("lr", ["0.1", None, True])
def test_sgd_rejects_a_learning_rate_that_is_not_a_number_with_a_type_error_as_the_others(lr):
    with pytest.raises(TypeError, match="SGD: lr must be a real number"):
        SGD(lr)
