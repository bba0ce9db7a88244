"""`python -m reference check FILE.py:CLASS --like NAME`: a layer written elsewhere, adapted to
the contract and checked as the registered layer NAME is (reference/external.py)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reference.examples
from reference._external import command as external
from reference._external.construction import describe_shape

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(reference.examples.__file__).parent
AS_WRITTEN, FIXED = EXAMPLES / "exercise_as_written.py", EXAMPLES / "exercise_fixed.py"
ODD = FIXTURES / "odd_layers.py"
SCRATCH_RNN = Path(__file__).parents[1] / "scratch" / "recurrent.py"


def check(capsys, path, cls, like, examples=10, options=()):
    # in this process (torch imported once), not a process per row as the command does
    status = external.main([f"{path}:{cls}", "--like", like, "--examples", str(examples), "--jobs", "1", *options])
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
    for group in ("gradients", "contract", "advice"):
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
    assert row(out, f"{cls} gradients")[-1] == "FAIL" and row(out, f"{cls} advice")[-1] == "advice"
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
    cls, _, _ = external.load_class(f"{AS_WRITTEN}:FC")
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
                                      "W, w); B (looked for B, b, bx), no params/grads lists and no parameters/gradients "
                                      "dicts holding them; its arrays: weight, bias"),
    (f"{ODD}:NeedsVocabulary", "FC", "NeedsVocabulary.__init__ needs 'vocabulary', which the checks cannot fill"),
    (f"{ODD}:NotebookRNN", "SimpleRNN", "raised AttributeError: 'NotebookRNN' object has no attribute 'batch_size'"),
    (f"{FIXED}:Sigmoid", "MSELoss", "Sigmoid.forward takes (A); MSELoss passes (predictions, targets) and no "
                                    "registered spec passes only (predictions)"),
    (f"{FIXED}:FC", "SimpleRNN", "FC.__init__ needs 'n_nodes1'"),
    (f"{FIXTURES}/stepping_cells.py:GateMatricesNoBiases", "LSTMCell", "GateMatricesNoBiases holds a weight per gate "
     "(Wf, Wu, Wc, Wo in parameters, each (n_nodes + n_features, n_nodes) on [h, x]), which are bound to "
     "LSTM-no-state's W_x (n_features, 4*n_nodes) and W_h (n_nodes, 4*n_nodes) only beside a bias per gate"),
    (f"{FIXTURES}/training_steps.py:CharLSTMStep", "FC", "a model written as a training step (train(), no forward "
     "or backward) is checked as a whole character model, CharLSTM (--like LSTM) or CharGRU (--like GRU); there is "
     "none for FC"),
    (f"{FIXTURES}/training_steps.py:CharLSTMStepAdagrad", "LSTM", "CharLSTMStepAdagrad.train stepped Wf, bf, Wi, "
     "bi, Wg, bg, Wo, bo, Wy, by differently on the same sample twice: its step keeps state (an optimizer's memory or "
     "momentum), so it is not the gradient"),
    (f"{FIXTURES}/training_steps.py:CharLSTMStepAdam", "LSTM", "CharLSTMStepAdam.train stepped Wf, bf, Wi, bi, Wg, "
     "bg, Wo, bo, Wy, by differently on the same sample twice: its step keeps state"),
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


ELSEWHERE, PAIRS, STEPPING = FIXTURES / "elsewhere.py", FIXTURES / "function_pairs.py", FIXTURES / "stepping_cells.py"
TRAINING = FIXTURES / "training_steps.py"


@pytest.mark.parametrize("path, cls, like, notes", [(ELSEWHERE, *case) for case in [
    ("AffineGivenWeights", "FC", ["built as AffineGivenWeights(W=an array of W's shape, b=an array of B's shape)",
                                  "param W = AffineGivenWeights.W (n_in, n_out); gradient AffineGivenWeights.dW",
                                  "param B = AffineGivenWeights.b (n_out,); gradient AffineGivenWeights.db"]),
    ("AffineLists", "FC", ["param W = AffineLists.params[0] (n_in, n_out) (the array passed as W); "
                           "gradient AffineLists.grads[0]",
                           "param B = AffineLists.params[1] (n_out,) (the array passed as B); gradient AffineLists.grads[1]"]),
    ("TimeRNNLists", "SimpleRNN", ["TimeRNNLists.forward takes no h0: checked like SimpleRNN-no-h0",
                                   "param W_h = TimeRNNLists.params[1] (n_nodes, n_nodes) (the array passed as W_h)",
                                   "not checked: h0 (TimeRNNLists.forward takes none)"]),
    ("RNNCellReturnsBoth", "SimpleRNNCell", ["arguments: h_prev is h, dh_next is dout",
                                             "for input x, input h, param W_x, param W_h, param B"]),
    ("LSTMCellUpstreamCFirst", "LSTMCell", ["dc_next is dc, dh_next is dh"]),
    ("LSTMCellForgetFirst", "LSTMCell", ["arguments: h_prev is h, c_prev is c, dh_next is dh, dc_next is dc",
                                         "gate order f, g, i, o (PyTorch's: i, f, g, o), a convention",
                                         "for input x, input h, input c, param W_x, param W_h, param B"]),
    ("EmbeddingAttributeAndList", "Embedding", ["param W = EmbeddingAttributeAndList.params[0] (n_embeddings, dim) "
                                                "(the array passed as W); gradient EmbeddingAttributeAndList.grads[0]"]),
    ("DropoutGlobalNotInverted", "Dropout", [
        "mask: NumPy's global generator frozen around every forward (seeded from the example)",
        "dropout not inverted (kept units unscaled in training, x * (1-p) at evaluation; PyTorch's: x / (1-p) in "
        "training, the identity at evaluation), a convention", "built as DropoutGlobalNotInverted(dropout_ratio=p)"]),
    ("DropoutGlobalInverted", "Dropout", ["inverted dropout (kept units scaled by 1/(1-p) in training), PyTorch's"]),
    ("TimeLSTMForgetFirst", "LSTM", ["gate order f, g, i, o (PyTorch's: i, f, g, o), a convention: the checks give "
                                     "the layer its weights in its own order and compare in PyTorch's"]),
    ("AffineOutputsFirst", "FC", ["weight layout: W as (n_out, n_in), the spec's (n_in, n_out) with its last axis "
                                  "first (PyTorch's layout for Linear and Conv weights), a convention",
                                  "param W = AffineOutputsFirst.W (n_out, n_in); gradient AffineOutputsFirst.dW"]),
    ("ConvOutputsFirst", "Conv2d", ["weight layout: W as (out_channels, in_channels, 1, 1), the spec's",
                                    "param W = ConvOutputsFirst.W (out_channels, in_channels, 1, 1); gradient",
                                    "stride, padding as one int for both axes (a pair per axis made forward raise "
                                    "or differ): drawn equal on both axes"]),
    # once "cannot adapt": the constructor raised for the probe's pairs
    ("ConvIntsChecked", "Conv2d", ["stride, padding as one int for both axes (ConvIntsChecked() raised TypeError for "
                                   "a pair per axis: ConvIntsChecked: stride and pad must be ints, got (1, 1) and "
                                   "(0, 0)): drawn equal on both axes",
                                   "weight layout: W as (out_channels, in_channels, 1, 1), the spec's"]),
    ("DenseDicts", "FC", ["param W = DenseDicts.parameters['W'] (n_in, n_out); gradient DenseDicts.gradients['W']",
                          "param B = DenseDicts.parameters['b'] (1, n_out), reshaped to (n_out,); "
                          "gradient DenseDicts.gradients['b']"]),
]] + [(PAIRS, *case) for case in [
    ("affine_forward,affine_backward", "FC", ["function pair: out, cache = affine_forward(x, w, b); dx, dW, dB = "
                                              "affine_backward(dout, cache)", "w is W, b is B"]),
    ("rnn_forward,rnn_backward", "SimpleRNN", ["dx, dh0, dW_x, dW_h, dB = rnn_backward(dout, cache)",
                                               "Wx is W_x, Wh is W_h, b is B"]),
    ("rnn_step_forward,rnn_step_backward", "SimpleRNNCell", ["dx, dh, dW_x, dW_h, dB = rnn_step_backward(dout, "
                                                             "cache)", "prev_h is h"]),
    ("lstm_step_forward,lstm_step_backward", "LSTMCell", [
        "function pair: h, c, cache = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b); dx, dh, dc, dW_x, dW_h, dB = "
        "lstm_step_backward(dh, dc, cache)", "gate order i, f, o, g (PyTorch's: i, f, g, o), a convention"]),
    ("lstm_forward,lstm_backward", "LSTM", ["lstm_forward takes no c0: checked like LSTM-no-c0",
                                            "not checked: c0 (lstm_forward takes none)",
                                            "gate order i, f, o, g (PyTorch's: i, f, g, o), a convention"]),
]] + [(STEPPING, "StepCell", "SimpleRNNCell", [
    "StepCell keeps h itself (forward(Xt)): stepped over each sequence, h0 = 0, checked like SimpleRNN-no-h0",
    "the state started fresh for every sequence by StepCell.flush_gradients()",
    "not checked: h (StepCell keeps it itself, from zeros)"]), (STEPPING, "GateMatricesCell", "LSTMCell", [
    "GateMatricesCell keeps h, c itself (forward(Xt)): stepped over each sequence, h0 = 0, c0 = 0, checked like "
    "LSTM-no-state", "param W_x = GateMatricesCell.parameters['Wf', 'Wu', 'Wc', 'Wo'][n_nodes:] (x's rows)",
    "param W_h = GateMatricesCell.parameters['Wf', 'Wu', 'Wc', 'Wo'][:n_nodes] (h's rows)",
    "param B = GateMatricesCell.parameters['bf', 'bu', 'bc', 'bo'] (4 n_nodes,); gradient",
    "gate order f, i, g, o (PyTorch's: i, f, g, o), a convention"]), (STEPPING, "GateMatricesCellXFirst", "LSTMCell", [
    # on [x, h]: once bound on [h, x], its right forward "differed" from PyTorch's
    "param W_x = GateMatricesCellXFirst.parameters['Wf', 'Wu', 'Wc', 'Wo'][:n_features] (x's rows)",
    "param W_h = GateMatricesCellXFirst.parameters['Wf', 'Wu', 'Wc', 'Wo'][n_features:] (h's rows)",
    "gate order f, i, g, o (PyTorch's: i, f, g, o), a convention"]), (TRAINING, "CharLSTMStep", "LSTM", [
    "CharLSTMStep is a whole model written as a training step: train(inputs, targets, h_prev, c_prev, learning_rate)",
    "so it is checked like CharLSTM", "built as CharLSTMStep(vocab_size=n_vocab, hidden_size=n_nodes)",
    "param W_x = CharLSTMStep.params['Wf', 'Wi', 'Wg', 'Wo'][n_nodes:] (x's rows) (n_vocab, 4 n_nodes)",
    "param W_y = CharLSTMStep.params['Wy'] (n_nodes, n_vocab)",
    "not checked: h_prev (CharLSTMStep.train returns no gradient for it; given as zeros), c_prev",
    "gate order f, i, g, o (PyTorch's: i, f, g, o), a convention"]), (TRAINING, "CharGRUStep", "GRU", [
    "train(inputs, targets, h_prev, learning_rate) runs forward, backward, a gradient clip and an SGD step, so it is "
    "checked like CharGRU (the GRU,", "param W_x = CharGRUStep.params['Wz', 'Wr', 'Wh'] (n_vocab, 3 n_nodes)",
    "param W_h = CharGRUStep.params['Uz', 'Ur', 'Uh'] (n_nodes, 3 n_nodes)", "param B = CharGRUStep.params['bz', 'br', "
    "'bh'] (3 n_nodes,)", "GRU formulation: the reset gate applied to h before W_h", "z weighs the candidate",
    "gate order z, r, n (PyTorch's: r, z, n), a convention"]), (TRAINING, "StackedCharLSTMStep", "LSTM", [
    "train takes its inputs and targets as character indices (min-char-rnn's), given so",
    "param W_x = StackedCharLSTMStep.params['W'][n_nodes:] (x's rows) (n_vocab, 4 n_nodes)",
    "param W_h = StackedCharLSTMStep.params['W'][:n_nodes] (h's rows) (n_nodes, 4 n_nodes)",
    "param B = StackedCharLSTMStep.params['b'] (4 n_nodes,)", "param W_y = StackedCharLSTMStep.params['V'] (n_nodes, "
    "n_vocab)", "param B_y = StackedCharLSTMStep.params['c'] (1, n_vocab)", "gate order i, f, o, g (PyTorch's"]),
    (TRAINING, "CharLSTMStepIndexInputs", "LSTM", [
        "train takes its inputs as character indices and its targets as one-hot columns (min-char-rnn's), given so"]),
    (TRAINING, "CharLSTMStepAveraged", "LSTM", [
        "train averages its loss over the steps (CharLSTM and CharGRU sum it, as nn.CrossEntropyLoss's "
        "reduction='sum'): its loss and gradients are multiplied by each sample's seq_len before they are compared"])])
def test_layers_in_other_styles_that_are_right_exit_0_and_say_how_they_were_bound(capsys, path, cls, like, notes):
    status, out, err = check(capsys, path, cls, like)
    assert status == 0, out + err
    assert row(out, f"{cls} gradients")[-1] == "pass" and row(out, f"{cls} contract")[-1] == "pass"
    for note in notes:
        assert note in out
    if path == PAIRS:  # the pair's own binding, not the made-up class's
        assert "built as" not in out and "used as it is" not in out


@pytest.mark.parametrize("path, cls, like, wrong", [(ELSEWHERE, *case) for case in [
    ("AffineGivenWeightsBiasMean", "FC", "param B"),
    ("AffineListsFirstSampleBias", "FC", "param B"),
    ("TimeRNNListsCurrentState", "SimpleRNN", "param W_h"),
    ("DenseDictsAveraged", "FC", "param W"),
    ("TimeLSTMForgetFirstNoForgetCarry", "LSTM", "param W_x"),
    ("EmbeddingAttributeAndListRepeatsLost", "Embedding", "param W"),
    ("DropoutGlobalNotInvertedNewMask", "Dropout", "input x"),
    ("RNNCellReturnsBothSkipsTanh", "SimpleRNNCell", "input h"),
    ("LSTMCellForgetFirstNoForget", "LSTMCell", "input c"),
    ("AffineOutputsFirstReshaped", "FC", "param W"),
    ("ConvOutputsFirstReshaped", "Conv2d", "param W"),
    ("ConvIntsCheckedReshaped", "Conv2d", "param W"),
]] + [(PAIRS, *case) for case in [
    ("affine_forward,affine_backward_wrong", "FC", "param B"),
    ("rnn_forward,rnn_backward_wrong", "SimpleRNN", "input h0"),
    ("rnn_step_forward,rnn_step_backward_wrong", "SimpleRNNCell", "param W_h"),
    ("lstm_step_forward,lstm_step_backward_wrong", "LSTMCell", "input c"),
    ("lstm_forward,lstm_backward_wrong", "LSTM", "param W_x"),
]] + [(STEPPING, "StepCellDropsCarry", "SimpleRNNCell", "param W_x"),
     (STEPPING, "GateMatricesCellXFirstDropsCarry", "LSTMCell", "param W_x"),
     (TRAINING, "CharLSTMStepNoCarry", "LSTM", "param W_x"), (TRAINING, "CharGRUStepNoDirectPath", "GRU", "param W_x"),
     (TRAINING, "StackedCharLSTMStepNoOutputBias", "LSTM", "param B_y"),
     (TRAINING, "CharLSTMStepAveragedLossOnly", "LSTM", "param W_x")])
def test_layers_in_other_styles_with_a_mistake_exit_1_naming_it(capsys, path, cls, like, wrong):
    status, out, _ = check(capsys, path, cls, like)
    assert status == 1
    assert row(out, f"{cls} gradients")[-1] == "FAIL"
    assert f"{path.stem}.{cls}: {wrong}: backward disagrees with both finite differences and PyTorch" in out


LAZY = FIXTURES / "lazy_package" / "layers.py"


def test_a_layer_in_numpy_mls_protocol_is_checked_in_it_and_says_how(capsys):
    # lazy_package's __init__ fails to import; its weights are made at the first forward; its
    # gradients accumulate until flush_gradients(); its optimizer must be a name
    status, out, err = check(capsys, LAZY, "LazyDense", "FC")
    assert status == 0, out + err
    for note in ["imported with its packages' lazy_package/__init__.py not run: lazy_package/__init__.py raised "
                 "ImportError: cannot import name 'Hashable' from 'collections'",
                 "built as LazyDense(n_out=n_out)",
                 "optimizer left at its default None (given a recording optimizer, LazyDense() raised TypeError: "
                 "optimizer must be a name such as 'sgd', got RecordingOptimizer)",
                 "LazyDense makes its weights at its first forward",
                 "LazyDense.flush_gradients() called before every forward, and each backward read as what it adds",
                 "param W = LazyDense.parameters['W'] (n_in, n_out); gradient LazyDense.gradients['W']"]:
        assert note in out
    assert row(out, "LazyDense contract")[-1] == "pass"  # backward twice: what each one adds
    status, out, _ = check(capsys, LAZY, "LazyDenseFirstInput", "FC")
    assert status == 1
    assert "layers.LazyDenseFirstInput: param W: backward disagrees with both finite differences and PyTorch" in out
    status, out, _ = check(capsys, LAZY, "LazyDenseFlushKeeps", "FC")  # each backward right, the flush not
    assert status == 1
    assert ("LazyDenseFlushKeeps.flush_gradients() left LazyDenseFlushKeeps.gradients['W'] non-zero: the gradients "
            "of one batch would be added to the next one's") in out


def test_a_layer_with_flush_gradients_whose_backward_replaces_them_is_read_as_it_leaves_them(capsys):
    # once read as adding: a second backward "gave 0" and the contract failed a right layer
    status, out, err = check(capsys, LAZY, "LazyDenseReplaces", "FC")
    assert status == 0, out + err
    assert ("LazyDenseReplaces.backward replaces its gradients rather than adding to them until flush_gradients() "
            "(two backward calls on one forward hold one's gradients, not their sum)") in out
    assert "each backward read as what it adds" not in out
    assert row(out, "LazyDenseReplaces contract")[-1] == "pass"
    status, out, _ = check(capsys, LAZY, "LazyDenseReplacesBiasMean", "FC")
    assert status == 1
    assert "layers.LazyDenseReplacesBiasMean: param B: backward disagrees with both finite differences and PyTorch" in out


def test_what_a_failing_package_init_imported_from_elsewhere_stays_imported(capsys, monkeypatch):
    # torch imported by a package's __init__ that then fails cannot be imported a second time
    monkeypatch.delitem(sys.modules, "_heavy_dependency", raising=False)
    status, out, err = check(capsys, FIXTURES / "heavy_init" / "layers.py", "Affine", "FC")
    assert status == 0, out + err
    assert "heavy_init/__init__.py not run" in out
    assert "_heavy_dependency" in sys.modules


def test_a_module_failing_with_its_package_init_skipped_leaves_no_package_behind(capsys):
    before = set(sys.modules)
    status, out, err = check(capsys, FIXTURES / "broken_twice" / "layers.py", "Affine", "FC")
    assert status == 2 and "importing" in err and "ImportError" in err
    assert not {m for m in set(sys.modules) - before if m.split(".")[0] == "broken_twice"}


def test_a_backward_returning_more_gradients_than_inputs_fails_saying_what_belongs(capsys):
    status, out, _ = check(capsys, ELSEWHERE, "RNNCellReturnsThree", "SimpleRNNCell")
    assert status == 1
    assert "RNNCellReturnsThree.backward returned 3 values; expected the gradient of x alone, or one per input (x, h)" in out


def test_a_layer_that_carries_state_between_calls_is_named_as_such_not_an_artefact(capsys):
    status, out, _ = check(capsys, ELSEWHERE, "TimeRNNListsKeepsState", "SimpleRNN")
    assert status == 1 and row(out, "TimeRNNListsKeepsState gradients")[-1] == "FAIL"
    assert "elsewhere.TimeRNNListsKeepsState: param W_x: only finite differences disagree" in out
    assert "it carries state between calls" in out and "artefact, not a layer bug" not in out


@pytest.mark.parametrize("cls", ["DropoutGlobalInvertedByP", "DropoutGlobalInvertedKeepsP"])
def test_a_dropout_scaled_or_masked_otherwise_is_checked_as_pytorchs_and_fails_on_its_forward(capsys, cls):
    status, out, _ = check(capsys, ELSEWHERE, cls, "Dropout")
    assert status == 1 and "inverted dropout" not in out
    assert f"elsewhere.{cls}: output: the forward output differs from PyTorch's" in out


def test_the_check_leaves_numpys_global_generator_as_it_was(capsys):
    np.random.seed(1234)
    before = np.random.get_state()[1].copy()
    status, _, _ = check(capsys, ELSEWHERE, "DropoutGlobalInverted", "Dropout")  # seeds it at every forward
    assert status == 0
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_a_dropout_written_elsewhere_is_not_checked_in_evaluation_mode_it_cannot_be_put_in(capsys):
    status, out, err = check(capsys, ELSEWHERE, "DropoutGlobalInverted", "Dropout-eval")
    assert status == 2 and "check its training mode with --like Dropout" in err


def test_a_backward_in_another_gate_order_than_its_forward_fails_and_the_hint_says_so(capsys):
    status, out, _ = check(capsys, ELSEWHERE, "TimeLSTMForgetFirstBackwardInTorchOrder", "LSTM")
    assert status == 1
    assert "gate order f, g, i, o (PyTorch's: i, f, g, o)" in out  # from forward
    for param in ("W_x", "B"):  # W_h has no gradient at the smallest failing size, one step from h = 0
        assert (f"elsewhere.TimeLSTMForgetFirstBackwardInTorchOrder: param {param}: backward disagrees with both "
                "finite differences and PyTorch") in out
    assert "hint: the gate blocks are in another order (" in out


def test_a_pair_whose_backward_returns_too_few_gradients_fails_saying_which(capsys):
    status, out, _ = check(capsys, PAIRS, "rnn_forward,rnn_backward_no_dh0", "SimpleRNN")
    assert status == 1
    assert ("rnn_backward_no_dh0 returned 4 values; expected 5 (dx, dh0, dWx, dWh, db), or the weights' 3 alone"
            in out)


@pytest.mark.parametrize("target, like, message", [
    ("affine_forward,affine_backward", "SimpleRNN", "affine_forward(x, w, b) takes no argument for the parameter "
                                                    "W_x, W_h (looked for W_x, w_x, Wx; W_h, w_h, Wh)"),
    ("affine_forward,nope", "FC", "function_pairs.py has no function named nope; its functions: _sigmoid, "
                                  "affine_backward,"),
    ("affine_forward", "FC", "has function, not a class, named affine_forward (a function pair is checked as "),
])
def test_a_function_pair_that_cannot_be_bound_exits_2_saying_why(capsys, target, like, message):
    status, out, err = check(capsys, PAIRS, target, like)
    assert status == 2 and out == ""
    assert message in err


def test_sizes_restricts_a_draw_for_a_layer_that_supports_less_and_says_so(capsys):
    # SoftmaxLoss takes targets with as many elements as x for one-hot: one class breaks it
    status, out, _ = check(capsys, ELSEWHERE, "SoftmaxLoss", "SoftmaxCrossEntropy")
    assert status == 1 and "n_classes=1" in out and "AxisError" in out
    options = ["--sizes", "n_classes=2:5"]
    status, out, err = check(capsys, ELSEWHERE, "SoftmaxLoss", "SoftmaxCrossEntropy", options=options)
    assert status == 0, out + err
    assert "  draws restricted (--fix, --sizes): n_classes from 2 to 5" in out
    status, out, _ = check(capsys, ELSEWHERE, "SoftmaxLossSummed", "SoftmaxCrossEntropy", options=options)
    assert status == 1 and "n_classes=1" not in out  # the smaller failure is searched within the range too
    assert "elsewhere.SoftmaxLossSummed: input scores: backward disagrees with both finite differences" in out
    assert (f"rerun: python -m reference check {ELSEWHERE}:SoftmaxLossSummed --like SoftmaxCrossEntropy "
            "--sizes n_classes=2:5 --seed 0") in out


def test_an_eps_inside_the_log_of_a_loss_is_named_as_a_convention(capsys):
    options = ["--sizes", "n_classes=2:5"]
    status, out, err = check(capsys, ELSEWHERE, "SoftmaxLossEpsInLog", "SoftmaxCrossEntropy", options=options)
    assert status == 0, out + err
    assert ("loss -mean(log(p[t] + 1e-07)), backward the exact cross-entropy's gradient (PyTorch: no eps), "
            "a convention") in out
    status, out, _ = check(capsys, ELSEWHERE, "SoftmaxLossEpsInLogSummed", "SoftmaxCrossEntropy", options=options)
    assert status == 1
    assert "elsewhere.SoftmaxLossEpsInLogSummed: input scores: backward disagrees with both" in out
    status, out, _ = check(capsys, ELSEWHERE, "SoftmaxLoss", "SoftmaxCrossEntropy", options=options)
    assert "1e-07" not in out  # no eps, nothing said


def test_a_window_given_per_axis_with_an_int_stride_is_checked_with_fixed_draws(capsys):
    options = ["--fix", "stride=1", "--fix", "padding=0"]
    status, out, err = check(capsys, ELSEWHERE, "MaxPoolPerAxisSizes", "MaxPool2d", options=options)
    assert status == 0, out + err
    assert "built as MaxPoolPerAxisSizes(pool_h=kernel_size[0], pool_w=kernel_size[1], stride=stride, pad=padding)" in out
    assert "draws restricted (--fix, --sizes): stride = 1, padding = 0" in out
    status, out, _ = check(capsys, ELSEWHERE, "MaxPoolPerAxisSizesColumnByHeight", "MaxPool2d", options=options)
    assert status == 1
    assert "elsewhere.MaxPoolPerAxisSizesColumnByHeight: input x: backward disagrees with both" in out


def test_a_restriction_of_something_the_spec_does_not_draw_exits_2_naming_what_it_draws(capsys):
    status, out, err = check(capsys, ELSEWHERE, "AffineLists", "FC", options=["--fix", "kernel=3"])
    assert status == 2 and out == ""
    assert "FC draws no kernel; it draws n_in, n_out, batch" in err


def test_a_shape_is_named_by_its_dimensions_not_by_a_draw_of_the_same_size():
    config = {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 2}
    assert describe_shape((3, 2, 5), config) == "(out_channels, in_channels, 5)"


def test_a_pair_fixed_for_a_layer_that_takes_one_int_exits_2_saying_to_give_one(capsys):
    status, out, err = check(capsys, ELSEWHERE, "ConvOutputsFirst", "Conv2d", options=["--fix", "stride=(1, 2)"])
    assert status == 2 and out == ""
    assert ("--fix stride=(1, 2): ConvOutputsFirst takes stride as one int for both axes (a pair per axis was "
            "refused, or made its forward raise or differ), so no example can have this pair; give one int "
            "(--fix stride=1)") in err


def test_restrictions_that_leave_only_some_sizes_are_probed_at_those(capsys):
    # the probe's own sizes (height 2, no padding) cannot hold a 3 x 3 window: the layer's
    # layout and its one-int stride are found at sizes the restricted draws allow
    options = ["--fix", "kernel_size=(3, 3)", "--sizes", "height=1:2"]
    status, out, err = check(capsys, ELSEWHERE, "ConvOutputsFirst", "Conv2d", examples=5, options=options)
    assert status == 0, out + err
    assert "with its last axis first (PyTorch's layout" in out and "stride, padding as one int for both axes" in out


def test_restrictions_that_leave_no_example_fail_saying_so(capsys):
    options = ["--fix", "kernel_size=(5, 5)", "--fix", "padding=0", "--sizes", "height=1:2"]
    status, out, err = check(capsys, ELSEWHERE, "ConvOutputsFirst", "Conv2d", examples=5, options=options)
    assert status == 1 and "Traceback" not in out + err
    assert row(out, "ConvOutputsFirst gradients")[2] == "0"  # examples
    assert ("drawing an example: no example could be drawn: the spec's assume refused the sizes of every draw "
            "tried") in out
    assert "finite differences alone disagreed" not in out


@pytest.mark.parametrize("options, message", [
    (["--sizes", "n_in=0:3"], "argument --sizes: expected NAME=LOW:HIGH with 1 <= LOW <= HIGH, got 'n_in=0:3'"),
    (["--fix", "n_in"], "argument --fix: expected NAME=VALUE, got 'n_in'"),
    (["--fix", "stride=one"], "argument --fix: 'stride=one': the value must be a Python literal"),
])
def test_a_malformed_restriction_is_a_usage_error(capsys, options, message):
    with pytest.raises(SystemExit) as exit_:
        check(capsys, ELSEWHERE, "AffineLists", "FC", options=options)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_input_validation_is_advice_unless_strict(capsys):
    status, out, _ = check(capsys, ELSEWHERE, "AffineLists", "FC")
    assert status == 0
    assert row(out, "AffineLists advice")[-1] == "advice"
    assert "[rejects_bad_input] elsewhere.AffineLists: rejects x containing NaN: expected ValueError" in out
    assert "advice, not in the exit status (--strict counts it)" in out
    assert out.rstrip().endswith("passes the checks of FC (seed 0, 10 examples per row); "
                                 "see the advice above (--strict counts it)")
    strict = external.main([f"{ELSEWHERE}:AffineLists", "--like", "FC", "--examples", "10", "--strict", "--jobs", "1"])
    out = capsys.readouterr().out
    assert strict == 1 and row(out, "AffineLists advice")[-1] == "FAIL"
    assert f"rerun: python -m reference check {ELSEWHERE}:AffineLists --like FC --strict --seed 0" in out


def test_every_row_says_what_it_checked(capsys):
    _, out, _ = check(capsys, ELSEWHERE, "AffineLists", "FC")
    lines = out.splitlines()
    said = {lines[i].split()[1]: lines[i + 1].strip() for i, line in enumerate(lines) if line.startswith("AffineLists ")}
    assert said["gradients"] == ("checked: backward against finite differences and PyTorch's twin, "
                                 "for input x, param W, param B")
    assert said["contract"].startswith("checked: types_and_shapes, params_unchanged_by_backward, ")
    assert said["advice"].startswith("checked: arguments_unchanged, output_owned, rejects_bad_input")


def test_a_layer_with_float32_buffers_is_judged_at_float32_precision_and_says_so(capsys):
    status, out, err = check(capsys, ELSEWHERE, "TimeRNNFloat32", "SimpleRNN", examples=30)
    assert status == 0, out + err
    assert ("float32 buffers (its output, the gradient of x float32 for float64 input): checked at float32 "
            "precision, a coarser check; give it float64 buffers for the tight one") in out


def test_one_gradient_element_1_percent_off_in_a_float32_layer_fails(capsys):
    status, out, _ = check(capsys, ELSEWHERE, "TimeRNNFloat32OneElement", "SimpleRNN", examples=30)
    assert status == 1
    assert ("elsewhere.TimeRNNFloat32OneElement: param W_x: backward disagrees with PyTorch, whose forward output "
            "agrees with the layer's; finite differences at float32 precision are too coarse") in out
    assert "at (0, 0): analytic=" in out


EPS_NOTE = "eps 1e-06 (PyTorch's: 1e-05), a convention: the twin uses it"


def test_a_batch_norm_with_another_eps_is_named_as_a_convention(capsys):
    status, out, err = check(capsys, ELSEWHERE, "BatchNormEps1e6", "BatchNorm1d")
    assert status == 0, out + err
    assert EPS_NOTE in out
    status, out, _ = check(capsys, ELSEWHERE, "BatchNormEps1e6WrongDx", "BatchNorm1d")
    assert status == 1
    assert "elsewhere.BatchNormEps1e6WrongDx: input x: backward disagrees with both" in out
    assert "param gamma:" not in out and "output:" not in out  # the eps's twin: only dx is wrong


def test_a_batch_norm_at_pytorchs_eps_says_nothing_about_eps(capsys):
    status, out, err = check(capsys, ELSEWHERE, "BatchNormTorchEps", "BatchNorm1d")
    assert status == 0, out + err
    assert "\n  eps " not in out  # no note


def test_a_batch_norm_whose_forward_is_wrong_gets_no_eps(capsys):
    status, out, _ = check(capsys, ELSEWHERE, "BatchNormEps1e6UnbiasedVar", "BatchNorm1d")
    assert status == 1
    assert "\n  eps " not in out  # no note
    assert "elsewhere.BatchNormEps1e6UnbiasedVar: output: the forward output differs from PyTorch's" in out


def test_a_layer_norm_with_another_eps_is_named_as_a_convention(capsys):
    status, out, err = check(capsys, ELSEWHERE, "LayerNormEps1e6", "LayerNorm")
    assert status == 0, out + err
    assert EPS_NOTE in out


def test_a_batch_norms_running_statistics_are_said_where_they_are_not_pytorchs(capsys):
    status, out, err = check(capsys, ELSEWHERE, "BatchNormEps1e6Running", "BatchNorm1d")
    assert status == 0, out + err
    assert ("momentum 0.9 is what the running statistics keep, r = 0.9 r + 0.1 batch's (PyTorch's momentum is "
            "what they take: 0.1); the running variance follows the biased batch variance (PyTorch's: the "
            "unbiased): evaluation mode's conventions, not checked") in out
    status, out, err = check(capsys, Path(__file__).parents[1] / "scratch" / "normalization.py", "BatchNorm1d",
                             "BatchNorm1d")
    assert status == 0, out + err
    assert "evaluation mode's conventions" not in out and "\n  eps " not in out


def test_a_cell_whose_flush_breaks_the_next_backward_fails_naming_it_and_its_gradients_are_still_checked(capsys):
    status, out, err = check(capsys, STEPPING, "StepCellFlushBreaks", "SimpleRNNCell")
    assert status == 1, out + err
    assert row(out, "StepCellFlushBreaks gradients")[-1] == "pass" and row(out, "StepCellFlushBreaks contract")[-1] == "pass"
    assert row(out, "StepCellFlushBreaks state")[-1] == "FAIL"
    assert ("StepCellFlushBreaks.backward raises after flush_gradients() (ValueError: operands could not be broadcast"
            in out)
    assert "the flush leaves the layer unusable, while its first use works" in out
    assert ("by a fresh copy of StepCellFlushBreaks as built (StepCellFlushBreaks.flush_gradients() leaves it "
            "unusable: see the state row)") in out
    assert "flush_gradients() called before every forward" not in out  # it is not: a fresh copy is


def test_a_cell_keeping_its_state_without_a_reset_is_stepped_on_fresh_copies(capsys):
    status, out, _ = check(capsys, ODD, "CellKeepsState", "SimpleRNNCell", examples=3)
    assert status == 1  # its backward raises NotImplementedError
    assert "state started fresh for every sequence by a fresh copy of CellKeepsState as built" in out
    assert "CellKeepsState state" not in out  # no restart of its own to check


def test_a_second_bias_added_to_the_same_pre_activation_must_have_the_first_ones_gradient(capsys):
    status, out, _ = check(capsys, STEPPING, "StepCell", "SimpleRNNCell")
    assert status == 0
    assert ("two biases for B: StepCell.parameters['bx'] and StepCell.parameters['ba'], added to the same "
            "pre-activation (found from forward: B in either gives the same output)") in out
    assert "StepCell.parameters['ba'] non-zero (held at zero; its gradient must equal B's)" in out
    status, out, _ = check(capsys, STEPPING, "StepCellStateBiasFirstSample", "SimpleRNNCell")
    assert status == 1
    assert ("[finite_differences, torch_twin] raised ValueError: StepCellStateBiasFirstSample.gradients['ba'] differs from StepCellStateBiasFirstSample.gradients['bx']: "
            "StepCellStateBiasFirstSample.parameters['ba'] and StepCellStateBiasFirstSample.parameters['bx'] are "
            "added to the same pre-activation, so their gradients must be equal") in out


def test_a_whole_model_written_as_a_training_step_gets_no_advice_row_it_could_not_act_on(capsys):
    # train() gets lists of columns made from copies of x and targets: no caller's array,
    # list or NaN reaches it, so advice on them would be advice it cannot follow
    for options in ((), ("--strict",)):
        status, out, _ = check(capsys, TRAINING, "CharGRUStep", "GRU", options=options)
        assert status == 0, out
        assert "no advice row (input validation, the caller's arrays)" in out
        assert not any(line.startswith("CharGRUStep advice") for line in out.splitlines())
        assert row(out, "CharGRUStep contract")[-1] == "pass"


def test_a_training_step_is_checked_from_a_notebook_as_from_the_command(capsys):
    import importlib.util

    loaded = importlib.util.spec_from_file_location("training_steps_nb", TRAINING)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    right = reference.check(module.CharLSTMStep, like="LSTM", examples=5)
    wrong = reference.check(module.CharLSTMStepNoCarry, like="LSTM", examples=5)
    assert right.passed and "gate order f, i, g, o" in str(right)
    assert not wrong.passed and "param W_x: backward disagrees" in str(wrong)
    with pytest.raises(AssertionError):
        wrong.raise_for_failure()


def test_a_step_keeping_an_optimizers_state_is_refused_by_the_first_backward_too_not_only_when_adapted():
    import importlib.util

    from reference._builtin.specs import BY_NAME
    from reference._external.training import StatefulStep, wrapped

    loaded = importlib.util.spec_from_file_location("training_steps_stateful", TRAINING)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    rng = np.random.default_rng(0)
    x, targets = (np.eye(3)[rng.integers(0, 3, (2, 4))] for _ in range(2))
    for cls, stateful in ((module.CharLSTMStep, False), (module.CharLSTMStepAdagrad, True)):
        layer = wrapped(cls, BY_NAME["CharLSTM"])[0](3, 2)  # not probed: the adapter would refuse Adagrad
        layer.forward(x, targets)
        if stateful:
            with pytest.raises(StatefulStep, match="stepped .* differently on the same sample twice"):
                layer.backward()
        else:
            layer.backward()
            assert all(np.any(g) for g in layer.grads.values())


@pytest.mark.parametrize("cls, bound", [("CharLSTMStepClippedAtOne", "1"), ("CharLSTMStepClipsOutputOnly", "0.1")])
def test_a_training_step_whose_clip_cuts_the_gradient_fails_saying_so_not_as_a_bug_in_backward(capsys, cls, bound):
    status, out, _ = check(capsys, TRAINING, cls, "LSTM")
    assert status == 1
    assert f"raised ClippedStep: {cls}.train clipped its gradients at +-{bound} on this example" in out
    assert "a bug in backward" not in out and "hint:" not in out


@pytest.mark.parametrize("cls, like, options, said", [
    ("CharLSTMStepAveraged", "LSTM", ("--sizes", "seq_len=1:4"), "train averages its loss over the steps"),
    ("CharLSTMStep", "LSTM", ("--sizes", "n_vocab=1:4"), "gate order f, i, g, o"),  # one character tells nothing
    # 4 n_nodes = n_vocab: W_y and B_y end in as many columns as the stacked gates, and are not gates
    ("CharLSTMStep", "LSTM", ("--fix", "n_vocab=8", "--fix", "n_nodes=2"), "gate order f, i, g, o"),
    ("CharGRUStep", "GRU", ("--fix", "n_vocab=6", "--fix", "n_nodes=2"), "gate order z, r, n"),
    ("StackedCharLSTMStep", "LSTM", ("--fix", "n_nodes=1"), "param W_y = StackedCharLSTMStep.params['V']"),
])
def test_a_training_steps_conventions_are_found_at_restricted_sizes_too(capsys, cls, like, options, said):
    status, out, _ = check(capsys, TRAINING, cls, like, options=options)
    assert status == 0, out
    assert said in out


def test_a_training_steps_optional_states_are_given_as_zeros_not_carried_from_the_last_call(capsys):
    status, out, _ = check(capsys, TRAINING, "CharLSTMStepCarriesState", "LSTM")
    assert status == 0, out
    assert "not checked: h_prev (CharLSTMStepCarriesState.train returns no gradient for it; given as zeros), c_prev" in out


def test_sizes_restrict_the_whole_models_draws_when_checked_like_its_layer(capsys):
    # --like LSTM checks a training step like CharLSTM: the restriction is of CharLSTM's sizes
    status, out, _ = check(capsys, TRAINING, "CharLSTMStepNoCarry", "LSTM", options=("--sizes", "n_vocab=3:3"))
    assert status == 1
    assert "draws restricted (--fix, --sizes): n_vocab from 3 to 3" in out
    assert "smallest failing example found: n_vocab=3," in out
