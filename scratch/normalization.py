"""Normalization layers: LayerNorm (over the features of each sample) and BatchNorm1d
(over the batch, with running statistics for evaluation)."""
import numpy as np

from ._modes import TrainEval
from ._validate import as_array, expect_forward_done, expect_positive_int, expect_shape


def _normalize(x, axis, eps):
    """(x - mean) / sqrt(var + eps) along `axis` (biased variance) -> (xhat, 1 / sqrt(var + eps))."""
    mean = x.mean(axis=axis, keepdims=True)
    inv_std = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=axis, keepdims=True) + eps)
    return (x - mean) * inv_std, inv_std


def _normalize_backward(dxhat, xhat, inv_std, axis):
    """Vector-Jacobian product of _normalize: dx from dxhat, when mean and var are taken over `axis`."""
    return inv_std * (dxhat - dxhat.mean(axis=axis, keepdims=True)
                      - xhat * (dxhat * xhat).mean(axis=axis, keepdims=True))


class _Normalization:
    """Shared plumbing: gamma and beta of shape (n_features,), starting at ones and zeros as
    in PyTorch (no initializer: the layer starts as the identity on normalized values);
    y = gamma * xhat + beta, with xhat cached for backward."""

    def __init__(self, n_features, eps=1e-5):
        self.n_features = expect_positive_int(self, "n_features", n_features)
        if not (isinstance(eps, (int, float)) and np.isfinite(eps) and eps > 0):
            raise ValueError(f"{type(self).__name__}: eps must be a positive finite number, got {eps!r}")
        self.eps = float(eps)
        self.params = {"gamma": np.ones(self.n_features), "beta": np.zeros(self.n_features)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def _scale_shift(self, xhat, inv_std, axis):
        """axis: where mean and var were taken (backward goes through them), None if they
        were constants (BatchNorm1d in evaluation)."""
        self.cache = (xhat, inv_std, axis)
        return self.params["gamma"] * xhat + self.params["beta"]

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        xhat, inv_std, axis = self.cache
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, xhat.shape)
        leading = tuple(range(xhat.ndim - 1))
        self.grads["gamma"][...] = (dout * xhat).sum(axis=leading)
        self.grads["beta"][...] = dout.sum(axis=leading)
        dxhat = dout * self.params["gamma"]
        return dxhat * inv_std if axis is None else _normalize_backward(dxhat, xhat, inv_std, axis)


class LayerNorm(_Normalization):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, mean and (biased) var over the last axis.

    x: (..., n_features), any leading axes, like nn.LayerNorm(n_features, eps).
    """

    def forward(self, x):
        x = as_array(self, "x", x)
        if x.ndim < 1 or x.shape[-1] != self.n_features:
            raise ValueError(f"LayerNorm: x must have shape (..., {self.n_features}), got {x.shape}")
        return self._scale_shift(*_normalize(x, -1, self.eps), axis=-1)


class BatchNorm1d(_Normalization, TrainEval):
    """Batch normalization of x: (batch, n_features), like nn.BatchNorm1d(n_features, eps, momentum).

    Training (the default, train()): y = gamma * (x - mean) / sqrt(var + eps) + beta with the
    batch's mean and biased var per feature (batch >= 2), and each forward updates the
    running statistics, r <- (1 - momentum) * r + momentum * batch statistic, with the
    unbiased variance for running_var, as PyTorch does. Evaluation (eval()): the running
    statistics take the batch's place, so backward treats them as constants.
    running_mean and running_var (starting at zeros and ones) are buffers, not params:
    they have no gradient and an optimizer leaves them alone.
    """

    def __init__(self, n_features, eps=1e-5, momentum=0.1):
        super().__init__(n_features, eps)
        if not (isinstance(momentum, (int, float)) and 0.0 <= momentum <= 1.0):
            raise ValueError(f"BatchNorm1d: momentum must be a number in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.running_mean = np.zeros(self.n_features)
        self.running_var = np.ones(self.n_features)
        self.training = True

    def forward(self, x):
        x = as_array(self, "x", x)
        expect_shape(self, "x", x, ("batch", self.n_features))
        if not self.training:
            inv_std = 1.0 / np.sqrt(self.running_var + self.eps)
            return self._scale_shift((x - self.running_mean) * inv_std, inv_std, axis=None)
        batch = x.shape[0]
        if batch < 2:
            raise ValueError(f"BatchNorm1d: x needs a batch of at least 2 in training, got shape {x.shape}")
        m = self.momentum
        self.running_mean[...] = (1.0 - m) * self.running_mean + m * x.mean(axis=0)
        self.running_var[...] = (1.0 - m) * self.running_var + m * x.var(axis=0, ddof=1)
        return self._scale_shift(*_normalize(x, 0, self.eps), axis=0)
