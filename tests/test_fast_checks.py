"""The fast finite-difference check (reference/fd_check.py, stacked.py): as strong as the
issue asks at the benchmark's medium SimpleRNN, stacked where declared, safe where not.
No timing here: bench/compare_gradcheck.py measures that."""
import dataclasses

import numpy as np
import pytest

import scratch
from reference._engine import fd_check, stacked
from reference._engine.draws import Draws
from reference._engine.checks import CHECKS, every_element_checks, finite_differences
from reference._selftest.planted import CATALOG, Planted, scaled_gradient, variant_spec
from reference._builtin.specs import BY_NAME
from reference._report.reproduce import example_at
from reference._engine.strategies import drawn_examples

MEDIUM = dict(batch=4, seq_len=10, n_features=8, n_nodes=32)
LARGE = dict(batch=8, seq_len=20, n_features=16, n_nodes=64)


def rnn_example(sizes, spec=None):
    return example_at(BY_NAME["SimpleRNN"] if spec is None else spec, sizes)


def scaled_wh(index, factor):
    return scaled_gradient(BY_NAME["SimpleRNN"], "W_h", index, factor)


def failing(results):
    return {c.what: c for c in results if not c.ok}


@pytest.mark.parametrize("sizes", [MEDIUM, LARGE], ids=["medium", "large"])
def test_the_correct_rnn_passes_at_the_benchmark_sizes(sizes):
    # At the large size the round-off allowance is what keeps it passing (tolerances.py).
    assert not failing(finite_differences(rnn_example(sizes)))


@pytest.mark.parametrize("index", [(0, 0), (5, 17), (31, 2)])
def test_one_wh_gradient_element_off_by_a_thousandth_fails_the_default_check_and_is_named(index):
    found = failing(finite_differences(rnn_example(MEDIUM, scaled_wh(index, 1.001))))
    assert set(found) == {"param W_h"}
    assert f"worst at index {index}" in found["param W_h"].message  # the element-wise pass names it


def test_one_wh_gradient_element_off_by_1e_5_fails_the_every_element_check():
    example = rnn_example(MEDIUM, scaled_wh((5, 17), 1 + 1e-5))
    found = failing(finite_differences(example, every_element=True))
    assert set(found) == {"param W_h"} and "worst at index (5, 17)" in found["param W_h"].message


def counted_rnn_example(sizes):
    calls = []

    class Counting(scratch.SimpleRNN):
        def forward(self, x, h0=None):
            calls.append(len(x))
            return super().forward(x, h0)
    spec = variant_spec(Planted("counting", "SimpleRNN", "counts forward calls", Counting), BY_NAME["SimpleRNN"])
    example = rnn_example(sizes, spec)
    calls.clear()  # building the example ran one forward
    return example, calls


def test_a_layer_with_parameters_checks_its_small_inputs_in_the_joint_directions_too():
    sizes = dict(batch=2, seq_len=3, n_features=2, n_nodes=8)  # x 12 elements, h0 16
    example, calls = counted_rnn_example(sizes)
    results = finite_differences(example)
    assert not failing(results)
    # one analytic forward, one pair per joint direction; no stacked call left to make
    assert calls == [sizes["batch"]] * (1 + 2 * fd_check.DIRECTIONS)
    assert [c.what for c in results] == ["input x, input h0, param W_x, param W_h, param B (together)"]


def test_a_wrong_element_of_a_small_input_is_named_by_one_stacked_call():
    class H0Scaled(scratch.SimpleRNN):
        def backward(self, dout):
            dx = super().backward(dout)
            self.dinputs["h0"][1, 5] *= 1.01
            return dx
    sizes = dict(batch=2, seq_len=3, n_features=2, n_nodes=8)
    spec = variant_spec(Planted("h0-scaled", "SimpleRNN", "one element of dh0 times 1.01", H0Scaled),
                        BY_NAME["SimpleRNN"])
    found = failing(finite_differences(rnn_example(sizes, spec)))
    assert set(found) == {"input h0"} and "worst at index (1, 5)" in found["input h0"].message


def test_a_parameter_free_layer_differences_every_element_of_its_input_in_one_stacked_call():
    calls = []

    class Counting(scratch.Tanh):
        def forward(self, x):
            calls.append(len(x))
            return super().forward(x)
    spec = variant_spec(Planted("counting", "Tanh", "counts forward calls", Counting), BY_NAME["Tanh"])
    example = example_at(spec, dict(batch=3, n_features=4))
    calls.clear()
    results = finite_differences(example)
    assert not failing(results) and [c.what for c in results] == ["input x"]
    assert np.shape(results[0].actual) == (3, 4)  # every element
    assert calls == [3, 2 * 12 + 3 + 1]  # the analytic forward; one stacked call: plus, minus, the probe


def test_large_inputs_join_the_parameters_directions_so_the_check_costs_a_few_forward_calls():
    example, calls = counted_rnn_example(MEDIUM)  # x 320 elements, h0 128
    results = finite_differences(example)
    assert not failing(results)
    assert calls == [MEDIUM["batch"]] * (1 + 2 * fd_check.DIRECTIONS)  # no stacked call left to make
    assert [c.what for c in results] == ["input x, input h0, param W_x, param W_h, param B (together)"]


def test_a_wrong_element_of_a_large_inputs_gradient_fails_the_joint_check_and_is_named():
    class XScaled(scratch.SimpleRNN):
        def backward(self, dout):
            dx = super().backward(dout)
            dx[1, 7, 3] *= 1.01
            return dx
    spec = variant_spec(Planted("x-scaled", "SimpleRNN", "one element of dx times 1.01", XScaled), BY_NAME["SimpleRNN"])
    found = failing(finite_differences(rnn_example(MEDIUM, spec)))
    assert set(found) == {"input x"}  # the joint disagreed: each tensor alone, then every element of x
    assert "worst at index (1, 7, 3)" in found["input x"].message


def test_errors_that_cancel_in_each_tensors_own_directions_still_fail():
    # Two W_h elements off by +0.05 and -0.05, chosen where the joint directions tell them
    # apart but W_h's own two directions do not: the joint disagreement must not be lost.
    n_x, n_h0, n_wx, n_wh = 320, 128, 256, 1024
    n = n_x + n_h0 + n_wx + n_wh + 32
    draws = Draws(rnn_example(MEDIUM).seed)
    joint = draws.signs(2 * n).reshape(2, n)[:, n_x + n_h0 + n_wx:][:, :n_wh]
    start = 2 * (n_x + n_h0 + n_wx)  # W_h's own directions, after x's, h0's and W_x's
    own = draws.signs(2 * n)[start:start + 2 * n_wh].reshape(2, n_wh)  # every tensor's, in order
    i, j = next((i, j) for i in range(n_wh) for j in range(i + 1, n_wh)
                if (own[:, i] == own[:, j]).all() and (joint[:, i] != joint[:, j]).any())

    class TwoWrong(scratch.SimpleRNN):
        def backward(self, dout):
            dx = super().backward(dout)
            self.grads["W_h"].flat[i] += 0.05
            self.grads["W_h"].flat[j] -= 0.05
            return dx
    spec = variant_spec(Planted("two-wrong", "SimpleRNN", "two W_h elements off", TwoWrong), BY_NAME["SimpleRNN"])
    found = failing(finite_differences(rnn_example(MEDIUM, spec)))
    assert set(found) == {"param W_h"}
    worst = {f"worst at index {tuple(int(v) for v in np.unravel_index(k, (32, 32)))}" for k in (i, j)}
    assert "2 of 1024 elements differ" in found["param W_h"].message
    assert any(w in found["param W_h"].message for w in worst)


def test_sampled_elements_are_distinct():
    assert all(len(set(Draws(seed).sample(65, 2))) == 2 for seed in range(3000))


def test_stacked_differences_equal_one_forward_pair_each():
    example = rnn_example(dict(batch=3, seq_len=4, n_features=2, n_nodes=3))
    layer, args = example.fresh_layer(), {k: v.copy() for k, v in example.args.items()}
    base = layer.forward(**args)
    stack = stacked.StackedInputs(lambda **a: example.fresh_layer().forward(**a), args, example.upstream, base)
    one = fd_check.OneByOne(lambda: float(np.sum(example.upstream * layer.forward(**args))), 1.0)
    for name in args:
        [(together, _)] = stack.differences([(name, None, np.arange(args[name].size))])
        alone, _ = one(args[name], None, np.arange(args[name].size))
        np.testing.assert_allclose(together, alone, rtol=1e-6, atol=1e-9)


def test_a_stacked_call_that_overflows_is_not_taken_for_the_layers_output():
    # inf within the allowance atol + rtol * |inf| = inf would accept any stacked output.
    x = np.ones((2, 3))
    overflows = stacked.StackedInputs(lambda x: np.where(len(x) > 2, np.inf, x), {"x": x}, np.ones_like(x), x)
    assert overflows.differences([("x", None, [0])]) is None


@pytest.mark.parametrize("name", ["BatchNorm1d", "Dropout"])
def test_a_layer_wrongly_declared_independent_falls_back_and_still_passes(name):
    # Batch statistics and a mask drawn per batch: stacking would change the function.
    spec = dataclasses.replace(BY_NAME[name], independent_samples=True)
    fallbacks = 0
    for example in drawn_examples(spec, 0, 10):
        layer, args = example.fresh_layer(), {k: v.copy() for k, v in example.args.items()}
        base = layer.forward(**args)
        stack = fd_check._stacked(example, args, base)  # None: drawn without a batch axis
        fallbacks += stack is None or stack.differences([("x", None, [0])]) is None
        assert not failing(finite_differences(example))
    assert fallbacks >= 7  # the rest are degenerate draws (p = 0, all-zero inputs) where nothing interacts


def test_a_layer_that_carries_state_is_still_caught_when_stacked():
    bug = next(b for b in CATALOG if b.name == "rnn-carries-state")
    example = rnn_example(MEDIUM, variant_spec(bug, BY_NAME[bug.spec]))
    assert failing(finite_differences(example))


def test_every_element_checks_differ_only_in_covering_every_element():
    exhaustive = every_element_checks()
    assert [c.name for c in exhaustive] == [c.name for c in CHECKS]
    assert [c for c in exhaustive if c.name != "finite_differences"] == [
        c for c in CHECKS if c.name != "finite_differences"]
    example = rnn_example(MEDIUM)
    fd = next(c for c in exhaustive if c.name == "finite_differences")
    shapes = {c.what: np.shape(c.actual) for c in fd.run(example)}
    assert shapes["param W_h"] == (32, 32) and shapes["input x"] == (4, 10, 8)
    default = {c.what: np.shape(c.actual) for c in finite_differences(example)}
    assert default["input x, input h0, param W_x, param W_h, param B (together)"] == (fd_check.DIRECTIONS,)
