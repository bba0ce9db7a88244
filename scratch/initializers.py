"""Weight initializers. Each draws from an np.random.Generator: the `rng` given (pass one to
be reproducible), or a fresh np.random.default_rng() when none is.

`W(n_in, n_out)` returns a `(n_in, n_out)` weight matrix and `B(n_out)` a `(n_out,)`
bias, both float64. `weight(shape, fan_in, fan_out)` draws weights of any shape for the
fans a layer gives: those torch.nn.init computes for the same weight in torch's layout,
where a convolution's fans include the kernel area, which no (n_in, n_out) matrix can say.
"""
import numpy as np

from ._validate import expect_positive_int, is_positive_int


class _Gaussian:
    """Zero-mean Gaussian weights with a standard deviation given by `std(n_in, n_out)`."""

    def __init__(self, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"{type(self).__name__}: rng must be a numpy.random.Generator, got {type(rng).__name__}"
            )
        self.rng = rng

    def std(self, n_in, n_out):
        raise NotImplementedError

    def W(self, n_in, n_out):
        n_in = expect_positive_int(self, "n_in", n_in)
        n_out = expect_positive_int(self, "n_out", n_out)
        return self.weight((n_in, n_out), n_in, n_out)

    def weight(self, shape, fan_in, fan_out):
        if not (isinstance(shape, tuple) and all(map(is_positive_int, shape))):
            raise ValueError(f"{type(self).__name__}: shape must be a tuple of positive integers, got {shape!r}")
        std = self.std(expect_positive_int(self, "fan_in", fan_in), expect_positive_int(self, "fan_out", fan_out))
        return std * self.rng.standard_normal(shape)

    def B(self, n_out):
        return np.zeros(expect_positive_int(self, "n_out", n_out))


class SimpleInitializer(_Gaussian):
    """N(0, sigma^2) for weights and biases, as in the original exercise."""

    def __init__(self, sigma=0.01, *, rng=None):
        super().__init__(rng)
        if not (isinstance(sigma, (int, float)) and np.isfinite(sigma) and sigma > 0):
            raise ValueError(f"SimpleInitializer: sigma must be a positive finite number, got {sigma!r}")
        self.sigma = float(sigma)

    def std(self, n_in, n_out):
        return self.sigma

    def B(self, n_out):
        return self.sigma * self.rng.standard_normal(expect_positive_int(self, "n_out", n_out))


class XavierInitializer(_Gaussian):
    """Glorot normal: std = sqrt(2 / (n_in + n_out)), zero bias (torch.nn.init.xavier_normal_)."""

    def std(self, n_in, n_out):
        return np.sqrt(2.0 / (n_in + n_out))


class HeInitializer(_Gaussian):
    """He normal: std = sqrt(2 / n_in), zero bias (torch.nn.init.kaiming_normal_, fan_in, relu)."""

    def std(self, n_in, n_out):
        return np.sqrt(2.0 / n_in)


def default_initializer(initializer):
    """`initializer`, or the one every layer with weights uses when given none: Xavier
    (Glorot normal, zero bias) from a fresh generator. Xavier keeps the scale of signals
    through tanh and sigmoid layers, which most of these layers feed; pass an initializer
    with a seeded rng to be reproducible."""
    return XavierInitializer() if initializer is None else initializer
