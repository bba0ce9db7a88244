"""Sequential, ScratchRNNClassifier, LastTimeStep, load_params and running_sum_task in detail:
whole error messages, boundaries, defaults, modes, copies and files, none of which the
gradient and training tests in tests/test_models.py look at."""
import copy
import pickle
import re

import numpy as np
import pytest

import scratch
from scratch import FC, Adam, SimpleInitializer, SimpleRNN, Tanh, XavierInitializer
from scratch.data import running_sum_task
from scratch.models import LastTimeStep, ScratchRNNClassifier, Sequential


def raises_exactly(error, message):
    return pytest.raises(error, match="^" + re.escape(message) + "$")


def _init(seed=0):
    return SimpleInitializer(rng=np.random.default_rng(seed))


def small_model(seed=0):
    """FC(2, 3) -> Tanh -> FC(3, 1), named fc1, tanh, fc2."""
    init = _init(seed)
    return Sequential(FC(2, 3, init), Tanh(), FC(3, 1, init), names=("fc1", "tanh", "fc2"))


def params_of(model):
    return {name: value.copy() for name, value in model.params.items()}


def assert_params_equal(model, expected):
    assert list(model.params) == list(expected)
    for name, value in model.params.items():
        np.testing.assert_array_equal(value, expected[name], err_msg=name)


# Sequential: construction

@pytest.mark.parametrize("layers, names, error, message", [
    ((), None, ValueError, "Sequential: needs at least one layer"),
    ((Tanh(), object()), None, TypeError, "Sequential: layer 1 (object) has no forward, backward, params, grads"),
    ((Tanh(),), ("",), ValueError, "Sequential: names must be non-empty strings without '.', got ''"),
    ((Tanh(),), (1,), ValueError, "Sequential: names must be non-empty strings without '.', got 1"),
    ((Tanh(),), ("a.b",), ValueError, "Sequential: names must be non-empty strings without '.', got 'a.b'"),
], ids=["no layers", "not a layer", "empty name", "int name", "dotted name"])
def test_sequential_construction_errors_are_whole_sentences(layers, names, error, message):
    with raises_exactly(error, message):
        Sequential(*layers, names=names)


def test_sequential_refuses_to_rebind_a_parameter_and_says_how_to_write_it():
    model = small_model()
    with raises_exactly(TypeError, "Sequential: params and grads are views of the layers' arrays; "
                                   "write in place (params[name][...] = value) or on the layer itself"):
        model.params["fc1.W"] = np.zeros((2, 3))


def test_backward_before_forward_is_refused():
    with raises_exactly(RuntimeError, "Sequential: backward called before forward"):
        small_model().backward(np.zeros((4, 1)))


# Sequential: a failing layer is named, by its name and its class

def test_a_layer_refusing_x_is_named():
    model = small_model()
    with raises_exactly(ValueError, "Sequential: layer 'fc1' (FC): FC: x must have shape (batch, 2), got (4, 5)"):
        model.forward(np.zeros((4, 5)))


def test_a_layer_refusing_dout_is_named():
    model = small_model()
    model.forward(np.zeros((4, 2)))
    with raises_exactly(ValueError, "Sequential: layer 'fc2' (FC): FC: dout must have shape (4, 1), got (4, 2)"):
        model.backward(np.zeros((4, 2)))


# Sequential: modes, copies, files

def test_train_and_eval_switch_every_layer_with_a_mode_and_chain():
    dropout, norm = scratch.Dropout(0.5, rng=np.random.default_rng(0)), scratch.BatchNorm1d(3)
    model = Sequential(FC(2, 3, _init()), dropout, norm, Tanh())  # FC and Tanh have no mode
    assert dropout.training and norm.training
    assert model.eval() is model
    assert not dropout.training and not norm.training
    assert model.train() is model
    assert dropout.training and norm.training


def test_a_shallow_copy_of_params_is_a_plain_dict_of_the_same_arrays():
    model = small_model()
    shallow = copy.copy(model.params)
    assert type(shallow) is dict
    assert all(shallow[name] is value for name, value in model.params.items())
    shallow["fc1.W"] = np.zeros((2, 3))  # a plain dict: rebinding is the caller's business
    assert model.params["fc1.W"] is model.layers["fc1"].params["W"]


def test_a_deep_copy_of_params_keeps_shared_arrays_shared():
    # deepcopy's contract: an object reached twice is copied once (the memo is passed on).
    model = small_model()
    snapshot = copy.deepcopy({"params": model.params, "first": model.params["fc1.W"]})
    assert type(snapshot["params"]) is dict
    assert snapshot["first"] is snapshot["params"]["fc1.W"]
    assert snapshot["first"] is not model.params["fc1.W"]
    np.testing.assert_array_equal(snapshot["first"], model.params["fc1.W"])


def test_params_pickle_as_a_plain_dict():
    model = small_model()
    restored = pickle.loads(pickle.dumps(model.params))
    assert type(restored) is dict
    assert_params_equal(model, restored)


def test_sequential_save_and_load_round_trip(tmp_path):
    path = tmp_path / "weights"
    source, target = small_model(0), small_model(1)
    source.save(path)
    expected = params_of(source)
    assert target.load(path) is target
    assert_params_equal(target, expected)


def test_sequential_load_of_a_bad_file_names_the_model_and_changes_nothing(tmp_path):
    path = tmp_path / "bad.npz"
    arrays = params_of(small_model(0))
    del arrays["fc2.B"]
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    model = small_model(1)
    before = params_of(model)
    with raises_exactly(ValueError, f"Sequential.load: cannot load {path}: missing arrays ['fc2.B'] "
                                    f"(nothing was loaded)"):
        model.load(path)
    assert_params_equal(model, before)


# load_params through ScratchRNNClassifier.load

def classifier(seed):
    return ScratchRNNClassifier(1, 4, 2, initializer=XavierInitializer(rng=np.random.default_rng(seed)))


def _write(path, arrays):
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def test_load_lists_every_problem_of_a_file_in_one_message(tmp_path):
    arrays = params_of(classifier(0))
    del arrays["rnn.W_h"]
    arrays["extra"] = np.zeros(2)
    arrays["fc.W"] = np.zeros((4, 3))
    arrays["rnn.B"] = np.arange(4)
    arrays["rnn.W_x"] = np.full((1, 4), np.nan)
    path = tmp_path / "bad.npz"
    _write(path, arrays)
    model = classifier(1)
    before = params_of(model)
    with raises_exactly(ValueError, f"ScratchRNNClassifier.load: cannot load {path}: missing arrays ['rnn.W_h']; "
                                    f"unexpected arrays ['extra']; "
                                    f"array 'fc.W' has shape (4, 3), expected (4, 2); "
                                    f"array 'rnn.B' has dtype int64, expected a float dtype; "
                                    f"array 'rnn.W_x' has non-finite values (nothing was loaded)"):
        model.load(path)
    assert_params_equal(model, before)


def test_load_goes_on_checking_after_an_array_that_needs_pickle(tmp_path):
    arrays = params_of(classifier(0))
    arrays["fc.B"] = np.array([None, None], dtype=object)  # the first name in sorted order
    arrays["rnn.B"] = np.zeros(3)
    path = tmp_path / "bad.npz"
    _write(path, arrays)
    model = classifier(1)
    before = params_of(model)
    with pytest.raises(ValueError, match=r"^ScratchRNNClassifier\.load: cannot load .*: "
                                         r"array 'fc\.B' cannot be read without pickle \(.+\); "
                                         r"array 'rnn\.B' has shape \(3,\), expected \(4,\) \(nothing was loaded\)$"):
        model.load(path)
    assert_params_equal(model, before)


def test_load_refuses_a_pickle_and_names_the_model_and_the_file(tmp_path):
    path = tmp_path / "model.pkl"
    with open(path, "wb") as file:
        pickle.dump(params_of(classifier(0)), file)
    model = classifier(1)
    before = params_of(model)
    with pytest.raises(ValueError, match="^" + re.escape(f"ScratchRNNClassifier.load: cannot load {path}: ") + ".+"):
        model.load(path)
    assert_params_equal(model, before)


# LastTimeStep

@pytest.mark.parametrize("shape", [(2, 3), (2, 0, 3), (2, 3, 1, 1)])
def test_last_time_step_needs_a_sequence_of_at_least_one_step(shape):
    with raises_exactly(ValueError, f"LastTimeStep: x must have shape (batch, seq_len, n_nodes), got {shape}"):
        LastTimeStep().forward(np.zeros(shape))


@pytest.mark.parametrize("x_dtype, dout_dtype, expected", [
    (np.float32, np.float32, np.float32),  # float32 stays float32, as in every element-wise layer
    (np.float32, np.float64, np.float64),  # and neither side's precision is dropped
    (np.float64, np.float32, np.float64),
])
def test_last_time_step_gradient_has_the_promoted_dtype(x_dtype, dout_dtype, expected):
    layer = LastTimeStep()
    x = np.arange(12, dtype=x_dtype).reshape(2, 3, 2)
    np.testing.assert_array_equal(layer.forward(x), [[4, 5], [10, 11]])
    dx = layer.backward(np.array([[1, 2], [3, 4]], dtype=dout_dtype))
    assert dx.dtype == expected
    np.testing.assert_array_equal(dx, [[[0, 0], [0, 0], [1, 2]], [[0, 0], [0, 0], [3, 4]]])


# ScratchRNNClassifier: construction and defaults

@pytest.mark.parametrize("argument", ["n_features", "n_nodes", "n_classes"])
@pytest.mark.parametrize("bad", [0, 2.5])
def test_classifier_sizes_must_be_positive_integers(argument, bad):
    sizes = {"n_features": 1, "n_nodes": 1, "n_classes": 1, argument: bad}  # 1 is the smallest valid size
    with raises_exactly(ValueError, f"ScratchRNNClassifier: {argument} must be a positive integer, got {bad!r}"):
        ScratchRNNClassifier(**sizes)


def test_classifier_of_the_smallest_sizes_predicts():
    model = ScratchRNNClassifier(1, 1, 1)
    np.testing.assert_array_equal(model.predict(np.zeros((2, 1, 1))), [0, 0])


def test_classifier_draws_its_weights_from_the_given_initializer():
    model = ScratchRNNClassifier(2, 3, 4, initializer=SimpleInitializer(0.5, rng=np.random.default_rng(7)))
    init = SimpleInitializer(0.5, rng=np.random.default_rng(7))  # the same draws, in the documented order
    rnn, fc = SimpleRNN(2, 3, init), FC(3, 4, init)
    expected = {**{f"rnn.{k}": v for k, v in rnn.params.items()}, **{f"fc.{k}": v for k, v in fc.params.items()}}
    assert_params_equal(model, expected)


def test_classifier_defaults_to_xavier_from_seed_0():
    default = ScratchRNNClassifier(2, 3, 4)
    assert_params_equal(default, params_of(ScratchRNNClassifier(2, 3, 4, initializer=XavierInitializer(
        rng=np.random.default_rng(0)))))


def test_classifier_network_is_named_rnn_last_fc():
    assert list(ScratchRNNClassifier(1, 2, 2).network.layers) == ["rnn", "last", "fc"]


def test_fit_defaults_are_the_documented_ones():
    X, y = running_sum_task(40, 3, np.random.default_rng(1))  # 40 samples: batches of 32 and 8
    default = ScratchRNNClassifier(1, 4, 2).fit(X, y)
    explicit = ScratchRNNClassifier(1, 4, 2).fit(X, y, epochs=30, batch_size=32, optimizer=Adam(lr=0.01), seed=0)
    assert len(default.loss_history_) == 30
    assert default.loss_history_ == explicit.loss_history_
    assert_params_equal(default, params_of(explicit))


class Frozen:
    """An optimizer that leaves the parameters alone."""

    def update(self, layer):
        return layer


def test_loss_history_averages_every_batch_of_an_epoch():
    # With the weights frozen every batch sees the same model, so an epoch's mean batch loss,
    # each weighted by its batch's size, is the loss of the whole set.
    X, y = running_sum_task(10, 3, np.random.default_rng(1))
    model = ScratchRNNClassifier(1, 4, 2)
    whole = model.loss(X, y)
    model.fit(X, y, epochs=2, batch_size=3, optimizer=Frozen())  # batches of 3, 3, 3 and 1
    assert model.loss_history_ == pytest.approx([whole, whole], rel=1e-12)


def test_predict_returns_int64_labels():
    labels = ScratchRNNClassifier(1, 3, 3).predict(np.zeros((4, 2, 1)))
    assert labels.dtype == np.int64 and labels.shape == (4,)


# ScratchRNNClassifier: bad data, whole messages

GOOD = dict(X=np.zeros((3, 2, 1)), y=np.array([0, 1, 0]))


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(X=np.zeros((0, 2, 1)), y=np.zeros(0, dtype=int)), ValueError,
     "ScratchRNNClassifier: X must hold at least one sequence of at least one step, got shape (0, 2, 1)"),
    (dict(X=np.zeros((3, 0, 1))), ValueError,
     "ScratchRNNClassifier: X must hold at least one sequence of at least one step, got shape (3, 0, 1)"),
    (dict(y=[0, 1, 0]), TypeError, "ScratchRNNClassifier: y must be a 1-D integer numpy array of labels, got list"),
    (dict(y=np.zeros((3, 1), dtype=np.int64)), TypeError,
     "ScratchRNNClassifier: y must be a 1-D integer numpy array of labels, got ndarray of dtype int64 and shape (3, 1)"),
    (dict(optimizer="adam"), TypeError,
     "ScratchRNNClassifier: optimizer must have an update(layer) method, got str"),
    (dict(seed=True), ValueError, "ScratchRNNClassifier: seed must be a non-negative integer, got True"),
    (dict(seed=1.5), ValueError, "ScratchRNNClassifier: seed must be a non-negative integer, got 1.5"),
], ids=["no sequences", "no steps", "list y", "2-D y", "optimizer", "bool seed", "float seed"])
def test_fit_errors_are_whole_sentences(kwargs, error, message):
    model = ScratchRNNClassifier(1, 3, 2)
    before = params_of(model)
    with raises_exactly(error, message):
        model.fit(**{**GOOD, **kwargs})
    assert_params_equal(model, before)


def test_predict_refuses_an_empty_batch():
    with raises_exactly(ValueError, "ScratchRNNClassifier: X must hold at least one sequence of at least one step, "
                                    "got shape (0, 2, 1)"):
        ScratchRNNClassifier(1, 3, 2).predict(np.zeros((0, 2, 1)))


# running_sum_task

def test_running_sum_task_accepts_one_sequence_of_one_step():
    X, y = running_sum_task(1, 1, np.random.default_rng(0))
    assert X.shape == (1, 1, 1) and y.shape == (1,)
    assert y[0] == (1 if X[0, 0, 0] > 0 else 0)


def test_running_sum_task_names_the_type_it_got_for_rng():
    with raises_exactly(TypeError, "running_sum_task: rng must be a numpy.random.Generator, got int"):
        running_sum_task(5, 5, 0)
