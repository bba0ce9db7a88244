"""Sliding windows over the spatial axes of (batch, channels, *spatial) arrays, shared by
the convolutions and the pools: the windows as a strided view, and its adjoint (col2im)."""
import numpy as np

from ._validate import as_array, expect_shape


def as_sizes(owner, name, value, n, minimum):
    """An int, or a tuple of n ints, each >= minimum -> a tuple of n ints."""
    values = value if isinstance(value, tuple) else (value,) * n
    if len(values) != n or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum
                               for v in values):
        raise ValueError(f"{type(owner).__name__}: {name} must be an integer >= {minimum} "
                         f"or a tuple of {n} of them, got {value!r}")
    return tuple(int(v) for v in values)


class Windows:
    """kernel, stride and padding along each spatial axis; PyTorch's sizes (no ceil mode):
    out = (size + 2 * padding - kernel) // stride + 1."""

    def __init__(self, owner, axes, kernel_size, stride, padding):
        self.axes = axes  # names of the spatial axes, for messages: ("height", "width")
        self.kernel = as_sizes(owner, "kernel_size", kernel_size, len(axes), 1)
        self.stride = as_sizes(owner, "stride", stride, len(axes), 1)
        self.padding = as_sizes(owner, "padding", padding, len(axes), 0)

    def validated(self, owner, x, channels):
        """x as a float array of shape (batch, channels, *axes), large enough for one window."""
        x = as_array(owner, "x", x)
        expect_shape(owner, "x", x, ("batch", channels, *self.axes))
        if any(n + 2 * p < k for n, p, k in zip(x.shape[2:], self.padding, self.kernel)):
            raise ValueError(f"{type(owner).__name__}: x's {', '.join(self.axes)} {x.shape[2:]} with padding "
                             f"{self.padding} must be at least kernel_size {self.kernel}")
        return x

    def view(self, x, pad_value=0.0):
        """The windows of x padded with pad_value: a read-only view (batch, channels, *out, *kernel)."""
        padded = np.full(self._padded_shape(x.shape), pad_value)
        padded[self._inner(x.shape)] = x
        out = tuple((n - k) // s + 1 for n, k, s in zip(padded.shape[2:], self.kernel, self.stride))
        steps = padded.strides[2:]
        return np.lib.stride_tricks.as_strided(
            padded, padded.shape[:2] + out + self.kernel,
            padded.strides[:2] + tuple(t * s for t, s in zip(steps, self.stride)) + steps, writeable=False)

    def backward(self, dwindows, x_shape):
        """The adjoint of view: each window's gradient summed back onto x (padding dropped).
        dwindows: (batch, channels, *out, *kernel) -> dx: x_shape."""
        out = dwindows.shape[2:2 + len(self.kernel)]
        dpadded = np.zeros(self._padded_shape(x_shape))
        for offset in np.ndindex(*self.kernel):
            target = tuple(slice(o, o + s * (m - 1) + 1, s) for o, s, m in zip(offset, self.stride, out))
            dpadded[(slice(None), slice(None), *target)] += dwindows[(Ellipsis, *offset)]
        return dpadded[self._inner(x_shape)].copy()

    def _padded_shape(self, x_shape):
        return x_shape[:2] + tuple(n + 2 * p for n, p in zip(x_shape[2:], self.padding))

    def _inner(self, x_shape):
        """The index of x within its padded copy."""
        return (slice(None), slice(None), *(slice(p, p + n) for p, n in zip(self.padding, x_shape[2:])))
