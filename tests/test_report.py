"""The main job: `python -m reference` prints one row per layer and exits 0 only if all pass."""
import subprocess
import sys

import pytest

import scratch
from reference._report import cli as report
from reference import Labels, Spec
from reference._builtin.specs import SPECS
from reference._engine.verdict import run_spec


def test_every_layer_has_a_passing_row(capsys):
    assert report.main(["--examples", "3"]) == 0
    out = capsys.readouterr().out
    for spec in SPECS:
        assert any(line.split()[:1] == [spec.name] and line.endswith("pass") for line in out.splitlines()), spec.name
    assert f"{len(SPECS)} of {len(SPECS)} layers pass" in out


def test_two_runs_with_one_seed_agree(capsys):
    report.main(["--layer", "SimpleRNN", "--examples", "5", "--seed", "3"])
    first = capsys.readouterr().out
    report.main(["--layer", "SimpleRNN", "--examples", "5", "--seed", "3"])
    assert capsys.readouterr().out == first


def test_a_broken_layer_fails_its_row_and_names_the_parameter(monkeypatch, capsys):
    def backward_with_overwritten_recurrent_gradient(self, dout):
        dx = original(self, dout)
        x, _, hs = self.cache  # hs is time-major: hs[t] is h_(t-1)
        da_last = (dout[:, -1]) * (1.0 - hs[-1] ** 2)
        self.grads["W_h"][...] = hs[-2].T @ da_last  # only the last step, not the sum
        return dx

    original = scratch.SimpleRNN.backward
    monkeypatch.setattr(scratch.SimpleRNN, "backward", backward_with_overwritten_recurrent_gradient)
    assert report.main(["--layer", "SimpleRNN", "--examples", "10"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "param W_h" in out and "smallest failing example" in out


def test_a_cross_entropy_with_an_infinite_loss_fails_the_main_job(capsys):
    # Its inf "matched" PyTorch's finite loss, and its disagreeing finite differences were
    # redrawn as artefacts: the row passed with most examples redrawn.
    assert report.main(["--layer", "SoftmaxCrossEntropy:ce-infinite-loss"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "redrawn" not in out
    assert "scratch=inf" in out and "not an artefact" in out


def test_a_layer_that_raises_while_its_example_is_built_is_a_failing_row_and_the_others_still_run(capsys):
    layers = ["Conv1d:conv-odd-kernels-only", "FC:squeezed-input", "FC"]
    assert report.main([arg for name in layers for arg in ("--layer", name)]) == 1
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.split()[:1] in ([name] for name in layers)]
    assert [row.split()[-1] for row in rows] == ["FAIL", "FAIL", "pass"]
    # the drawn sizes and the traceback's last frame, for the constructor and for forward
    assert "building the layer: raised ValueError" in out and "kernel_size=2" in out and "in __init__)" in out
    assert "forward on the drawn inputs: raised ValueError" in out and "batch=1" in out


def test_a_spec_that_cannot_be_drawn_is_a_failing_row():
    spec = Spec("Nothing", scratch.Embedding, build=lambda c: scratch.Flatten(),
                inputs={"indices": Labels(("batch",), classes="n")})
    row = run_spec(spec, 5, 0)
    assert not row.passed and row.caught_by == {"example"}
    assert "nothing to differentiate" in row.failures[0].message and "(at " in row.failures[0].message


def test_unknown_layer_is_refused():
    result = subprocess.run([sys.executable, "-m", "reference", "--layer", "Nope"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "--layer: no spec named 'Nope'" in result.stderr


@pytest.mark.parametrize("bad", ["0", "-3"])
def test_examples_must_be_positive(bad):
    with pytest.raises(SystemExit):
        report.parse_args(["--examples", bad])


def test_rows_are_the_same_in_one_process_or_several(capsys):
    layers = ["--layer", "FC", "--layer", "Tanh", "--layer", "SimpleRNN", "--examples", "5"]
    assert report.main([*layers, "--jobs", "1"]) == 0
    alone = capsys.readouterr().out
    assert report.main([*layers, "--jobs", "2"]) == 0
    assert capsys.readouterr().out == alone
