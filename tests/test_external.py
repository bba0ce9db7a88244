"""`python -m reference check FILE.py:CLASS --like NAME`: a layer written elsewhere, adapted to
the contract and checked as the registered layer NAME is (reference/external.py)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reference.examples
from reference._external import command as external

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(reference.examples.__file__).parent
AS_WRITTEN, FIXED = EXAMPLES / "exercise_as_written.py", EXAMPLES / "exercise_fixed.py"
ODD = FIXTURES / "odd_layers.py"
SCRATCH_RNN = Path(__file__).parents[1] / "scratch" / "recurrent.py"


def check(capsys, path, cls, like, examples=10):
    status = external.main([f"{path}:{cls}", "--like", like, "--examples", str(examples)])
    out, err = capsys.readouterr()
    return status, out, err


def row(out, label):
    """The report row of `label` ("FC gradients"), split into words."""
    return next(line.split() for line in out.splitlines() if line.startswith(label + " "))


@pytest.mark.parametrize("cls, like, notes", [
    ("FC", "FC", ["built as FC(n_nodes1=n_in, n_nodes2=n_out,", "optimizer=a recording optimizer)",
                  "param W = FC.W (n_in, n_out); gradient FC.dW",
                  "param B = FC.B (1, n_out), reshaped to (n_out,); gradient FC.dB", "arguments: X is x, dA is dout"]),
    ("Sigmoid", "Sigmoid", ["arguments: A is x"]),
    ("Relu", "ReLU", ["arguments: A is x"]),
    ("RNN", "SimpleRNN", ["RNN.forward takes no h0: checked like SimpleRNN-no-h0",
                          "built as RNN(batch=batch, n_sequences=seq_len, n_features=n_features, n_nodes=n_nodes,",
                          "param W_h = RNN.W_h (n_nodes, n_nodes); gradient RNN.dW_h"]),
])
def test_the_fixed_exercise_layers_pass_and_the_mapping_is_explained(capsys, cls, like, notes):
    status, out, err = check(capsys, FIXED, cls, like)
    assert status == 0, out + err
    for group in ("gradients", "contract", "bad input"):
        assert row(out, f"{cls} {group}")[-1] == "pass"
    assert f"exercise_fixed.{cls} passes the checks of" in out
    for note in notes:
        assert note in out


@pytest.mark.parametrize("cls, like, names", [
    # bias gradient averaged to a scalar, weight gradient divided by the batch
    ("FC", "FC", ["exercise_as_written.FC: param B:", "exercise_as_written.FC: param W:"]),
    # W_h's gradient from the last state, everything divided by the batch, h carried over between calls
    ("RNN", "SimpleRNN", ["exercise_as_written.RNN: param W_h:", "exercise_as_written.RNN: param B:",
                          "[stateless] exercise_as_written.RNN: output (second call)"]),
    # 1/1+np.exp(-A)
    ("Sigmoid", "Sigmoid", ["exercise_as_written.Sigmoid: output:", "exercise_as_written.Sigmoid: input x:"]),
])
def test_the_exercise_layers_as_written_fail_naming_their_mistakes(capsys, cls, like, names):
    status, out, _ = check(capsys, AS_WRITTEN, cls, like)
    assert status == 1
    assert row(out, f"{cls} gradients")[-1] == "FAIL" and row(out, f"{cls} bad input")[-1] == "FAIL"
    for name in names:
        assert name in out
    # the reproduction command is this check's, not the main job's (which has no such layer)
    assert f"python -m reference check {AS_WRITTEN}:{cls} --like {like} --seed 0 --examples 10" in out
    assert "--layer" not in out


def test_the_gradient_is_the_sum_of_what_backward_hands_the_optimizer(capsys):
    _, out, _ = check(capsys, ODD, "SplitUpdates", "FC")
    assert row(out, "SplitUpdates gradients")[-1] == "pass"


def test_a_weight_the_layer_steps_itself_shows_as_a_change_of_params(capsys):
    status, out, _ = check(capsys, ODD, "StepsItself", "FC")
    assert status == 1
    assert "[params_unchanged_by_backward] odd_layers.StepsItself: param W after forward and backward" in out
    assert "param B after forward and backward" not in out


def test_a_layer_in_the_projects_contract_is_used_as_it_is(capsys):
    status, out, _ = check(capsys, SCRATCH_RNN, "SimpleRNN", "SimpleRNN", examples=5)
    assert status == 0
    assert "SimpleRNN keeps params and grads dicts (the project's contract): used as it is" in out
    assert "checked like SimpleRNN:" in out  # with h0: its forward takes it


def test_the_users_file_class_and_objects_are_left_as_they_were(capsys, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as for a user without PYTHONDONTWRITEBYTECODE
    listing, source = sorted(EXAMPLES.iterdir()), AS_WRITTEN.read_bytes()
    cls, _ = external.load_class(f"{AS_WRITTEN}:FC")
    module = sys.modules[cls.__module__]
    members = dict(vars(cls))
    users_sgd = module.SGD(lr=0.1)
    layer = cls(3, 2, module.SimpleInitializer(), users_sgd)
    weights = layer.W.copy(), layer.B.copy()
    assert not external.check_class(cls, "FC", 3, 0, "exercise_as_written.FC", rerun="")
    capsys.readouterr()
    # copy.deepcopy caches a class's slot names on it (copyreg); nothing else may appear or change
    assert vars(cls).keys() - {"__slotnames__"} == members.keys() - {"__slotnames__"}
    assert all(vars(cls)[k] is v for k, v in members.items())
    assert layer.optimizer is users_sgd and vars(users_sgd) == {"lr": 0.1}
    assert np.array_equal(layer.W, weights[0]) and np.array_equal(layer.B, weights[1])
    assert AS_WRITTEN.read_bytes() == source
    assert sorted(EXAMPLES.iterdir()) == listing  # no __pycache__ either


@pytest.mark.parametrize("target, like, message", [
    (f"{ODD}:ForwardOnly", "Sigmoid", "ForwardOnly has no backward method"),
    (f"{ODD}:OtherWeightNames", "FC", "OtherWeightNames has no array attribute for FC's parameter W (looked for "
                                      "W, w); B (looked for B, b); its array attributes: weight, bias"),
    (f"{ODD}:NeedsVocabulary", "FC", "NeedsVocabulary.__init__ needs 'vocabulary', which the checks cannot fill"),
    (f"{ODD}:NotebookRNN", "SimpleRNN", "raised AttributeError: 'NotebookRNN' object has no attribute 'batch_size'"),
    (f"{FIXED}:Sigmoid", "MSELoss", "Sigmoid.forward takes (A); MSELoss passes (predictions, targets) and no "
                                    "registered spec passes only (predictions)"),
    (f"{FIXED}:FC", "SimpleRNN", "FC.__init__ needs 'n_nodes1'"),
    (f"{AS_WRITTEN}:Nope", "FC", "has no class named Nope; its classes: FC, RNN, SGD, Sigmoid"),
    (f"{FIXTURES}/missing.py:FC", "FC", "missing.py: no such Python file"),
    (f"{AS_WRITTEN}", "FC", "expected FILE.py:CLASS"),
])
def test_what_cannot_be_adapted_is_named_without_a_traceback(capsys, target, like, message):
    status = external.main([target, "--like", like])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.startswith(f"cannot check {target} like {like}: ") and message in err


def test_a_module_that_fails_to_import_is_named(capsys, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import numpy as np\n\nW = np.zeros(3) @ np.zeros(4)\n")
    assert external.main([f"{broken}:FC", "--like", "FC"]) == 2
    err = capsys.readouterr().err
    assert f"importing {broken} raised ValueError: " in err and f"(at {broken}:3)" in err


def test_the_command_line_exits_2_with_the_message_only():
    result = subprocess.run([sys.executable, "-m", "reference", "check", f"{ODD}:ForwardOnly", "--like", "Sigmoid"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert "ForwardOnly has no backward method" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("target, like", [(f"{ODD}:ForwardOnly", "Sigmoid"), (f"{ODD}:NeedsVocabulary", "Conv2d")])
def test_cannot_adapt_is_answered_without_torch_or_hypothesis(target, like):
    probe = ("import sys\nfrom reference._report.cli import main\n"
             f"status = main(['check', {target!r}, '--like', {like!r}])\n"
             "print(status, sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'hypothesis'}))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.split("\n")[0] == "2 []", result.stdout + result.stderr
