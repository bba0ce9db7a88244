"""The original exercise's small-array experiment (problem 2): known hidden states, with the
exercise's own calls (an initializer and layers built from sizes alone)."""
import numpy as np

from scratch import SGD, FC, SimpleInitializer, SimpleRNN, XavierInitializer

X = np.array([[[1, 2], [2, 3], [3, 4]]]) / 100
W_X = np.array([[1, 3, 5, 7], [3, 5, 7, 8]]) / 100
W_H = np.array([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]]) / 100
H = np.array([[[0.76188798, 0.76213958, 0.76239095, 0.76255841],
               [0.792209, 0.8141834, 0.83404912, 0.84977719],
               [0.79494228, 0.81839002, 0.83939649, 0.85584174]]])


def test_small_array_experiment_with_the_exercises_calls():
    batch_size, n_sequences, n_features = X.shape
    n_nodes = W_X.shape[1]
    rnn = SimpleRNN(n_features, n_nodes, SimpleInitializer())
    rnn.params["W_x"][...], rnn.params["W_h"][...], rnn.params["B"][...] = W_X, W_H, np.array([1])
    h = rnn.forward(X)
    np.testing.assert_allclose(h, H, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(rnn.forward(X, h0=np.zeros((batch_size, n_nodes))), h)
    rnn.backward(np.ones_like(h))
    SGD(lr=0.01).update(rnn)  # the exercise's optimizer, built the exercise's way
    assert not np.array_equal(rnn.params["W_h"], W_H)


def test_initializers_and_layers_need_nothing_more_than_the_exercise_gives():
    for initializer in (SimpleInitializer(), SimpleInitializer(sigma=0.01), XavierInitializer()):
        assert initializer.W(3, 4).shape == (3, 4) and initializer.B(4).shape == (4,)
    assert SimpleInitializer(sigma=0.5).W(200, 300).std() > 0.45  # sigma is the std it draws with
    rnn, fc = SimpleRNN(2, 4), FC(3, 4)
    assert rnn.params["W_x"].shape == (2, 4) and fc.params["W"].shape == (3, 4)
    assert not np.array_equal(SimpleRNN(2, 4).params["W_x"], rnn.params["W_x"])  # a fresh generator each
    # the default is Xavier: std sqrt(2 / (n_in + n_out)), zero bias
    big = FC(300, 200)
    assert abs(big.params["W"].std() / np.sqrt(2 / 500) - 1) < 0.02 and not big.params["B"].any()


def test_a_seeded_rng_reproduces_the_draw():
    draw = [SimpleInitializer(rng=np.random.default_rng(3)).W(2, 2) for _ in range(2)]
    np.testing.assert_array_equal(*draw)
