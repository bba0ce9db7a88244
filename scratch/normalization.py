"""Normalization layers: LayerNorm (over the features of each sample)."""
import numpy as np

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


class LayerNorm:
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, mean and (biased) var over the last axis.

    x: (..., n_features), any leading axes, like nn.LayerNorm(n_features, eps).
    gamma, beta: (n_features,), starting at ones and zeros as in PyTorch (no initializer:
    a normalization layer starts as the identity on normalized values).
    """

    def __init__(self, n_features, eps=1e-5):
        self.n_features = expect_positive_int(self, "n_features", n_features)
        if not (isinstance(eps, (int, float)) and np.isfinite(eps) and eps > 0):
            raise ValueError(f"LayerNorm: eps must be a positive finite number, got {eps!r}")
        self.eps = float(eps)
        self.params = {"gamma": np.ones(self.n_features), "beta": np.zeros(self.n_features)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def forward(self, x):
        x = as_array(self, "x", x)
        if x.ndim < 1 or x.shape[-1] != self.n_features:
            raise ValueError(f"LayerNorm: x must have shape (..., {self.n_features}), got {x.shape}")
        xhat, inv_std = _normalize(x, -1, self.eps)
        self.cache = (xhat, inv_std)
        return self.params["gamma"] * xhat + self.params["beta"]

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        xhat, inv_std = self.cache
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, xhat.shape)
        leading = tuple(range(xhat.ndim - 1))
        self.grads["gamma"][...] = (dout * xhat).sum(axis=leading)
        self.grads["beta"][...] = dout.sum(axis=leading)
        return _normalize_backward(dout * self.params["gamma"], xhat, inv_std, -1)
