"""Swish and single-head scaled dot-product attention, in NumPy, with exact backward passes.

Both follow the layer contract the checks hold them to: `params`/`grads` dicts (empty
here), `forward` caches what `backward` needs and returns an array of its own, `backward`
returns the gradient of the first input (the others go in `dinputs`), and bad input raises
an error naming the layer and the argument.
"""
import numpy as np


def _checked(layer, name, value, ndim=None):
    """value as a float64 array; TypeError or ValueError naming the layer and the argument."""
    owner = type(layer).__name__
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{owner}: {name} must be a numpy array, got {type(value).__name__}")
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(f"{owner}: {name} must hold floats, got dtype {value.dtype}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{owner}: {name} must have {ndim} axes, got shape {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{owner}: {name} must be finite (no NaN or inf)")
    return value.astype(np.float64)


def _sigmoid(x):
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1.0 + e)
    return out


class Swish:
    """x * sigmoid(x), element-wise, on any shape (PyTorch's nn.SiLU)."""

    def __init__(self):
        self.params, self.grads, self.cache = {}, {}, None

    def forward(self, x):
        x = _checked(self, "x", x)
        s = _sigmoid(x)
        self.cache = (x, s)
        return x * s

    def backward(self, dout):
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before forward")
        x, s = self.cache
        dout = _checked(self, "dout", dout, x.ndim)
        if dout.shape != x.shape:
            raise ValueError(f"{type(self).__name__}: dout must have shape {x.shape}, got {dout.shape}")
        return dout * (s + x * s * (1.0 - s))


class Attention:
    """softmax(q k^T / sqrt(d_k)) v, one head.

    q: (batch, n_queries, d_k), k: (batch, n_keys, d_k), v: (batch, n_keys, d_v)
    -> (batch, n_queries, d_v). backward(dout) returns dq; dk and dv are in dinputs.
    """

    def __init__(self):
        self.params, self.grads, self.cache, self.dinputs = {}, {}, None, {}

    def forward(self, q, k, v):
        q, k, v = (_checked(self, name, a, 3) for name, a in (("q", q), ("k", k), ("v", v)))
        if k.shape[0] != q.shape[0] or k.shape[2] != q.shape[2]:
            raise ValueError(f"{type(self).__name__}: k must have shape ({q.shape[0]}, n_keys, {q.shape[2]}) to match q "
                             f"{q.shape}, got {k.shape}")
        if v.shape[:2] != k.shape[:2]:
            raise ValueError(f"{type(self).__name__}: v must have shape ({k.shape[0]}, {k.shape[1]}, d_v) to match k "
                             f"{k.shape}, got {v.shape}")
        scale = 1.0 / np.sqrt(q.shape[-1])
        scores = q @ k.swapaxes(1, 2) * scale
        scores -= scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=-1, keepdims=True)
        self.cache = (q, k, v, weights, scale)
        return weights @ v

    def backward(self, dout):
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before forward")
        q, k, v, weights, scale = self.cache
        dout = _checked(self, "dout", dout, 3)
        if dout.shape != (q.shape[0], q.shape[1], v.shape[2]):
            raise ValueError(f"{type(self).__name__}: dout must have shape {(q.shape[0], q.shape[1], v.shape[2])}, "
                             f"got {dout.shape}")
        dweights = dout @ v.swapaxes(1, 2)
        dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True)) * scale
        self.dinputs = {"k": dscores.swapaxes(1, 2) @ q, "v": weights.swapaxes(1, 2) @ dout}
        return dscores @ k
