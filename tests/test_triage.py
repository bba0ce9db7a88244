"""Failures explain themselves: triage, hints, localised reports, reproduction, JSON, progress."""
import contextlib
import dataclasses
import io
import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

import scratch
from reference import Floats, Spec, Twin
from reference._builtin.specs import BY_NAME
from reference._engine import triage
from reference._engine.checks import CHECKS, Check, run_checks
from reference._engine.compare import compare
from reference._engine.verdict import TRIES_PER_SIZE, run_spec, smaller_failure, typical_failure
from reference._report.cli import main
from reference._report.hints import errors_by_step, hint
from reference._report.reproduce import build_example, example_at
from reference._report.table import Progress, failure_report, format_row
from reference._selftest.planted import CATALOG, Planted, variant_spec
from reference._spec.tolerances import FINITE_DIFFERENCES, TORCH

RNG = np.random.default_rng(0)
TRUE = RNG.standard_normal((4, 3, 5))  # (batch, seq_len, n_features)
AXES = ("batch", "seq_len", "n_features")


# --- hints: each pattern recognised from arrays built here, not from the layers -----------------
@pytest.mark.parametrize("wrong, words", [
    (TRUE / 4, "1/batch (batch=4)"),
    (TRUE * 4, "batch (batch=4): an average over the batch is missing"),
    (-TRUE, "sign is flipped"),
    (np.zeros_like(TRUE), "all zeros"),
    (np.full_like(TRUE, 0.3), "reduced to one scalar"),
    (np.concatenate([TRUE[:, 1:], TRUE[:, :1]], axis=1), "shifted by one time step"),
    (np.concatenate([TRUE[:, :-1] * 0.9, TRUE[:, -1:]], axis=1), "right at the last time step only"),
])
def test_hint_names_the_pattern(wrong, words):
    assert words in hint(wrong, TRUE, AXES, {"batch": 4, "seq_len": 3, "n_features": 5})


def test_hint_names_a_transpose_and_stays_quiet_on_noise():
    W = RNG.standard_normal((3, 3))
    assert "transposed" in hint(W.T, W)
    noisy = TRUE + RNG.standard_normal(TRUE.shape) * 0.1
    assert hint(noisy, TRUE, AXES, {"batch": 4}) == ""


def test_hint_names_gate_blocks_in_another_order():
    true = RNG.standard_normal((3, 4 * 2))  # an LSTM's W_x: four gates of n_nodes=2 columns
    i, f, g, o = np.split(true, 4, axis=1)
    found = hint(np.hstack([f, i, g, o]), true, (), {"n_nodes": 2})
    assert found.startswith("the gate blocks are in another order (i's columns hold f's, f's columns hold i's, "
                            "in PyTorch's order i, f, g, o)")
    assert hint(np.hstack([f, i, g, o]), true, (), {"n_nodes": 4}) == ""  # 2 blocks: not a gated layer's
    assert hint(np.hstack([f, i, g, 2 * o]), true, (), {"n_nodes": 2}) == ""


def test_no_pattern_is_named_against_a_reference_that_is_not_finite():
    reference = TRUE.copy()
    reference.flat[0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # allclose with a NaN atol warns
        assert hint(TRUE * 2, reference, AXES, {"batch": 4}) == ""


def test_a_backward_that_raises_fails_every_check_that_shares_its_run():
    # run.plain and checks._one_call run once per example and re-raise for each reader
    class Raises(scratch.Sigmoid):
        def backward(self, dout):
            raise ValueError("Raises: boom")
    spec = variant_spec(Planted("raises", "Sigmoid", "backward raises", Raises), BY_NAME["Sigmoid"])
    results = run_checks(example_at(spec, dict(batch=2, n_features=3)))
    crashed = {c.by for c in results if not c.ok and "raised ValueError: Raises: boom" in c.message}
    assert {"finite_differences", "torch_twin", "output_owned", "types_and_shapes",
            "params_unchanged_by_backward", "arguments_unchanged"} <= crashed


def test_a_tensor_checked_in_the_joint_directions_is_judged_by_them():
    # forward and backward both use 1.01 * x: backward agrees with finite differences, which
    # ran on x (100 elements) only along the joint directions, and not with PyTorch
    class ScaledForward(scratch.FC):
        def forward(self, x):
            return super().forward(1.01 * x)

        def backward(self, dout):
            return 1.01 * super().backward(dout)
    spec = variant_spec(Planted("scaled-forward", "FC", "forward of 1.01 x", ScaledForward), BY_NAME["FC"])
    results = run_checks(example_at(spec, dict(batch=5, n_in=20, n_out=3)))
    assert [c.what for c in results if c.check == "finite differences"] == ["input x, param W, param B (together)"]
    verdicts = {f.what: f.verdict for f in triage.triage(results)}
    assert verdicts["input x"] == triage.FORWARD and verdicts["param W"] == triage.FORWARD


@pytest.mark.parametrize("factor, said", [
    (3.0, "sqrt(dim) (dim=9): the scale by 1/sqrt(dim) is missing here"),
    (1 / 3.0, "1/sqrt(dim) (dim=9): an extra scale by 1/sqrt(dim)"),
])
def test_a_factor_of_the_square_root_of_a_size_is_named(factor, said):
    assert said in hint(TRUE * factor, TRUE, (), {"dim": 9, "batch": 2})


def test_a_factor_shared_by_several_sizes_names_them_all():
    found = hint(TRUE / 2, TRUE, (), {"n_in": 2, "batch": 2})
    assert "1/batch (batch=2; n_in is also 2)" in found


def test_errors_by_step_are_per_time_step():
    wrong = TRUE.copy()
    wrong[:, 1] += 0.5
    np.testing.assert_allclose(errors_by_step(wrong, TRUE, AXES), [0.0, 0.5, 0.0], atol=1e-15)


# --- triage: which pair of sources disagrees ---------------------------------------------------
def _fd(value, true):
    return compare("finite differences", "L", "param W", value, true, FINITE_DIFFERENCES)


def _tw(value, true):
    return compare("torch", "L", "param W", value, true, TORCH, ("scratch", "torch"))


@pytest.mark.parametrize("results, verdict", [
    ([_fd(TRUE * 2, TRUE), _tw(TRUE * 2, TRUE)], triage.BACKWARD),
    ([_fd(TRUE, TRUE), _tw(TRUE, TRUE * 2)], triage.FORWARD),
    ([_fd(TRUE, TRUE * 1.01), _tw(TRUE, TRUE)], triage.ARTEFACT),
    ([_fd(TRUE * 2, TRUE)], triage.NO_TWIN),
])
def test_triage_says_which_source_disagrees(results, verdict):
    assert [f.verdict for f in triage.triage(results)] == [verdict]
    assert triage.is_artefact(results) == (verdict == triage.ARTEFACT)


def test_a_twin_gradient_of_the_wrong_shape_blames_the_grads_map_not_the_layer():
    W = np.arange(6.0).reshape(2, 3)
    results = [_fd(W, W), _tw(W, W.T)]
    assert [f.verdict for f in triage.triage(results)] == [
        triage.MAP_SHAPE.format(layer=(2, 3), torch=(3, 2))]


INF, NAN = np.inf, np.nan


@pytest.mark.parametrize("actual, expected, words", [
    ([1.0, INF, -INF], [1.0, INF, -INF], None),
    ([INF], [1e3], "inf never matches a finite value"),
    ([1e3], [-INF], "inf never matches a finite value"),
    ([INF], [-INF], "infinities of opposite sign"),
    ([NAN], [NAN], "nan matches nothing"),
    ([1.0, NAN], [1.0, 2.0], "nan matches nothing"),
])
def test_a_non_finite_value_matches_only_the_same_infinity(actual, expected, words):
    found = compare("torch", "L", "output", np.array(actual), np.array(expected), TORCH, ("scratch", "torch"))
    assert found.ok == (words is None)
    assert words is None or words in found.message and "1 with" in found.message


def test_finite_values_too_far_apart_to_subtract_fail_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not compare("torch", "L", "x", np.array([1.7e308]), np.array([-1.7e308]), TORCH).ok


def test_an_infinite_value_counts_as_the_worst_element():
    found = compare("torch", "L", "output", np.array([1.0, INF, 5.0]), np.array([1.5, 2.0, 5.0]), TORCH)
    assert "2 of 3 elements differ (1 with inf); worst at index (1,)" in found.message
    assert found.error == INF


def _contract_failure():
    return compare("contract", "L", "output (second call)", TRUE, TRUE * 2, TORCH)


@pytest.mark.parametrize("results, verdict", [
    ([_fd(TRUE, TRUE + NAN), _tw(TRUE, TRUE)], triage.NON_FINITE),
    ([_fd(TRUE, np.where(TRUE > 0, INF, TRUE)), _tw(TRUE, TRUE)], triage.NON_FINITE),
    ([_fd(TRUE, TRUE * 1.01), _tw(TRUE, TRUE), _contract_failure()], triage.SPOILED),
    ([dataclasses.replace(_fd(TRUE, TRUE * 1.01), carried_state=True), _tw(TRUE, TRUE)], triage.CARRIED),
    ([dataclasses.replace(_fd(TRUE, TRUE * 1.01), carried_state=True), _tw(TRUE, TRUE), _contract_failure()],
     triage.CARRIED),
])
def test_finite_differences_alone_are_no_artefact_when_not_finite_or_another_check_failed(results, verdict):
    assert [f.verdict for f in triage.triage(results)] == [verdict]
    assert not triage.is_artefact(results)


def _relu_without_kink_margin():
    relu = BY_NAME["ReLU"]
    return dataclasses.replace(relu, name="ReLU-at-kink", inputs={"x": dataclasses.replace(relu.inputs["x"], kinks=())})


def test_an_artefact_is_redrawn_only_when_no_other_check_failed():
    spec = _relu_without_kink_margin()
    example = build_example(spec, {"batch": 1, "n_features": 3}, 0, {}, {"x": np.array([[0.0, 1.0, -1.0]])})
    differences, twin = CHECKS[:2]
    assert _checked(example, (differences, twin)) is None  # central differences see half the slope at x = 0
    fails = Check("always_fails", "contract", lambda example: [_contract_failure()])
    results = _checked(example, (differences, twin, fails))
    assert [f.verdict for f in triage.triage(results)] == [triage.SPOILED]


def test_an_artefact_is_redrawn_when_the_checks_stop_at_their_first_failure_too():
    example = build_example(_relu_without_kink_margin(), {"batch": 1, "n_features": 3}, 0, {},
                            {"x": np.array([[0.0, 1.0, -1.0]])})
    assert _checked(example, CHECKS, first_failure=True) is None
    fails = Check("always_fails", "contract", lambda example: [_contract_failure()])
    assert not all(c.ok for c in _checked(example, (*CHECKS, fails), first_failure=True))


def _checked(example, checks, first_failure=False):
    """run_checks inside a hypothesis test, where it may redraw: its results, or None if redrawn."""
    found = []

    @settings(max_examples=1, database=None, phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
    @given(st.just(example))
    def run(example):
        found.append(run_checks(example, checks, first_failure=first_failure))

    try:
        run()
    except Unsatisfiable:
        return None
    return found[0]


def test_finite_differences_alone_disagreeing_are_redrawn_not_blamed():
    # ReLU without its kink margin: where hypothesis puts an element at 0, central
    # differences see half the slope. With the twin to arbitrate, those examples are
    # redrawn and counted; without one, the same disagreement is a failure.
    bare = _relu_without_kink_margin()
    row = run_spec(bare, 30, 0)
    assert row.passed and row.redrawn > 0
    assert f"({row.redrawn} redrawn: finite differences alone disagreed)" in format_row(row)
    lonely = run_spec(dataclasses.replace(bare, twin=None), 30, 0)
    assert not lonely.passed
    assert triage.NO_TWIN in failure_report(lonely)


# --- localised reports of planted bugs ---------------------------------------------------------
def _report(bug_name):
    bug = next(b for b in CATALOG if b.name == bug_name)
    row = run_spec(variant_spec(bug, BY_NAME[bug.spec]), 20, 0)
    assert not row.passed
    return row, failure_report(row)


def test_report_of_a_gradient_divided_by_the_batch():
    row, report = _report("rnn-grads-over-batch")
    assert f"{row.name}: param W_x: {triage.BACKWARD}" in report
    assert "analytic=" in report and "numeric=" in report and "torch=" in report
    assert "1/batch" in report
    assert "smallest failing example found: " in report and "batch=" in report


def test_report_of_a_dropped_time_step_names_the_time_step():
    _, report = _report("rnn-next-step-dropped")
    assert "input x" in report and "time step" in report
    assert "max |error| by time step" in report
    assert "right at the last time step only" in report


def test_report_of_a_recurrent_gradient_overwritten_points_at_the_sum_over_time():
    row, report = _report("rnn-wh-overwritten")
    assert f"{row.name}: param W_h: {triage.BACKWARD}" in report and "input x:" not in report
    assert "every input gradient is right but W_h is not" in report and "overwritten at each step" in report


def test_the_search_for_a_smaller_failure_is_bounded_and_keeps_what_fails():
    bug = next(b for b in CATALOG if b.name == "rnn-next-step-dropped")  # needs seq_len >= 2
    spec = variant_spec(bug, BY_NAME[bug.spec])
    calls = []
    counting = dataclasses.replace(CHECKS[0], run=lambda example: calls.append(1) or CHECKS[0].run(example))
    start = {"batch": 3, "seq_len": 4, "n_features": 2, "n_nodes": 3}
    found = smaller_failure(spec, start, 0, (counting,))
    assert found == {"batch": 1, "seq_len": 2, "n_features": 1, "n_nodes": 1}
    assert len(calls) <= sum(n - 1 for n in start.values()) * TRIES_PER_SIZE


def test_the_search_stops_each_example_at_its_first_failure_and_the_report_still_has_every_check(monkeypatch):
    bug = next(b for b in CATALOG if b.name == "rnn-wh-overwritten")
    spec = variant_spec(bug, BY_NAME[bug.spec])
    example = example_at(spec, {"batch": 2, "seq_len": 3, "n_features": 2, "n_nodes": 3})
    first, every = run_checks(example, first_failure=True), run_checks(example)
    assert not all(c.ok for c in first) and len(first) < len(every)
    assert "finite differences" not in {c.check for c in first}  # the twin decided; they cost the most
    assert "finite differences" in {c.check for c in every if not c.ok}
    searched = format_row(run_spec(spec, 20, 0))
    from reference._engine import verdict
    monkeypatch.setattr(verdict, "run_checks", lambda example, checks, first_failure=False, **kept: run_checks(
        example, checks, **kept))
    assert format_row(run_spec(spec, 20, 0)) == searched  # the same sizes, example and every comparison


def test_a_failure_that_is_only_an_artefact_when_checked_again_is_still_reported():
    # a layer whose calls differ from one run to the next: the search saw a failure, the full
    # run of the checks on the same example sees finite differences alone disagreeing
    seen = []

    def flaky(example):
        seen.append(example)
        if seen.count(example) == 1:
            return [_contract_failure()]
        return [dataclasses.replace(_contract_failure(), check="finite differences", artefact=True)]

    spec = BY_NAME["Tanh"]
    found = typical_failure(spec, {"batch": 2, "n_features": 3}, 0, (Check("flaky", "contract", flaky),))
    assert found is not None and any(not c.ok and not c.artefact for c in found[0])  # the failure the search saw


def test_report_of_a_forward_convention_difference():
    _, report = _report("dropout-scale-p")  # forward and backward agree with each other, not with torch
    assert triage.OUTPUT in report and triage.FORWARD in report


def test_reproduction_snippet_reruns_the_failure_without_hypothesis():
    row, report = _report("rnn-grads-over-batch")
    code = report.split("reproduce without hypothesis:\n", 1)[1]
    code = "\n".join(line[4:] for line in code.splitlines())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), {})  # noqa: S102 - our own generated code
    assert f"{row.name}: param W_x: {triage.BACKWARD}" in out.getvalue()
    assert "1/batch" in out.getvalue()


# --- machine-readable output and progress ------------------------------------------------------
def test_json_report(tmp_path, capsys):
    path = tmp_path / "report.json"
    assert main(["--layer", "FC", "--layer", "Tanh", "--examples", "5", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert data["passed"] is True and [r["layer"] for r in data["layers"]] == ["FC", "Tanh"]
    assert all(r["verdict"] == "pass" and r["examples"] == 5 for r in data["layers"])


def test_json_report_of_a_failure(tmp_path, monkeypatch, capsys):
    import scratch.dense

    def halved(self, dout):
        dx = original(self, dout)
        self.grads["B"] /= 2
        return dx

    original = scratch.dense.FC.backward
    monkeypatch.setattr(scratch.dense.FC, "backward", halved)
    path = tmp_path / "report.json"
    assert main(["--layer", "FC", "--examples", "10", "--json", str(path)]) == 1
    layer = json.loads(path.read_text())["layers"][0]
    assert layer["verdict"] == "fail"
    assert {"what": "param B", "verdict": triage.BACKWARD} in layer["findings"]
    assert "analytic=" in layer["report"] and layer["sizes"]["batch"] >= 1


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal_only():
    quiet, loud = Progress(2, io.StringIO()), Progress(2, _Terminal())
    for progress in (quiet, loud):
        progress.example("FC", 3, 50)
        progress.finished()
    assert quiet.stream.getvalue() == ""
    assert "[1/2] FC: example 3/50" in loud.stream.getvalue()


def test_plot_writes_one_png_per_layer(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    assert main(["--plot", str(tmp_path), "--layer", "Tanh", "--layer", "SimpleRNN"]) == 0
    for name in ("Tanh", "SimpleRNN"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_how_to_install(tmp_path, monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    assert main(["--plot", str(tmp_path), "--layer", "Tanh"]) == 2
    assert "pip install -e '.[plot]'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


class ELU:
    """x for x > 0, exp(x) - 1 otherwise: its second derivative jumps at 0, which finite
    differences straddling 0 feel (an error of order h, not h^2) without failing."""

    def __init__(self):
        self.params, self.grads, self.x = {}, {}, None

    def forward(self, x):
        self.x = x.copy()
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))

    def backward(self, dout):
        return dout * np.where(self.x > 0, 1.0, np.exp(np.minimum(self.x, 0.0)))


@pytest.mark.parametrize("kinks, close", [((), True), ((0.0,), False)])
def test_a_pass_close_to_the_line_says_so(kinks, close):
    import torch

    spec = Spec("ELU", ELU, inputs={"x": Floats(("batch", "n_features"), low=-3.0, high=3.0, kinks=kinks)},
                twin=Twin(module=lambda config: torch.nn.ELU()))
    row = run_spec(spec, 50, 0, checks=tuple(c for c in CHECKS if c.kind != "contract"))
    assert row.passed
    line = format_row(row)
    assert ("close to the line: the largest finite differences error used" in line) == close, line
    assert ("a kink the spec does not declare" in line) == close
