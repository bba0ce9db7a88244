"""A layer whose forward returns several arrays (an LSTM cell's (h, c)), seen by the checks
as a layer with one output: the arrays side by side on the last axis, and backward's one
upstream split the same way into one per output. Every check then works unchanged, and a
report's output index past the first output's width is in the next one."""
import functools

import numpy as np


def built(spec, config):
    """spec.build(config), behind SideBySide if the spec declares several outputs."""
    layer = spec.build(config)
    return _side_by_side(type(layer))(layer, spec.outputs) if spec.outputs else layer


@functools.lru_cache(maxsize=None)
def _side_by_side(cls):
    """A SideBySide subclass named after the layer's class, so that messages name it."""
    return type(cls.__name__, (SideBySide,), {"__doc__": f"{cls.__name__}'s outputs side by side"})


def _delegated(name):
    return property(lambda self: getattr(self.layer, name), lambda self, value: setattr(self.layer, name, value))


class SideBySide:
    params = _delegated("params")
    grads = _delegated("grads")

    def __init__(self, layer, names):
        self.layer, self.names, self.widths = layer, tuple(names), None

    @property
    def dinputs(self):
        return getattr(self.layer, "dinputs", {})

    def forward(self, **inputs):
        out = self.layer.forward(**inputs)
        owner, names = type(self).__name__, ", ".join(self.names)
        if not isinstance(out, (tuple, list)) or len(out) != len(self.names):
            raise TypeError(f"{owner}.forward returned {_what(out)}, not the {len(self.names)} outputs ({names})")
        parts = [np.asarray(o) for o in out]
        if len({p.shape[:-1] for p in parts}) != 1 or any(p.ndim == 0 for p in parts):
            raise ValueError(f"{owner}.forward's outputs ({names}) have shapes "
                             f"{', '.join(str(p.shape) for p in parts)}: they differ in more than the last axis")
        self.widths = [p.shape[-1] for p in parts]
        return np.concatenate(parts, axis=-1)

    def backward(self, dout):
        if self.widths is None:  # before forward: the layer's own answer
            return self.layer.backward(*[dout] * len(self.names))
        owner = type(self).__name__
        if not isinstance(dout, np.ndarray) or dout.shape[-1:] != (sum(self.widths),):
            raise ValueError(f"{owner}: the upstream of ({', '.join(self.names)}) side by side must have "
                             f"{sum(self.widths)} columns, got {_what(dout)}")
        return self.layer.backward(*np.split(dout, np.cumsum(self.widths)[:-1], axis=-1))


def _what(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__} of {len(value)}" if isinstance(value, (tuple, list)) else type(value).__name__
