"""The layout of a weight written elsewhere, and a stride given as one int (internal).

This project's weights put inputs first and outputs last: FC's W is (n_in, n_out), a
convolution's (in_channels, *kernel_size, out_channels). Code written elsewhere often keeps
PyTorch's layout instead, outputs first: Linear's (out_features, in_features), Conv2d's
(out_channels, in_channels, kh, kw), as Deep Learning from Scratch's Convolution does. A
layout is a convention, not a mistake, so it is found (`find_layout`, from forward alone
against this project's own layer: probing.py) and the checks run in it: the layer is built
with, and handed, its weights in its own layout, and its gradients are moved back, so that
finite differences, the twin and the contract all see the spec's.

Some code also takes a stride or a padding as one int for both axes and does arithmetic
with it (`(H + 2*pad - FH) // stride`); given a pair per axis it raises. Such a layer is
checked with both axes drawn equal and passed as one int (restrict.one_int), said in the
report.
"""
import numpy as np

from . import restrict
from .construction import describe_shape, param_shapes, probe_config
from .probing import OwnForward


class Layout:
    """Where a weight's output axis sits in the layer: moved from the spec's last axis to
    the first (`to_layer`) and back (`from_layer`), for the parameters in `params`."""

    def __init__(self, params=()):
        self.params = frozenset(params)

    @property
    def identity(self):
        return not self.params

    def to_layer(self, name, value):
        return np.moveaxis(value, -1, 0) if name in self.params else value

    def from_layer(self, name, value):
        return np.moveaxis(value, 0, -1) if name in self.params and np.ndim(value) >= 2 else value

    def layer_shapes(self, shapes):
        """The spec's parameter shapes as the layer holds them (None: unknown)."""
        return {k: (s if k not in self.params or s is None else (s[-1], *s[:-1])) for k, s in shapes.items()}


SPEC_LAYOUT = Layout()


def weights(shapes):
    """The parameters that have an input and an output axis."""
    return [k for k, shape in shapes.items() if len(shape) >= 2]


def int_geometry(spec, config, sources):
    """The drawn per-axis values (stride, padding, ...) the constructor takes, as pairs."""
    return [k for k in dict.fromkeys(sources.values()) if k in spec.draws and isinstance(config.get(k), tuple)]


def find_layout(spec, config, sources, build_with):
    """(spec, config, Layout, [notes]) for a layer whose forward agrees with the spec's own
    in the spec's layout, PyTorch's (outputs first), with its per-axis draws as one int, or
    both; the spec's own convention first. (spec, config, SPEC_LAYOUT, []) when none agrees
    (the checks then say what differs). build_with(spec, layout, config) builds the adapted
    layer."""
    pairs = int_geometry(spec, config, sources)
    variants = [(spec, config, [])]
    if pairs:
        narrowed = restrict.one_int(spec, pairs)
        variants.append((narrowed, probe_config(narrowed), pairs))
    for candidate, at, ints in variants:
        try:
            own, shapes = OwnForward(candidate, at), param_shapes(candidate, at)
        except Exception:  # noqa: BLE001 - the probe's sizes do not suit the spec's own layer (restricted draws)
            continue
        for layout in [SPEC_LAYOUT] + ([Layout(weights(shapes))] if weights(shapes) else []):
            try:
                layer = build_with(candidate, layout, at)
            except Exception:  # noqa: BLE001 - the user's constructor: the checks report it
                continue
            if own.agrees(own.error(layer)):
                return candidate, at, layout, _notes(layout, ints, shapes, at)
    return spec, config, SPEC_LAYOUT, []


def _notes(layout, ints, shapes, config):
    notes = []
    for k in sorted(layout.params):
        notes.append(f"weight layout: {k} as {describe_shape(layout.layer_shapes(shapes)[k], config)}, the spec's "
                     f"{describe_shape(shapes[k], config)} with its last axis first (PyTorch's layout for Linear and "
                     f"Conv weights), a convention: the checks give the layer its weights in its own layout and "
                     f"compare in the spec's")
    if ints:
        notes.append(f"{', '.join(ints)} as one int for both axes (a pair per axis made forward raise or differ): "
                     f"drawn equal on both axes")
    return notes
