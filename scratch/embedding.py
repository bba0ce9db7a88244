"""Embedding: a lookup table of learned vectors, indexed by integer tokens."""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_positive_int, expect_shape
from .initializers import default_initializer


class Embedding:
    """out[b, t] = W[indices[b, t]], like nn.Embedding.

    indices: integer array (batch, seq_len), each in [0, n_embeddings)
    -> (batch, seq_len, dim). W: (n_embeddings, dim), drawn by `initializer.weight` with
    fan_in = dim and fan_out = n_embeddings, as torch.nn.init computes them for the same
    weight (nn.Embedding's, in the same layout).
    The indices are not differentiable, so backward(dout) fills grads["W"] (a row that
    several indices pick gets the sum of their gradients) and returns None.
    """

    def __init__(self, n_embeddings, dim, initializer=None):
        initializer = default_initializer(initializer)
        self.n_embeddings = expect_positive_int(self, "n_embeddings", n_embeddings)
        self.dim = expect_positive_int(self, "dim", dim)
        self.params = {"W": initializer.weight((self.n_embeddings, self.dim), self.dim, self.n_embeddings)}
        self.grads = {"W": np.zeros_like(self.params["W"])}
        self.cache = None

    def forward(self, indices):
        if not isinstance(indices, np.ndarray):
            raise TypeError(f"Embedding: indices must be a numpy array, got {type(indices).__name__}")
        if indices.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must have an integer dtype, got {indices.dtype}")
        expect_shape(self, "indices", indices, ("batch", "seq_len"))
        if indices.size and (indices.min() < 0 or indices.max() >= self.n_embeddings):
            raise ValueError(f"Embedding: indices must be in [0, {self.n_embeddings}), "
                             f"got values from {indices.min()} to {indices.max()}")
        self.cache = indices.copy()
        return self.params["W"][indices]

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        indices = self.cache
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, (*indices.shape, self.dim))
        self.grads["W"][...] = 0.0
        np.add.at(self.grads["W"], indices, dout)
        return None
