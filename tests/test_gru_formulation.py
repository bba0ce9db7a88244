"""`check --like GRU` and `--like GRUCell` of a GRU in the other formulation, the reset gate
applied to h before W_h and no b_hn (reference/_external/gru_formulation.py): its gate order
and z convention found from forward, said, and checked against a twin of that formulation.
And one in PyTorch's formulation holding no b_hn: checked with b_hn held at 0."""
from pathlib import Path

import numpy as np
import pytest

from reference._builtin import twins
from reference._engine.torch_twin import run_twin
from reference._external import command as external
from reference._external.gru_formulation import ResetBeforeGRU, ResetBeforeGRUCell

FIXTURES = Path(__file__).parent / "fixtures"
GRUS = FIXTURES / "gru_formulations.py"
FORMULATION = ("GRU formulation: the reset gate applied to h before W_h, n = tanh(x W_xn + (r * h) W_hn + B_n), "
               "one bias B (Cho et al. 2014, Keras' reset_after=False; PyTorch's: after W_h, r * (h W_hn + b_hn), "
               "with b_hn)")
NO_B_HN = ("GRU formulation: PyTorch's, the reset gate applied after W_h, r * (h W_hn + b_hn), but no b_hn is "
           "held: checked with b_hn held at 0 (PyTorch's GRU has it)")
Z_WEIGHS_H = "z weighs h, h' = (1 - z) n + z h, as PyTorch's"
Z_WEIGHS_CANDIDATE = "z weighs the candidate, h' = (1 - z) h + z n (PyTorch's z weighs h)"


def check(capsys, path, cls, like, examples=10):
    status = external.main([f"{path}:{cls}", "--like", like, "--examples", str(examples), "--jobs", "1"])
    out, err = capsys.readouterr()
    return status, out, err


def row(out, label):
    return next(line.split() for line in out.splitlines() if line.startswith(label + " "))


@pytest.mark.parametrize("path, cls, like, checked_like, z_said, order", [
    # Keras' gate order and z; one step, backward(dh_next) -> (dx, dh_prev)
    (GRUS, "KerasOrderGRUCell", "GRUCell", "GRUCell-reset-before", Z_WEIGHS_H, "gate order z, r, n (PyTorch's: r, z, n)"),
    # PyTorch's gate order, DLFS2's z; forward(xs) without h0
    (GRUS, "ResetBeforeTimeGRU", "GRU", "GRU-no-h0-reset-before", Z_WEIGHS_CANDIDATE, None),
    # DLFS2's gate order and z (once refused: "no twin here computes it yet")
    (FIXTURES / "elsewhere.py", "GRUResetBefore", "GRUCell", "GRUCell-reset-before", Z_WEIGHS_CANDIDATE,
     "gate order z, r, n (PyTorch's: r, z, n)"),
])
def test_a_right_gru_of_the_reset_before_formulation_passes_with_its_conventions_named(
        capsys, path, cls, like, checked_like, z_said, order):
    status, out, err = check(capsys, path, cls, like)
    assert status == 0, out + err
    assert f"{path.stem}.{cls}, checked like {checked_like}:" in out
    assert f"  {FORMULATION}; {z_said}: conventions, the twin computes them in torch" in out
    assert (order in out) if order else ("gate order" not in out)
    assert row(out, f"{cls} gradients")[-1] == "pass" and row(out, f"{cls} contract")[-1] == "pass"
    assert "param B_hn" not in out


@pytest.mark.parametrize("cls, like, z_said, failing, right", [
    # the reset gate's gradient takes r * h_prev for h_prev: every gradient through r is off
    ("KerasOrderGRUCellResetGradWrong", "GRUCell", Z_WEIGHS_H,
     ["input x", "input h", "param W_x", "param W_h", "param B"], []),
    # the candidate's block of dW_h from h_prev, not r * h_prev: W_h alone is off
    ("ResetBeforeTimeGRUCandidateWhWrong", "GRU", Z_WEIGHS_CANDIDATE, ["param W_h"], ["input x", "param W_x", "param B"]),
])
def test_a_reset_before_gru_with_one_mistake_fails_naming_the_wrong_gradients(capsys, cls, like, z_said, failing, right):
    status, out, _ = check(capsys, GRUS, cls, like)
    assert status == 1
    assert z_said in out  # its conventions are still found: the mistake is in backward
    assert row(out, f"{cls} gradients")[-1] == "FAIL"
    for name in failing:
        assert f"gru_formulations.{cls}: {name}: backward disagrees with both finite differences and PyTorch" in out
    for name in right:
        assert f"gru_formulations.{cls}: {name}:" not in out


@pytest.mark.parametrize("z_weighs", twins.Z_WEIGHS)
@pytest.mark.parametrize("cell", [False, True])
def test_the_twin_computes_the_numpy_reference_of_the_formulation(z_weighs, cell):
    config = {"n_features": 2, "n_nodes": 3}
    rng = np.random.default_rng(0)
    reference = (ResetBeforeGRUCell if cell else ResetBeforeGRU)(2, 3, z_weighs)
    for value in reference.params.values():
        value[...] = rng.uniform(-1.0, 1.0, value.shape)
    args = {"x": rng.uniform(-1.0, 1.0, (4, 2) if cell else (4, 5, 2)), ("h" if cell else "h0"): rng.uniform(-1, 1, (4, 3))}
    expected = reference.forward(*args.values())
    out, _, grads = run_twin(twins.gru_reset_before(z_weighs, cell=cell), config, reference.params, args, ("x",),
                             np.ones_like(expected))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
    assert set(grads) == {"W_x", "W_h", "B"}


def test_a_forward_neither_z_convention_explains_is_said_and_fails(capsys):
    cls = "KerasOrderGRUCellNoTanh"  # the candidate without its tanh, in forward
    status, out, _ = check(capsys, GRUS, cls, "GRUCell")
    assert status == 1
    assert ("as no B_hn is held; but no gate order with either z convention makes forward equal this "
            "formulation's, nor PyTorch's with b_hn held at 0: checked with z weighing h (PyTorch's)") in out
    assert f"gru_formulations.{cls}: output: the forward output differs from PyTorch's" in out


def test_a_gru_of_pytorchs_formulation_without_b_hn_passes_with_b_hn_held_at_0(capsys):
    # once checked against the reset-before formulation, its forward "differing": a false alarm
    cls = "ResetAfterGRUCellNoHiddenBias"
    status, out, err = check(capsys, GRUS, cls, "GRUCell")
    assert status == 0, out + err
    assert f"gru_formulations.{cls}, checked like GRUCell-no-b_hn:" in out
    assert f"  {NO_B_HN}\n" in out and "gate order" not in out
    assert row(out, f"{cls} gradients")[-1] == "pass" and "param B_hn" not in out


@pytest.mark.parametrize("cls, order, failing, right", [
    # the gradient through h W_hn without the r that multiplies it
    ("ResetAfterGRUCellNoHiddenBiasResetDropped", None, ["input h", "param W_h"], ["input x", "param W_x", "param B"]),
    # forward in PyTorch's formulation (Keras' gate order), backward the reset-before formulation's
    ("KerasOrderGRUCellResetAfterInForward", "gate order z, r, n (PyTorch's: r, z, n)",
     ["input x", "input h", "param W_x", "param W_h", "param B"], []),
])
def test_a_gru_of_pytorchs_formulation_without_b_hn_with_a_mistake_fails_naming_it(capsys, cls, order, failing, right):
    status, out, _ = check(capsys, GRUS, cls, "GRUCell")
    assert status == 1
    assert f"  {NO_B_HN}\n" in out and ((order in out) if order else "gate order" not in out)
    assert row(out, f"{cls} gradients")[-1] == "FAIL"
    assert f"gru_formulations.{cls}: output:" not in out  # forward agrees with PyTorch's: the mistake is in backward
    for name in failing:
        assert f"gru_formulations.{cls}: {name}: backward disagrees with both finite differences and PyTorch" in out
    for name in right:
        assert f"gru_formulations.{cls}: {name}:" not in out
