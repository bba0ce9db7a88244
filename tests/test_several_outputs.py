"""A layer whose forward returns several arrays (an LSTM cell's (h, c)): Spec(outputs=...),
checked with the outputs side by side (reference/_engine/outputs.py)."""
import dataclasses

import numpy as np
import pytest

import scratch
from reference import Spec, check_layer
from reference._builtin.specs import BY_NAME


def test_outputs_must_name_two_or_more():
    with pytest.raises(ValueError, match=r"outputs must name each of forward's outputs"):
        Spec("Cell", scratch.LSTMCell, inputs=BY_NAME["LSTMCell"].inputs, outputs=("h",))


class ReturnsHOnly(scratch.LSTMCell):
    def forward(self, x, h, c):
        return super().forward(x, h, c)[0]


class SwapsOutputs(scratch.LSTMCell):
    def forward(self, x, h, c):
        return super().forward(x, h, c)[::-1]

    def backward(self, dc, dh):
        return super().backward(dh, dc)


def test_a_forward_that_returns_fewer_outputs_fails_saying_so():
    spec = dataclasses.replace(BY_NAME["LSTMCell"], name="ReturnsHOnly", cls=ReturnsHOnly,
                               build=lambda c: ReturnsHOnly(c["n_features"], c["n_nodes"]))
    with pytest.raises(AssertionError, match=r"ReturnsHOnly.forward returned an array of shape .*, not the 2 "
                                             r"outputs \(h, c\)"):
        check_layer(spec, examples=5)


def test_outputs_in_another_order_fail_on_the_output():
    spec = dataclasses.replace(BY_NAME["LSTMCell"], name="SwapsOutputs", cls=SwapsOutputs,
                               build=lambda c: SwapsOutputs(c["n_features"], c["n_nodes"]))
    with pytest.raises(AssertionError, match=r"SwapsOutputs: output: the forward output differs from PyTorch's"):
        check_layer(spec, examples=5)


def test_the_cell_is_one_step_of_the_sequence_layer():
    rng = np.random.default_rng(0)
    cell, layer = scratch.LSTMCell(3, 4), scratch.LSTM(3, 4)
    for k, value in cell.params.items():
        layer.params[k][...] = value
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    np.testing.assert_allclose(cell.forward(x, h, c)[0], layer.forward(x[:, None], h, c)[:, 0], rtol=1e-12)


def test_the_generators_of_a_layer_behind_the_outputs_adapter_are_reset_too():
    from reference._engine.outputs import SideBySide
    from reference._engine.strategies import freeze_randomness

    class Noisy:
        def __init__(self):
            self.rng = np.random.default_rng(1)

        def forward(self, x):
            return x + self.rng.random(x.shape), x
    layer, x = SideBySide(Noisy(), ("a", "b")), np.zeros((2, 3))
    freeze_randomness(layer, 7)
    first = layer.forward(x=x)
    freeze_randomness(layer, 7)
    np.testing.assert_array_equal(layer.forward(x=x), first)


class AcceptsAnyDc(scratch.LSTMCell):
    def backward(self, dh, dc):
        return super().backward(dh, np.broadcast_to(dc, np.shape(dh)))  # dc of any broadcastable shape


def test_each_upstream_is_given_bad_in_turn_and_must_be_rejected_by_name():
    spec = dataclasses.replace(BY_NAME["LSTMCell"], name="AcceptsAnyDc", cls=AcceptsAnyDc,
                               build=lambda c: AcceptsAnyDc(c["n_features"], c["n_nodes"]))
    with pytest.raises(AssertionError) as failed:
        check_layer(spec, examples=5)
    assert "rejects dc with an extra axis" in str(failed.value)
    assert "rejects dh " not in str(failed.value)  # dh is still validated
