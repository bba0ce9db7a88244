"""Losses: forward(scores, targets) -> float (mean over the batch); backward() -> dscores."""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_shape


class SoftmaxCrossEntropy:
    """Mean over the batch of -sum(t * log softmax(scores)), like nn.CrossEntropyLoss.

    scores: (batch, n_classes). targets: integer labels (batch,) in [0, n_classes),
    or class probabilities (batch, n_classes) such as one-hot rows (non-negative, each
    row summing to 1). The log-softmax is computed as z - logsumexp(z) with the row
    maximum subtracted, so the loss stays finite for scores up to 1e4 and beyond.
    """

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.cache = None

    def forward(self, scores, targets):
        scores = as_array(self, "scores", scores)
        expect_shape(self, "scores", scores, ("batch", "n_classes"))
        probs = self._target_probabilities(targets, *scores.shape)
        z = scores - scores.max(axis=1, keepdims=True)
        log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.cache = (np.exp(log_softmax), probs)
        return float(-(probs * log_softmax).sum() / scores.shape[0])

    def backward(self):
        expect_forward_done(self, self.cache)
        softmax, probs = self.cache
        return (softmax - probs) / softmax.shape[0]

    def _target_probabilities(self, targets, batch, n_classes):
        owner = type(self).__name__
        if not isinstance(targets, np.ndarray):
            raise TypeError(f"{owner}: targets must be a numpy array, got {type(targets).__name__}")
        if targets.ndim == 1 and targets.dtype.kind in "iu":
            expect_shape(self, "targets", targets, (batch,), note=" (batch as in scores)")
            if targets.min() < 0 or targets.max() >= n_classes:
                raise ValueError(
                    f"{owner}: targets must be labels in [0, {n_classes}), "
                    f"got values from {targets.min()} to {targets.max()}"
                )
            return np.eye(n_classes)[targets]
        if targets.ndim == 1:
            raise TypeError(f"{owner}: 1-D targets must be integer labels, got dtype {targets.dtype}")
        probs = as_array(self, "targets", targets, kept=True)
        expect_shape(self, "targets", probs, (batch, n_classes), note=" (as scores)")
        if probs.min() < 0 or not np.allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-9):
            raise ValueError(f"{owner}: (batch, n_classes) targets must be non-negative rows summing to 1")
        return probs


class TimeSoftmaxCrossEntropy(SoftmaxCrossEntropy):
    """SoftmaxCrossEntropy at every time step: the mean over every (sample, step) of
    -sum(t * log softmax(scores)), like nn.CrossEntropyLoss on the steps flattened.

    scores: (batch, seq_len, n_classes). targets: integer labels (batch, seq_len), or class
    probabilities (batch, seq_len, n_classes). backward() -> dscores, (batch, seq_len, n_classes).
    """

    def forward(self, scores, targets):
        scores = as_array(self, "scores", scores)
        expect_shape(self, "scores", scores, ("batch", "seq_len", "n_classes"))
        if not isinstance(targets, np.ndarray):
            raise TypeError(f"{type(self).__name__}: targets must be a numpy array, got {type(targets).__name__}")
        steps, n_classes = scores.shape[:2], scores.shape[2]
        labels = targets.ndim == 2
        if labels and targets.dtype.kind not in "iu":
            raise TypeError(f"{type(self).__name__}: 2-D targets must be integer labels, got dtype {targets.dtype}")
        expect_shape(self, "targets", targets, steps if labels else (*steps, n_classes),
                     note=" (batch and seq_len as in scores)")
        flat = targets.reshape(-1) if labels else targets.reshape(-1, n_classes)
        loss = super().forward(scores.reshape(-1, n_classes), flat)
        self._shape = scores.shape
        return loss

    def backward(self):
        return super().backward().reshape(self._shape)


class MSELoss:
    """Mean over all elements of (predictions - targets)**2, like nn.MSELoss().

    predictions and targets: arrays of one shape, at least 1-D, e.g. (batch, n_out).
    backward() -> dpredictions = 2 * (predictions - targets) / predictions.size.
    """

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.cache = None

    def forward(self, predictions, targets):
        predictions = as_array(self, "predictions", predictions)
        if predictions.ndim < 1:
            raise ValueError(f"MSELoss: predictions must have at least 1 dimension, got shape {predictions.shape}")
        targets = as_array(self, "targets", targets)
        expect_shape(self, "targets", targets, predictions.shape, note=" (the shape of predictions)")
        diff = predictions - targets
        self.cache = diff
        return float(np.mean(diff * diff))

    def backward(self):
        expect_forward_done(self, self.cache)
        return 2.0 * self.cache / self.cache.size
