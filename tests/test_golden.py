"""The original exercise's small-array experiment (problem 2): known hidden states."""
import numpy as np

from scratch import SimpleInitializer, SimpleRNN


def test_small_array_experiment_hidden_states():
    x = np.array([[[1, 2], [2, 3], [3, 4]]]) / 100
    rnn = SimpleRNN(2, 4, SimpleInitializer(rng=np.random.default_rng(0)))
    rnn.params["W_x"][...] = np.array([[1, 3, 5, 7], [3, 5, 7, 8]]) / 100
    rnn.params["W_h"][...] = np.array([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]]) / 100
    rnn.params["B"][...] = 1
    h = rnn.forward(x, h0=np.zeros((1, 4)))
    expected = np.array([[[0.76188798, 0.76213958, 0.76239095, 0.76255841],
                           [0.792209, 0.8141834, 0.83404912, 0.84977719],
                           [0.79494228, 0.81839002, 0.83939649, 0.85584174]]])
    np.testing.assert_allclose(h, expected, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(rnn.forward(x), h)  # h0 omitted means zeros
