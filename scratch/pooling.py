"""2-D pooling over (batch, channels, height, width), as in PyTorch. No parameters."""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_shape
from ._windows import Windows


class _Pool2d:
    """kernel_size, stride (default: kernel_size) and padding, an int or a (height, width)
    pair; padding is at most kernel_size // 2 on each axis, as PyTorch requires, so every
    window holds at least one element of x.
    """

    pad_value = 0.0

    def __init__(self, kernel_size, stride=None, padding=0):
        self.windows = Windows(self, ("height", "width"), kernel_size,
                               kernel_size if stride is None else stride, padding)
        if any(p > k // 2 for p, k in zip(self.windows.padding, self.windows.kernel)):
            raise ValueError(f"{type(self).__name__}: padding {self.windows.padding} must be at most "
                             f"half of kernel_size {self.windows.kernel}")
        self.params = {}
        self.grads = {}
        self.cache = None

    def forward(self, x):
        x = self.windows.validated(self, x, "channels")
        windows = self.windows.view(x, self.pad_value)
        flat = windows.reshape(*windows.shape[:4], -1)  # (batch, channels, out_h, out_w, window)
        out, saved = self._pool(flat)
        self.cache = (x.shape, flat.shape, saved)
        return out

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        x_shape, flat_shape, saved = self.cache
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, flat_shape[:4])
        dflat = self._pool_backward(dout, flat_shape, saved)
        return self.windows.backward(dflat.reshape(*flat_shape[:4], *self.windows.kernel), x_shape)


class MaxPool2d(_Pool2d):
    """The maximum of each window, like nn.MaxPool2d (padding counts as -inf). The gradient
    goes to the window's maximum; where two values tie, to the first in row-major order,
    as in PyTorch's CPU kernel (a kink: finite differences are drawn away from it)."""

    pad_value = -np.inf

    def _pool(self, flat):
        argmax = flat.argmax(axis=-1)[..., np.newaxis]
        return np.take_along_axis(flat, argmax, axis=-1)[..., 0], argmax

    def _pool_backward(self, dout, flat_shape, argmax):
        dflat = np.zeros(flat_shape)
        np.put_along_axis(dflat, argmax, dout[..., np.newaxis], axis=-1)
        return dflat


class AvgPool2d(_Pool2d):
    """The mean of each window, like nn.AvgPool2d() (count_include_pad=True: zero padding
    counts in the mean, every window is divided by the kernel area)."""

    def _pool(self, flat):
        return flat.mean(axis=-1), None

    def _pool_backward(self, dout, flat_shape, saved):
        return np.broadcast_to(dout[..., np.newaxis] / flat_shape[-1], flat_shape)
