"""Input checks shared by every layer: reject bad input before any state changes.

Every message names the layer, the argument, what was expected and what was given,
so a user reading the traceback does not need to open the layer's source.
"""
import numpy as np


def as_array(owner, name, value, *, kept=False):
    """Return `value` as a real float array; raise TypeError/ValueError otherwise.

    Integer and boolean arrays are promoted to float64 (a copy, so the caller's
    array is never touched); float arrays are used as they are, unless `kept`: the layer
    keeps the array past the call (in its cache for backward), so it gets its own copy and
    a caller who writes to theirs after forward (`x += noise`) does not change backward.
    """
    original = value
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{_named(owner, name)} must be a numpy array, got {type(value).__name__}")
    if value.dtype.kind in "biu":
        value = value.astype(np.float64)
    elif value.dtype.kind != "f":
        raise TypeError(f"{_named(owner, name)} must have a real numeric dtype, got {value.dtype}")
    if not np.isfinite(value).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
        raise ValueError(f"{_named(owner, name)} must be finite, got {value[bad]} at index {bad}")
    return value.copy() if kept and value is original else value


def _named(owner, name):
    """"Layer: argument", the start of every message (built only when one is raised)."""
    return f"{type(owner).__name__}: {name}"


def expect_shape(owner, name, value, dims, note=""):
    """Check `value.shape` against `dims`: an int is a required size, a str a free one.

    Example: dims=("batch", 4) accepts (3, 4) and rejects (3, 5) or (3, 4, 1).
    `note` says where a required size comes from when another argument sets it.
    """
    if value.ndim != len(dims) or not all(n == d for d, n in zip(dims, value.shape) if isinstance(d, int)):
        expected = "(" + ", ".join(str(d) for d in dims) + ")"
        raise ValueError(f"{_named(owner, name)} must have shape {expected}{note}, got {value.shape}")


def expect_steps(owner, x):
    """A sequence of at least one step (x of shape (batch, seq_len, features)), as torch.nn.RNN
    requires: with no step the output is empty and nothing depends on the initial state."""
    if x.shape[1] == 0:
        raise ValueError(f"{_named(owner, 'x')} must have at least one time step, got shape {x.shape}")


def is_positive_int(value):
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value >= 1


def expect_positive_int(owner, name, value):
    if not is_positive_int(value):
        raise ValueError(f"{_named(owner, name)} must be a positive integer, got {value!r}")
    return int(value)


def expect_forward_done(owner, cache):
    if cache is None:
        raise RuntimeError(f"{type(owner).__name__}: backward called before forward")
