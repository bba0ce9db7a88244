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
P(|Z| > 6) = 2.0e-9; `check_initializer` computes at most 5 statistics (4 of W, the std
of a random B) at each of 2 shapes, so a false alarm for one initializer has probability
below 10 x 2.0e-9 = 2.0e-8 per seed (union bound), and the tests use fixed seeds, so a
pass stays a pass. At N = 60 000 the check still sees a std off by 3% (z = 10), a factor
sqrt(2) (He's 2 / n_in against LeCun's 1 / n_in), n_in and n_out swapped (the shapes are
not square), and a uniform distribution of the right std (kurtosis 1.8, z = -60).

`check_built` applies the same statistics to the weights of a layer as its constructor
draws them, with the fans torch.nn.init computes for the same weight: each weight in
torch's layout (the twin's parameter map: Linear's (out, in), a convolution's
(out, in, *kernel)) goes through torch's `_calculate_fan_in_and_fan_out`, so that a
convolution's fans include the kernel area. Every weight has N >= 30 000 elements (see
built_layers.py), where the asymptotic normality of the kurtosis holds well. The
layers' 11 weights give 4 statistics each, and Simple's 8 random biases one more each:
140 statistics per seed for the three rules, a false alarm below 140 x 2.0e-9 = 2.8e-7
per seed; the tests run 2 fixed seeds (below 5.6e-7), so a pass stays a pass.
"""
from dataclasses import dataclass

import numpy as np
import torch

Z_LIMIT = 6.0
# Non-square both ways, so a rule that swaps n_in and n_out is off at one of them.
SHAPES = ((300, 200), (200, 300))


@dataclass(frozen=True)
class Rule:
    """What an initializer should draw: the weight std for the fans, and the bias std
    (0: all zeros).

    torch_init: the torch.nn.init function with the same rule, applied to a torch weight
    in torch's layout (it computes the fans itself), or None.
    """

    weight_std: object  # (fan_in, fan_out) -> float
    bias_std: float = 0.0
    torch_init: object = None


def simple_rule(sigma):
    return Rule(weight_std=lambda fan_in, fan_out: sigma, bias_std=sigma,
                torch_init=lambda w: torch.nn.init.normal_(w, mean=0.0, std=sigma))


XAVIER = Rule(weight_std=lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)),
              torch_init=torch.nn.init.xavier_normal_)
HE = Rule(weight_std=lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),
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


def _torch_sample(rule, shape, seed):
    weight = torch.empty(*shape, dtype=torch.float64)
    with torch.random.fork_rng():  # torch.nn.init draws from the global generator
        torch.manual_seed(seed)
        rule.torch_init(weight)
    return weight.numpy()


def _weight_failures(where, W, std, rule, torch_layout, seed):
    """The statistics of weights W against N(0, std^2), and against torch.nn.init's draw for
    a weight of shape `torch_layout` with the same rule."""
    z = statistics(W, std)
    if rule.torch_init is not None:
        z["std vs torch.nn.init"] = (W.std() - _torch_sample(rule, torch_layout, seed).std()) * np.sqrt(W.size) / std
    return [f"{where}: {name} is {value:+.1f} standard errors from the rule "
            f"(limit {Z_LIMIT:g}; sample std {W.std():.4g}, rule {std:.4g})"
            for name, value in z.items() if not abs(value) <= Z_LIMIT]


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
        failures += _weight_failures(where, W, rule.weight_std(n_in, n_out), rule, (n_out, n_in), seed + shape_index)
        B = init.B(n_out)
        if B.shape != (n_out,) or B.dtype != np.float64:
            failures.append(f"{type(init).__name__}.B({n_out}): shape {B.shape} dtype {B.dtype}, "
                            f"expected ({n_out},) float64")
        else:
            failures += _bias_failures(f"{type(init).__name__}.B({n_out})", B, rule)
    return failures


def check_built(built, cls, make, rule, seed=0):
    """Failures (strings) of the weights and biases of `built.build(cls, make(rng))`, a layer as
    its constructor draws them, against `rule` with torch.nn.init's fans; [] if it passes."""
    init = make(np.random.default_rng([seed, 7]))
    layer = built.build(cls, init)
    failures = []
    for torch_name, value in built.twin.load.items():
        weight = np.asarray(value(layer.params))
        if weight.ndim < 2:
            continue  # a bias: checked below as the layer holds it (the map may pad it with zeros)
        fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.from_numpy(weight))
        where = f"{cls.__name__} {torch_name} {weight.shape} (fan_in {fan_in}, fan_out {fan_out})"
        failures += _weight_failures(where, weight, rule.weight_std(fan_in, fan_out), rule, weight.shape, seed)
    for name, value in layer.params.items():
        if value.ndim == 1:
            failures += _bias_failures(f"{cls.__name__} {name} {value.shape}", value, rule)
    return failures


def _bias_failures(where, B, rule):
    if rule.bias_std == 0.0:
        return [] if not B.any() else [f"{where}: expected all zeros, got max |B| = {np.abs(B).max():.3g}"]
    # A few hundred draws at most: only the std is checked, at the same 6 standard errors.
    z = (B.std() / rule.bias_std - 1.0) * np.sqrt(2 * B.size)
    return [] if abs(z) <= Z_LIMIT else [f"{where}: std {B.std():.4g} is {z:+.1f} standard errors from "
                                         f"{rule.bias_std:.4g}"]
