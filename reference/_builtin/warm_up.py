"""Training batches for the layers with running statistics (NumPy only)."""
import numpy as np


def warm_up_batches(config, steps=3, batch=4):
    """Training batches (batch, n_features) drawn from the example's seed, with per-feature
    means and scales far from 0 and 1: a layer with running statistics and its twin both
    train on them before an evaluation-mode check, so the statistics are not the initial
    zeros and ones, and any difference in how they are updated shows in the output."""
    rng = np.random.default_rng([config["seed"], 3])
    n = config["n_features"]
    return [rng.normal(rng.uniform(-2.0, 2.0, n), rng.uniform(0.3, 3.0, n), size=(batch, n))
            for _ in range(steps)]
