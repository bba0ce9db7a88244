"""Optimizers: update(layer) applies one step from layer.grads to layer.params in place."""
import numpy as np


class SGD:
    """params <- params - lr * grads, for every parameter of the layer."""

    def __init__(self, lr):
        if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
            raise ValueError(f"SGD: lr must be a positive finite number, got {lr!r}")
        self.lr = float(lr)

    def update(self, layer):
        _check_grads(self, layer)
        for name, value in layer.params.items():
            value -= self.lr * layer.grads[name]
        return layer


def _check_grads(optimizer, layer):
    """Refuse to step unless every parameter has a gradient of its shape (nothing changes)."""
    params, grads = layer.params, layer.grads
    where = f"{type(optimizer).__name__}.update({type(layer).__name__})"
    if set(params) != set(grads):
        raise ValueError(f"{where}: grads keys {sorted(grads)} do not match params keys {sorted(params)}")
    for name, value in params.items():
        if grads[name].shape != value.shape:
            raise ValueError(
                f"{where}: grads[{name!r}] has shape {grads[name].shape}, params[{name!r}] has {value.shape}"
            )
