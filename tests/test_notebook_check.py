"""reference.check(...): a layer written elsewhere checked from a notebook cell, with the
command's adaptation, rows and verdict, returned instead of printed (reference/_check.py)."""
import sys
from pathlib import Path

import pytest

import reference
from reference._external import command

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import elsewhere  # noqa: E402 - the fixtures folder is not a package
import function_pairs  # noqa: E402

sys.path.remove(str(FIXTURES))


def checked(layer, like, **options):
    return reference.check(layer, like, examples=10, jobs=1, **options)


class NotebookAffine:
    """As a student writes it in a cell: weights in the constructor, the bias averaged."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x.copy()
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.mean(axis=0)
        return dout @ self.W.T


def test_a_right_class_passes_and_shows_the_commands_table():
    result = checked(elsewhere.AffineGivenWeights, "FC")
    assert result.passed and result.raise_for_failure() is result
    shown = repr(result)
    assert shown == str(result) and shown.startswith("AffineGivenWeights, checked like FC:")
    assert "built as AffineGivenWeights(W=an array of W's shape, b=an array of B's shape)" in shown
    assert [line.split()[-1] for line in shown.splitlines() if line.startswith("AffineGivenWeights ")][:3] == \
        ["pass", "pass", "advice"]
    assert "advice, not in passed (strict=True counts it)" in shown


def test_a_mistake_is_returned_not_raised_until_asked():
    result = checked(NotebookAffine, "FC")
    assert result.passed is False
    assert "NotebookAffine: param B: backward disagrees with both finite differences and PyTorch" in str(result)
    assert "rerun: reference.check(NotebookAffine, like='FC', seed=0, examples=10)" in str(result)
    with pytest.raises(reference.LayerCheckFailed) as raised:
        result.raise_for_failure()
    assert isinstance(raised.value, AssertionError) and str(raised.value) == str(result)


def test_the_report_is_the_commands(capsys):
    target = f"{FIXTURES / 'elsewhere.py'}:AffineGivenWeightsBiasMean"
    assert command.main([target, "--like", "FC", "--examples", "10", "--jobs", "1"]) == 1
    printed = capsys.readouterr().out
    result = checked(target, "FC")
    assert not result.passed

    def without_rerun(text):
        return [line for line in text.splitlines() if "rerun:" not in line and "counts it" not in line]
    assert without_rerun(str(result)) == without_rerun(printed)


@pytest.mark.parametrize("pair, passes", [
    ((function_pairs.rnn_forward, function_pairs.rnn_backward), True),
    ((function_pairs.rnn_forward, function_pairs.rnn_backward_wrong), False),
])
def test_a_function_pair_is_checked_as_the_command_checks_it(pair, passes):
    result = checked(pair, "SimpleRNN")
    assert result.passed is passes
    assert "dx, dh0, dW_x, dW_h, dB = " in str(result)


def test_restrictions_and_strict_are_keyword_arguments():
    assert not checked(elsewhere.SoftmaxLoss, "SoftmaxCrossEntropy").passed  # one class breaks it
    result = checked(elsewhere.SoftmaxLoss, "SoftmaxCrossEntropy", sizes={"n_classes": (2, 5)})
    assert result.passed and "draws restricted (--fix, --sizes): n_classes from 2 to 5" in str(result)
    result = checked(elsewhere.MaxPoolPerAxisSizes, "MaxPool2d", fix={"stride": 1, "padding": 0})
    assert result.passed, str(result)
    strict = checked(elsewhere.AffineGivenWeights, "FC", strict=True)
    assert not strict.passed and "counted (strict=True)" in str(strict)
    assert "strict=True, seed=0, examples=10)" in str(strict)


@pytest.mark.parametrize("layer, like, options, error, message", [
    (elsewhere.AffineGivenWeights, "NoSuchLayer", {}, ValueError, "--like NoSuchLayer: no such spec"),
    (elsewhere.AffineGivenWeights, 3, {}, TypeError, "like must be a spec's name"),
    (elsewhere.AffineGivenWeights(None, None), "FC", {}, TypeError, "layer must be a class, a (forward, backward)"),
    (function_pairs.rnn_forward, "SimpleRNN", {}, TypeError, "a function pair is given as (forward, backward)"),
    (elsewhere.AffineGivenWeights, "FC", {"sizes": {"n_in": (3, 1)}}, ValueError, "sizes['n_in'] must be (low, high)"),
    (elsewhere.AffineGivenWeights, "FC", {"sizes": {"n_in": 3}}, ValueError, "sizes['n_in'] must be (low, high)"),
    (elsewhere.AffineGivenWeights, "FC", {"fix": [("n_in", 3)]}, TypeError, "fix must be a dict"),
    (elsewhere.AffineGivenWeights, "FC", {"fix": {"padding": 0}}, ValueError, "FC draws no padding"),
    (elsewhere.AffineGivenWeights, "FC", {"examples": 0}, ValueError, "examples must be a positive int"),
    (elsewhere.ConvOutputsFirst, "Conv2d", {"fix": {"stride": (1, 2)}}, ValueError,
     "fix={'stride': (1, 2)}: ConvOutputsFirst takes stride as one int for both axes"),
    (f"{FIXTURES / 'elsewhere.py'}:NoSuchClass", "FC", {}, ValueError, "has no class named NoSuchClass"),
])
def test_bad_arguments_raise_naming_what_is_wrong(layer, like, options, error, message):
    with pytest.raises(error, match="^" if error is TypeError else "cannot check|check: ") as raised:
        reference.check(layer, like, jobs=1, **options)
    assert message in str(raised.value)
