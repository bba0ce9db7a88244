"""Synthetic tasks generated from an injected np.random.Generator."""
import numpy as np


def running_sum_task(n, seq_len, rng):
    """Sequences of noisy values; the label says whether their running sum ends positive.

    X: (n, seq_len, 1), every value drawn from N(0, 1); y: (n,) int64, 1 where
    X[i].sum() > 0, else 0. The classes are balanced in expectation, and the label
    depends on every step, so a model must carry the sum through its hidden state.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"running_sum_task: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    for name, value in (("n", n), ("seq_len", seq_len)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"running_sum_task: {name} must be a positive integer, got {value!r}")
    X = rng.standard_normal((n, seq_len, 1))
    y = (X.sum(axis=(1, 2)) > 0).astype(np.int64)
    return X, y
