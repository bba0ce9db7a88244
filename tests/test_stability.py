"""Extreme inputs that finite differences do not reach: stability and kink conventions,
compared with PyTorch."""
import warnings

import numpy as np
import pytest
import torch

from scratch import LeakyReLU, ReLU, Sigmoid, Softmax, SoftmaxCrossEntropy

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


@pytest.mark.parametrize("layer, module", [(ReLU(), torch.nn.ReLU()), (LeakyReLU(0.1), torch.nn.LeakyReLU(0.1))],
                         ids=["ReLU", "LeakyReLU"])
def test_derivative_at_the_kink_follows_torch(layer, module):
    x = np.array([[-1.0, 0.0, -0.0, 1.0]])
    out = layer.forward(x)
    dx = layer.backward(np.full_like(x, 3.0))
    t = torch.tensor(x, requires_grad=True)
    module(t).backward(torch.full_like(t, 3.0))
    np.testing.assert_array_equal(out, module(torch.tensor(x)).numpy())
    np.testing.assert_array_equal(dx, t.grad.numpy())


def test_dropout_draws_a_fresh_mask_each_call_with_rate_p():
    from scratch import Dropout

    layer = Dropout(0.3, rng=np.random.default_rng(0))
    x = np.ones((200, 500))
    first, second = layer.forward(x) == 0, layer.forward(x) == 0
    assert not np.array_equal(first, second)
    # 1e5 Bernoulli(0.3) draws: the standard error of the rate is 1.4e-3; 0.01 is 7 of them.
    assert abs(first.mean() - 0.3) < 0.01 and abs(second.mean() - 0.3) < 0.01
