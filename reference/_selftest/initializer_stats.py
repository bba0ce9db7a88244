"""Initializers checked statistically: sample moments against the rule, and against torch.nn.init.

An initializer's W(n_in, n_out) should be N = n_in * n_out independent draws from
N(0, std^2), std given by its rule. For such a sample:

- the mean m has standard error std / sqrt(N):            z = m * sqrt(N) / std
- the sample standard deviation s has standard error
  std / sqrt(2N) (N large):                                z = (s / std - 1) * sqrt(2N)
- the sample kurtosis k (3 for a Gaussian) has standard
  error sqrt(24 / N):                                      z = (k - 3) * sqrt(N / 24)
- the sample std of torch.nn.init's draw t with the same rule, against ours:
  two independent estimates, difference of standard error std / sqrt(N):
                                                           z = (s - t) * sqrt(N) / std

Each statistic is flagged when |z| > Z_LIMIT = 6. For a correct initializer each z is
(asymptotically) standard normal, so one statistic raises a false alarm with probability
P(|Z| > 6) = 2.0e-9; `check_initializer` computes at most 4 statistics at each of 2
shapes, so a false alarm for one initializer has probability below 8 x 2.0e-9 = 1.6e-8
per seed (union bound), and the tests use fixed seeds, so a pass stays a pass.
At N = 60 000 the check still sees a std off by 3% (z = 10), a factor sqrt(2) (He's
2 / n_in against LeCun's 1 / n_in), n_in and n_out swapped (the shapes are not square),
and a uniform distribution of the right std (kurtosis 1.8, z = -60).
"""
from dataclasses import dataclass

import numpy as np
import torch

Z_LIMIT = 6.0
# Non-square both ways, so a rule that swaps n_in and n_out is off at one of them.
SHAPES = ((300, 200), (200, 300))


@dataclass(frozen=True)
class Rule:
    """What an initializer should draw: the weight std and the bias std (0: all zeros).

    torch_init: the torch.nn.init function with the same rule, applied to a torch
    weight of shape (n_out, n_in) (torch's layout), or None.
    """

    weight_std: object  # (n_in, n_out) -> float
    bias_std: object = lambda n_in, n_out: 0.0
    torch_init: object = None


def simple_rule(sigma):
    return Rule(weight_std=lambda n_in, n_out: sigma, bias_std=lambda n_in, n_out: sigma,
                torch_init=lambda w: torch.nn.init.normal_(w, mean=0.0, std=sigma))


XAVIER = Rule(weight_std=lambda n_in, n_out: np.sqrt(2.0 / (n_in + n_out)),
              torch_init=torch.nn.init.xavier_normal_)
HE = Rule(weight_std=lambda n_in, n_out: np.sqrt(2.0 / n_in),
          torch_init=lambda w: torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu"))


def statistics(sample, std):
    """z-scores of mean, std and kurtosis of `sample` against N(0, std^2)."""
    x = np.asarray(sample, dtype=np.float64).ravel()
    n = x.size
    s = x.std()
    kurtosis = np.mean((x - x.mean()) ** 4) / s**4 if s > 0 else np.inf
    return {
        "mean": x.mean() * np.sqrt(n) / std,
        "std": (s / std - 1.0) * np.sqrt(2 * n),
        "kurtosis": (kurtosis - 3.0) * np.sqrt(n / 24.0),
    }


def _torch_sample(rule, n_in, n_out, seed):
    weight = torch.empty(n_out, n_in, dtype=torch.float64)
    with torch.random.fork_rng():  # torch.nn.init draws from the global generator
        torch.manual_seed(seed)
        rule.torch_init(weight)
    return weight.numpy()


def check_initializer(make, rule, seed=0):
    """Failures (strings) of the initializer built by `make(rng)` against `rule`; [] if it passes."""
    failures = []
    for shape_index, (n_in, n_out) in enumerate(SHAPES):
        init = make(np.random.default_rng([seed, shape_index]))
        where = f"{type(init).__name__}.W({n_in}, {n_out})"
        W = init.W(n_in, n_out)
        if W.shape != (n_in, n_out) or W.dtype != np.float64:
            failures.append(f"{where}: shape {W.shape} dtype {W.dtype}, expected ({n_in}, {n_out}) float64")
            continue
        std = rule.weight_std(n_in, n_out)
        z = statistics(W, std)
        if rule.torch_init is not None:
            t = _torch_sample(rule, n_in, n_out, seed + shape_index)
            z["std vs torch.nn.init"] = (W.std() - t.std()) * np.sqrt(W.size) / std
        for name, value in z.items():
            if not abs(value) <= Z_LIMIT:
                failures.append(f"{where}: {name} is {value:+.1f} standard errors from the rule "
                                f"(limit {Z_LIMIT:g}; sample std {W.std():.4g}, rule {std:.4g})")
        failures += _check_bias(init, rule, n_in, n_out)
    return failures


def _check_bias(init, rule, n_in, n_out):
    where = f"{type(init).__name__}.B({n_out})"
    B = init.B(n_out)
    if B.shape != (n_out,) or B.dtype != np.float64:
        return [f"{where}: shape {B.shape} dtype {B.dtype}, expected ({n_out},) float64"]
    std = rule.bias_std(n_in, n_out)
    if std == 0.0:
        return [] if not B.any() else [f"{where}: expected all zeros, got max |B| = {np.abs(B).max():.3g}"]
    # n_out = 200 or 300 draws: only the std is checked, at the same 6 standard errors.
    z = (B.std() / std - 1.0) * np.sqrt(2 * B.size)
    return [] if abs(z) <= Z_LIMIT else [f"{where}: std {B.std():.4g} is {z:+.1f} standard errors from {std:.4g}"]
