"""Details of the convolution, pool, normalization, gated, embedding and loss layers that
the generic checks do not reach: constructor arguments and their defaults, the smallest
valid value next to the first invalid one, and the whole message of each error (the
generic `rejects_bad_input` check only looks for the layer's and the argument's names).
Values are compared with the PyTorch module, never with numbers copied from scratch.
"""
import re

import numpy as np
import pytest
import torch
from torch import nn

from scratch import (GRU, LSTM, AvgPool2d, BatchNorm1d, Conv1d, Conv2d, Embedding, LayerNorm, MaxPool2d,
                     MSELoss, SimpleInitializer, SoftmaxCrossEntropy, Tanh)


def raises_exactly(error, message):
    return pytest.raises(error, match="^" + re.escape(message) + "$")


def _init():
    return SimpleInitializer(rng=np.random.default_rng(0))


def _x(*shape):
    return np.random.default_rng(1).uniform(-1.0, 1.0, shape)


def _torch(module, *arrays):
    with torch.no_grad():
        return module(*(torch.from_numpy(a) for a in arrays)).numpy()


# --- convolutions and pools: kernel_size, stride, padding ---

SIZE_ERRORS = [
    (lambda: Conv1d(2, 3, 0, _init()), "Conv1d: kernel_size must be an integer >= 1 or a tuple of 1 of them, got 0"),
    (lambda: Conv2d(2, 3, (2, 2, 2), _init()),
     "Conv2d: kernel_size must be an integer >= 1 or a tuple of 2 of them, got (2, 2, 2)"),
    (lambda: Conv2d(2, 3, True, _init()),
     "Conv2d: kernel_size must be an integer >= 1 or a tuple of 2 of them, got True"),
    (lambda: Conv2d(2, 3, 2, _init(), stride=2.0),
     "Conv2d: stride must be an integer >= 1 or a tuple of 2 of them, got 2.0"),
    (lambda: Conv1d(2, 3, 2, _init(), padding=-1),
     "Conv1d: padding must be an integer >= 0 or a tuple of 1 of them, got -1"),
    (lambda: MaxPool2d(0), "MaxPool2d: kernel_size must be an integer >= 1 or a tuple of 2 of them, got 0"),
    (lambda: MaxPool2d(2, stride=(1, 0)),
     "MaxPool2d: stride must be an integer >= 1 or a tuple of 2 of them, got (1, 0)"),
    (lambda: AvgPool2d(2, padding=(0, -1)),
     "AvgPool2d: padding must be an integer >= 0 or a tuple of 2 of them, got (0, -1)"),
    (lambda: MaxPool2d(3, padding=2), "MaxPool2d: padding (2, 2) must be at most half of kernel_size (3, 3)"),
    (lambda: AvgPool2d((2, 3), padding=(1, 2)),
     "AvgPool2d: padding (1, 2) must be at most half of kernel_size (2, 3)"),
]


@pytest.mark.parametrize("build, message", SIZE_ERRORS, ids=[m.split(" must")[0] for _, m in SIZE_ERRORS])
def test_window_arguments_are_checked(build, message):
    with raises_exactly(ValueError, message):
        build()


@pytest.mark.parametrize("layer_class", [Conv1d, Conv2d])
def test_convolution_defaults_are_torchs(layer_class):
    """stride 1 and padding 0 when not given, as in nn.Conv1d and nn.Conv2d."""
    layer = layer_class(2, 3, 2, _init())
    twin = (nn.Conv1d if layer_class is Conv1d else nn.Conv2d)(2, 3, 2).double()
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(np.moveaxis(layer.params["W"], -1, 0)))
        twin.bias.copy_(torch.from_numpy(layer.params["B"]))
    x = _x(2, 2, *(5,) * len(layer_class.axes))
    np.testing.assert_allclose(layer.forward(x), _torch(twin, x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layer_class, twin_class", [(MaxPool2d, nn.MaxPool2d), (AvgPool2d, nn.AvgPool2d)])
def test_pool_defaults_are_torchs(layer_class, twin_class):
    """stride = kernel_size and padding 0 when not given; padding of half the kernel is accepted."""
    x = _x(2, 3, 7, 6)
    np.testing.assert_allclose(layer_class(3).forward(x), _torch(twin_class(3), x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer_class((3, 2), padding=(1, 1)).forward(x),
                               _torch(twin_class((3, 2), padding=(1, 1)), x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layer, x_shape, message", [
    (lambda: Conv1d(2, 3, 2, _init()), (2, 5), "Conv1d: x must have shape (batch, 2, length), got (2, 5)"),
    (lambda: Conv2d(2, 3, 2, _init()), (2, 2, 5), "Conv2d: x must have shape (batch, 2, height, width), got (2, 2, 5)"),
    (lambda: MaxPool2d(2), (2, 2, 5), "MaxPool2d: x must have shape (batch, channels, height, width), got (2, 2, 5)"),
    (lambda: Conv1d(1, 1, 4, _init(), padding=1), (1, 1, 1),
     "Conv1d: x's length (1,) with padding (1,) must be at least kernel_size (4,)"),
    (lambda: Conv2d(1, 1, (2, 4), _init(), padding=(0, 1)), (1, 1, 2, 1),
     "Conv2d: x's height, width (2, 1) with padding (0, 1) must be at least kernel_size (2, 4)"),
], ids=["Conv1d-rank", "Conv2d-rank", "MaxPool2d-rank", "Conv1d-small", "Conv2d-small"])
def test_window_input_is_checked(layer, x_shape, message):
    with raises_exactly(ValueError, message):
        layer().forward(np.zeros(x_shape))


def test_input_of_exactly_one_window_is_accepted():
    """length + 2 * padding == kernel_size: one output position, as in PyTorch."""
    layer = Conv1d(1, 1, 4, _init(), padding=1)
    assert layer.forward(np.zeros((1, 1, 2))).shape == (1, 1, 1)


def test_windows_are_a_read_only_view():
    """Overlapping windows share memory: a write through one would change its neighbours."""
    windows = Conv2d(1, 1, 2, _init()).windows.view(_x(1, 1, 3, 3))
    assert not windows.flags.writeable


# --- normalization: eps, momentum, modes ---

@pytest.mark.parametrize("layer_class", [LayerNorm, BatchNorm1d])
@pytest.mark.parametrize("eps", [0, -1e-5, float("inf"), float("nan"), "1e-5", None])
def test_eps_must_be_positive_and_finite(layer_class, eps):
    with raises_exactly(ValueError, f"{layer_class.__name__}: eps must be a positive finite number, got {eps!r}"):
        layer_class(3, eps=eps)


@pytest.mark.parametrize("eps", [5e-324, 0.5])
def test_batch_norm_uses_its_eps(eps):
    """The smallest positive eps is accepted, and eps reaches the normalization, as in nn.BatchNorm1d."""
    x = _x(4, 3) * 0.1
    expected = _torch(nn.BatchNorm1d(3, eps=eps).double(), x)
    np.testing.assert_allclose(BatchNorm1d(3, eps=eps).forward(x), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("momentum", [-0.1, 1.5, float(np.nextafter(1.0, 2.0)), "0.1", None])
def test_momentum_must_be_in_zero_one(momentum):
    with raises_exactly(ValueError, f"BatchNorm1d: momentum must be a number in [0, 1], got {momentum!r}"):
        BatchNorm1d(3, momentum=momentum)


def test_batch_norm_modes_switch_and_chain():
    layer = BatchNorm1d(2)
    assert layer.training is True
    assert layer.eval() is layer and layer.training is False
    layer.forward(_x(3, 2))
    np.testing.assert_array_equal(layer.running_mean, np.zeros(2))  # evaluation leaves the statistics alone
    assert layer.train() is layer and layer.training is True
    layer.forward(_x(3, 2))
    assert np.all(layer.running_mean != 0.0)


@pytest.mark.parametrize("layer, x_shape, message", [
    (lambda: LayerNorm(3), (2, 4), "LayerNorm: x must have shape (..., 3), got (2, 4)"),
    (lambda: LayerNorm(3), (), "LayerNorm: x must have shape (..., 3), got ()"),
    (lambda: BatchNorm1d(3), (2, 3, 1), "BatchNorm1d: x must have shape (batch, 3), got (2, 3, 1)"),
], ids=["LayerNorm-features", "LayerNorm-0d", "BatchNorm1d-rank"])
def test_normalization_input_is_checked(layer, x_shape, message):
    with raises_exactly(ValueError, message):
        layer().forward(np.zeros(x_shape))


# --- GRU and LSTM (their shape messages: tests/test_messages.py) ---

@pytest.mark.parametrize("layer_class", [GRU, LSTM])
def test_gated_layer_has_no_input_gradients_before_backward(layer_class):
    assert layer_class(3, 4, _init()).dinputs == {}  # empty, not None, until a backward fills it


# --- Embedding ---

def test_embedding_indices_are_checked():
    layer = Embedding(4, 2, _init())
    with raises_exactly(TypeError, "Embedding: indices must be a numpy array, got list"):
        layer.forward([[0, 1]])
    with raises_exactly(ValueError, "Embedding: indices must have shape (batch, seq_len), got (3,)"):
        layer.forward(np.array([0, 1, 2]))
    with raises_exactly(ValueError, "Embedding: indices must be in [0, 4), got values from 0 to 4"):
        layer.forward(np.array([[0, 4]]))


def test_embedding_accepts_the_last_row():
    layer = Embedding(4, 2, _init())
    twin = nn.Embedding(4, 2).double()
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.params["W"]))
    indices = np.array([[3, 0], [3, 1]])
    np.testing.assert_array_equal(layer.forward(indices), _torch(twin, indices))


# --- losses ---

def test_cross_entropy_targets_are_checked():
    loss, scores = SoftmaxCrossEntropy(), np.zeros((2, 3))
    with raises_exactly(TypeError, "SoftmaxCrossEntropy: targets must be a numpy array, got list"):
        loss.forward(scores, [0, 1])
    with raises_exactly(ValueError, "SoftmaxCrossEntropy: targets must have shape (2) (batch as in scores), got (3,)"):
        loss.forward(scores, np.array([0, 1, 2]))
    with raises_exactly(ValueError, "SoftmaxCrossEntropy: targets must be labels in [0, 3), got values from 0 to 3"):
        loss.forward(scores, np.array([0, 3]))
    with raises_exactly(ValueError, "SoftmaxCrossEntropy: targets must have shape (2, 3) (as scores), got (2, 4)"):
        loss.forward(scores, np.full((2, 4), 0.25))


@pytest.mark.parametrize("excess, accepted", [(5e-10, True), (5e-9, False), (1e-7, False)])
def test_cross_entropy_probability_rows_sum_to_one_within_1e_9(excess, accepted):
    scores = _x(2, 3)
    targets = np.array([[0.5, 0.5 + excess, 0.0], [0.0, 0.0, 1.0]])
    if accepted:
        expected = _torch(nn.CrossEntropyLoss(), scores, targets)
        np.testing.assert_allclose(SoftmaxCrossEntropy().forward(scores, targets), expected, rtol=1e-12)
    else:
        with raises_exactly(ValueError,
                            "SoftmaxCrossEntropy: (batch, n_classes) targets must be non-negative rows summing to 1"):
            SoftmaxCrossEntropy().forward(scores, targets)


def test_mse_accepts_1d_and_checks_shapes():
    predictions, targets = _x(5), _x(5)[::-1].copy()
    expected = _torch(nn.MSELoss(), predictions, targets)
    np.testing.assert_allclose(MSELoss().forward(predictions, targets), expected, rtol=1e-12)
    with raises_exactly(ValueError, "MSELoss: predictions must have at least 1 dimension, got shape ()"):
        MSELoss().forward(np.array(1.0), np.array(1.0))
    with raises_exactly(ValueError, "MSELoss: targets must have shape (2, 3) (the shape of predictions), got (3, 2)"):
        MSELoss().forward(np.zeros((2, 3)), np.zeros((3, 2)))


def test_finite_values_whose_sum_overflows_are_accepted_and_a_nan_among_them_is_named():
    from scratch._validate import as_array

    huge = np.array([[1e308, 1e308, 1e308]])
    assert as_array(Tanh(), "x", huge) is huge  # finite, though a sum of them is not
    with pytest.raises(ValueError, match=r"Tanh: x must be finite, got nan at index \(0, 1\)"):
        as_array(Tanh(), "x", np.array([[1e308, np.nan, 1e308]]))


@pytest.mark.parametrize("batch", [1, 3])
def test_writing_to_a_simplernn_output_leaves_its_backward_alone(batch):
    from scratch import SimpleRNN

    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((batch, 4, 2)), rng.standard_normal((batch, 4, 3))
    layer = SimpleRNN(2, 3, SimpleInitializer(rng=rng))
    layer.forward(x)
    expected = layer.backward(dout)
    layer.forward(x)[...] = 0.0  # the caller owns the output (at batch 1 it was a view of the cache)
    np.testing.assert_array_equal(layer.backward(dout), expected)
