"""Convolutions over (batch, channels, *spatial) arrays, as in PyTorch (cross-correlation),
computed as one matrix product over the windows (im2col) and its adjoint (col2im)."""
import numpy as np

from ._validate import as_array, expect_forward_done, expect_positive_int, expect_shape
from .initializers import default_initializer
from ._windows import Windows


class _Conv:
    """y[b, o] = B[o] + sum over c and the kernel of W[c, *offset, o] * window of x[b, c].

    W: (in_channels, *kernel_size, out_channels), inputs first and outputs last like FC's
    W, drawn by `initializer.weight` with the fans of `fans()`. B: (out_channels,). stride
    and padding (zeros) are an int or one per spatial axis.
    """

    axes = ()  # the names of the spatial axes

    def __init__(self, in_channels, out_channels, kernel_size, initializer=None, *, stride=1, padding=0):
        initializer = default_initializer(initializer)
        self.in_channels = expect_positive_int(self, "in_channels", in_channels)
        self.out_channels = expect_positive_int(self, "out_channels", out_channels)
        self.windows = Windows(self, self.axes, kernel_size, stride, padding)
        self.params = {"W": initializer.weight((self.in_channels, *self.windows.kernel, self.out_channels),
                                               *self.fans()),
                       "B": initializer.B(self.out_channels)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def fans(self):
        """(fan_in, fan_out) of W, as torch.nn.init computes them for the same weight in torch's
        layout (out_channels, in_channels, *kernel): each channel count times the kernel area."""
        area = int(np.prod(self.windows.kernel))
        return self.in_channels * area, self.out_channels * area

    def forward(self, x):
        x = self.windows.validated(self, x, self.in_channels)
        windows = self.windows.view(x)  # (batch, in_channels, *out, *kernel)
        d = len(self.axes)
        # im2col: one row per output position, (batch * prod(out), in_channels * prod(kernel)).
        cols = windows.transpose(0, *range(2, 2 + d), 1, *range(2 + d, 2 + 2 * d))
        out_shape = cols.shape[:1 + d]
        cols = cols.reshape(int(np.prod(out_shape)), -1)
        y = cols @ self.params["W"].reshape(-1, self.out_channels) + self.params["B"]
        self.cache = (x.shape, cols, out_shape)
        return np.ascontiguousarray(np.moveaxis(y.reshape(*out_shape, self.out_channels), -1, 1))

    def backward(self, dout):
        expect_forward_done(self, self.cache)
        x_shape, cols, out_shape = self.cache
        dout = as_array(self, "dout", dout)
        expect_shape(self, "dout", dout, (out_shape[0], self.out_channels, *out_shape[1:]))
        rows = np.moveaxis(dout, 1, -1).reshape(-1, self.out_channels)
        W = self.params["W"].reshape(-1, self.out_channels)
        self.grads["W"][...] = (cols.T @ rows).reshape(self.grads["W"].shape)
        self.grads["B"][...] = rows.sum(axis=0)
        d = len(self.axes)
        dcols = (rows @ W.T).reshape(*out_shape, self.in_channels, *self.windows.kernel)
        dwindows = dcols.transpose(0, 1 + d, *range(1, 1 + d), *range(2 + d, 2 + 2 * d))
        return self.windows.backward(dwindows, x_shape)


class Conv1d(_Conv):
    """x: (batch, in_channels, length) -> (batch, out_channels, out_length), like nn.Conv1d."""

    axes = ("length",)


class Conv2d(_Conv):
    """x: (batch, in_channels, height, width) -> (batch, out_channels, out_height, out_width),
    like nn.Conv2d."""

    axes = ("height", "width")
