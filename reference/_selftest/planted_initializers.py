"""Planted initializer bugs: wrong rules people really write, caught by the statistical check,
and layers that call a correct initializer with the wrong fans, caught as built.

Each INITIALIZER_CATALOG entry is checked by `initializer_stats.check_initializer` against
the rule of the initializer it imitates (the rule the user meant), each BUILT_CATALOG entry
by `initializer_stats.check_built` as the layer's constructor draws its weights with that
rule's initializer; `python -m reference --self-test` and tests/test_planted.py require
each to be caught.
"""
from dataclasses import dataclass

import numpy as np

import scratch

from . import initializer_stats as stats


@dataclass(frozen=True)
class PlantedInitializer:
    name: str
    rule: stats.Rule
    description: str
    make: object  # rng -> initializer


class XavierFanInOnly(scratch.XavierInitializer):
    def std(self, n_in, n_out):
        return np.sqrt(1.0 / n_in)


class XavierNoFactorTwo(scratch.XavierInitializer):
    def std(self, n_in, n_out):
        return np.sqrt(1.0 / (n_in + n_out))


class XavierUniform(scratch.XavierInitializer):
    def W(self, n_in, n_out):
        bound = np.sqrt(3.0) * self.std(n_in, n_out)  # the same std, the wrong distribution
        return self.rng.uniform(-bound, bound, (n_in, n_out))


class HeFanOut(scratch.HeInitializer):
    def std(self, n_in, n_out):
        return np.sqrt(2.0 / n_out)


class HeNoFactorTwo(scratch.HeInitializer):
    def std(self, n_in, n_out):
        return np.sqrt(1.0 / n_in)


class HeVarianceAsStd(scratch.HeInitializer):
    def std(self, n_in, n_out):
        return 2.0 / n_in


class HeRandomBias(scratch.HeInitializer):
    def B(self, n_out):
        return self.std(n_out, n_out) * self.rng.standard_normal(n_out)


class SimpleVarianceAsStd(scratch.SimpleInitializer):
    def std(self, n_in, n_out):
        return self.sigma**2


class SimpleNonZeroMean(scratch.SimpleInitializer):
    def W(self, n_in, n_out):
        return super().W(n_in, n_out) + 0.1 * self.sigma


SIGMA = 0.05
INITIALIZER_CATALOG = (
    PlantedInitializer("xavier-fan-in-only", stats.XAVIER, "Xavier with sqrt(1/n_in) (LeCun's rule)",
                       XavierFanInOnly),
    PlantedInitializer("xavier-no-factor-2", stats.XAVIER, "Xavier with sqrt(1/(n_in+n_out))", XavierNoFactorTwo),
    PlantedInitializer("xavier-uniform", stats.XAVIER, "uniform draws of the right std instead of Gaussian",
                       XavierUniform),
    PlantedInitializer("he-fan-out", stats.HE, "He with sqrt(2/n_out)", HeFanOut),
    PlantedInitializer("he-no-factor-2", stats.HE, "He with sqrt(1/n_in): the ReLU factor 2 forgotten",
                       HeNoFactorTwo),
    PlantedInitializer("he-variance-as-std", stats.HE, "He's variance 2/n_in used as the std", HeVarianceAsStd),
    PlantedInitializer("he-random-bias", stats.HE, "bias drawn like the weights instead of zero", HeRandomBias),
    PlantedInitializer("simple-variance-as-std", stats.simple_rule(SIGMA), "sigma**2 used as the std",
                       lambda rng: SimpleVarianceAsStd(SIGMA, rng=rng)),
    PlantedInitializer("simple-nonzero-mean", stats.simple_rule(SIGMA), "weights shifted by 0.1 sigma",
                       lambda rng: SimpleNonZeroMean(SIGMA, rng=rng)),
)


@dataclass(frozen=True)
class PlantedBuilt:
    name: str
    layer: str  # the built_layers.BUILT entry it is built as
    rule: stats.Rule
    description: str
    cls: type
    make: object  # rng -> the (correct) initializer of the rule


class ConvFanInWithoutKernel(scratch.Conv2d):
    def fans(self):
        return self.in_channels, super().fans()[1]


class ConvFanOutWithoutKernel(scratch.Conv1d):
    def fans(self):
        return super().fans()[0], self.out_channels


BUILT_CATALOG = (
    PlantedBuilt("conv-fan-in-without-kernel", "Conv2d", stats.HE, "fan_in = in_channels, without the kernel "
                 "area", ConvFanInWithoutKernel, scratch.HeInitializer),
    PlantedBuilt("conv-xavier-fan-out-no-kernel", "Conv1d", stats.XAVIER, "fan_out = out_channels, without "
                 "the kernel area (initializer.W(in_channels * kernel area, out_channels))", ConvFanOutWithoutKernel,
                 scratch.XavierInitializer),
)
