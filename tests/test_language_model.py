"""scratch.CharLSTM and scratch.CharGRU beyond what their specs check: the initializer they
are given sizes every weight, and bad input is refused naming what was wrong."""
import numpy as np
import pytest

import scratch


class Constant:
    """An initializer whose weights and biases are each one value, so that where they came
    from shows."""

    def W(self, n_in, n_out):
        return np.full((n_in, n_out), 0.5)

    def B(self, n):
        return np.full(n, 0.25)


@pytest.mark.parametrize("model", [scratch.CharLSTM, scratch.CharGRU])
def test_every_weight_comes_from_the_initializer_given(model):
    layer = model(3, 2, Constant())
    for name, value in layer.params.items():
        assert np.all(value == (0.5 if name.startswith("W") else 0.25)), name


@pytest.mark.parametrize("model", [scratch.CharLSTM, scratch.CharGRU])
def test_bad_characters_are_refused_naming_the_argument_and_the_shape(model):
    layer, eye = model(3, 2), np.eye(3)
    x, targets = eye[[[0, 1]]], eye[[[1, 2]]]  # (1, 2, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, seq_len, 3\), got \(1, 2, 4\)"):
        layer.forward(np.eye(4)[[[0, 1]]], targets)
    with pytest.raises(ValueError, match=r"targets must have shape \(1, 2, 3\) \(as x\), got \(1, 1, 3\)"):
        layer.forward(x, targets[:, :1])
    off = targets.copy()
    off[0, 0, 0] += 5e-9  # a row summing to 1 + 5e-9: not one-hot, nor probabilities
    with pytest.raises(ValueError, match="targets must hold one-hot rows"):
        layer.forward(x, off)
    assert np.isfinite(layer.forward(x, targets))
