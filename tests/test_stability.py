"""Extreme inputs that finite differences do not reach: stability compared with PyTorch, and
the reach of the check of the conventions at kinks and ties."""
import warnings

import numpy as np
import pytest
import torch

from reference._builtin.specs import SPECS
from reference._engine.checks import CHECKS
from reference._engine.strategies import at_kinks_and_ties, drawn_examples
from scratch import Sigmoid, Softmax, SoftmaxCrossEntropy

EXTREME = np.array([[-1e4, -745.0, -30.0, 0.0, 30.0, 745.0, 1e4]])


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_sigmoid_is_stable_and_matches_torch_for_large_inputs():
    layer = Sigmoid()
    out = layer.forward(EXTREME)
    dx = layer.backward(np.ones_like(EXTREME))
    x = torch.tensor(EXTREME, requires_grad=True)
    torch.sigmoid(x).backward(torch.ones_like(x))
    # atol 1e-300: sigmoid(-745) is the subnormal 5e-324 here and 0 in torch.
    np.testing.assert_allclose(out, torch.sigmoid(x).detach().numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(dx, x.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_softmax_rows_on_very_different_scales_match_torch():
    x = np.array([[1e4, 1e4 - 1.0, 0.0], [-1e4, -1e4 + 2.0, -1e4 + 1.0], [0.0, 1.0, 2.0]])
    out = Softmax().forward(x)
    np.testing.assert_allclose(out, torch.softmax(torch.tensor(x), dim=-1).numpy(), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("scale", [1.0, 1e2, 1e4])
def test_cross_entropy_is_finite_and_matches_torch_for_large_logits(scale):
    scores = scale * np.array([[1.0, -1.0, 0.5], [-1.0, 1.0, 0.0]])
    labels = np.array([1, 1])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(scores, labels)
    grad = loss.backward()
    s = torch.tensor(scores, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(s, torch.tensor(labels))
    expected.backward()
    assert np.isfinite(value)
    np.testing.assert_allclose(value, expected.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, s.grad.numpy(), rtol=1e-12, atol=1e-300)


# The conventions at kinks and ties are compared with PyTorch by the kinks_and_ties check, for
# every spec that declares kinks or a maximum (Floats(kinks=...), Floats(distinct=True)).
AT_KINKS = next(check for check in CHECKS if check.name == "kinks_and_ties")
DECLARED = [spec for spec in SPECS if AT_KINKS.applies(spec)]


def test_every_layer_with_a_kink_or_a_maximum_has_its_convention_checked():
    assert {spec.name for spec in DECLARED} == {"ReLU", "LeakyReLU", "MaxPool2d"}


@pytest.mark.parametrize("spec", DECLARED, ids=str)
def test_the_convention_check_reaches_the_kinks_and_ties(spec):
    x_decl = spec.inputs["x"]
    moved = [at_kinks_and_ties(x_decl, example.args["x"], np.random.default_rng(example.seed))
             for example in drawn_examples(spec, 0, 20)]
    values = np.concatenate([x.ravel() for x in moved])
    if x_decl.kinks:  # ReLU's kink at 0, from both sides of it: 0.0 and -0.0
        assert np.mean(values == 0.0) > 0.3 and np.any(np.signbit(values) & (values == 0.0))
    if x_decl.distinct:  # three levels, so that most windows of two or more tie at their maximum
        assert all(np.unique(x).size <= 3 for x in moved) and np.mean([np.unique(x).size < x.size for x in moved]) > 0.5


def test_dropout_draws_a_fresh_mask_each_call_with_rate_p():
    from scratch import Dropout

    layer = Dropout(0.3, rng=np.random.default_rng(0))
    x = np.ones((200, 500))
    first, second = layer.forward(x) == 0, layer.forward(x) == 0
    assert not np.array_equal(first, second)
    # 1e5 Bernoulli(0.3) draws: the standard error of the rate is 1.4e-3; 0.01 is 7 of them.
    assert abs(first.mean() - 0.3) < 0.01 and abs(second.mean() - 0.3) < 0.01
