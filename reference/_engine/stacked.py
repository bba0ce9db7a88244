"""Finite differences of inputs, many perturbations in one forward call. NumPy only.

For a layer whose samples are independent (the spec says `independent_samples`: the
output's sample b depends on the inputs' sample b alone), perturbing input element
(b, ...) changes sample b's part of L = sum(G * out) only. So every perturbation is
applied to a copy of the one sample it touches (a direction touches every sample: one
copy each), the copies are stacked along axis 0, and ONE forward call evaluates them
all: sum(G[b] * out_row) per row gives each perturbed L_b.

Whether the samples really are independent is checked on every call: the stack also
carries the batch unperturbed, reversed and with one extra sample, and those rows must
reproduce the layer's own output (batch statistics, a mask drawn per batch or a state
carried between calls all change them). If they do not (a misdeclared spec, a layer
that keeps state), `differences` returns None and the caller perturbs one element per
forward call instead.
"""
import itertools
import math

import numpy as np

from .._spec.tolerances import FLOAT64
from .compare import all_match

MAX_ROWS = 1024  # rows per forward call (bounds the memory a stacked call takes)


class StackedInputs:
    def __init__(self, call, args, upstream, base, precision=FLOAT64):
        """call(**stacked args) -> the stacked output; `base` is the output for `args`;
        `precision` gives the step, the rounding and the tolerance of the probe."""
        self.call, self.args, self.upstream, self.base = call, args, upstream, np.asarray(base)
        self.precision = precision
        self.batch = len(self.base)
        # sum|G[b] * out[b]| per sample, the round-off scale of every row perturbing sample b
        # (a row differs from its sample by one step, 1e-6: the same scale to a millionth)
        self.scales = np.abs(self.upstream * self.base).reshape(self.batch, -1).sum(axis=1)

    @staticmethod
    def applies(args, base):
        """Every input and the output share a leading (batch) axis."""
        return np.ndim(base) > 0 and all(np.ndim(v) > 0 and len(v) == len(base) for v in args.values())

    def differences(self, requests):
        """Central differences of L for every request (input name, directions shaped like
        that input or None, flat element indices), all in one stacked forward call:
        [(numeric values, round-off allowance of each), ...] in the order of the requests,
        or None if the stacked call does not reproduce the layer's output."""
        samples, owners, edits, counts = [], [], [], []
        rows, step = 0, self.precision.step
        for name, directions, elements in requests:
            first, x = sum(counts), self.args[name]
            ways = 0 if directions is None else len(directions)
            elements = np.asarray(elements, dtype=int)
            if ways:  # every sample of x, once per direction: row r is direction r // batch
                samples.append(np.tile(np.arange(self.batch), ways))
                owners.append(first + np.repeat(np.arange(ways), self.batch))
                edits.append((name, rows, (step * directions).reshape(ways * self.batch, *x.shape[1:]), None))
                rows += ways * self.batch
            if elements.size:  # one row per element: the sample that holds it
                b, within = np.divmod(elements, math.prod(x.shape[1:]))
                samples.append(b)
                owners.append(first + ways + np.arange(elements.size))
                edits.append((name, rows, None, (b, within, first + ways)))
                rows += elements.size
            counts.append(ways + elements.size)
        samples = np.concatenate(samples or [np.arange(0)])
        owner = np.concatenate(owners or [np.arange(0)])
        # Row order: plus rows, minus rows, then the probe: the batch reversed and one extra
        # sample, last (so a mask drawn per row position cannot line up with the original).
        everything = np.concatenate([samples, samples, np.arange(self.batch)[::-1], [0]])
        stacked = {k: np.ascontiguousarray(v[everything]) for k, v in self.args.items()}
        for k in stacked:
            stacked[k][-1] = stacked[k][-1] * 0.5 + 0.25
        denominators = np.full(sum(counts), 2.0 * step)
        for name, start, steps, where in edits:
            if steps is not None:
                stop = start + len(steps)
                stacked[name][start:stop] += steps
                stacked[name][rows + start:rows + stop] -= steps
            else:
                b, within, owned = where
                flat = stacked[name].reshape(len(everything), -1)  # a view (contiguous)
                value = self.args[name].reshape(self.batch, -1)[b, within]
                up, down = value + step, value - step
                plus = start + np.arange(len(within))
                flat[plus, within], flat[plus + rows, within] = up, down
                denominators[owned:owned + len(within)] = up - down  # the step taken
        found = self._row_losses(stacked, everything)
        if found is None:
            return None
        losses, scales = found
        eps = self.precision.eps
        numeric, roundoff = losses[:rows] - losses[rows:2 * rows], eps * (scales[:rows] + scales[rows:2 * rows])
        if len(denominators) != rows:  # a direction's rows are summed into its one difference
            numeric = np.bincount(owner, weights=numeric, minlength=len(denominators))
            roundoff = np.bincount(owner, weights=roundoff, minlength=len(denominators))
        bounds = list(itertools.accumulate(counts, initial=0))
        return [(numeric[a:b] / denominators[a:b], roundoff[a:b] / denominators[a:b])
                for a, b in zip(bounds[:-1], bounds[1:])]

    def _row_losses(self, stacked, samples):
        """sum(G[b] * out_row) and its round-off scale (self.scales) for each stacked row, in
        chunks; None if the probe rows (the last batch + 1) do not reproduce the layer's output."""
        losses, scales = [], []
        starts = list(range(0, len(samples) - self.batch - 1, MAX_ROWS)) or [0]  # the probe stays whole
        for start, stop in zip(starts, starts[1:] + [len(samples)]):
            part = slice(start, stop)
            try:
                out = np.asarray(self.call(**{k: v[part] for k, v in stacked.items()}))
            except Exception:  # noqa: BLE001 - the layer refuses the larger batch: no stacking
                return None
            if out.shape[1:] != self.base.shape[1:] or len(out) != len(samples[part]):
                return None
            rows = samples[part]
            losses.append((self.upstream[rows] * out).reshape(len(out), -1).sum(axis=1))
            scales.append(self.scales[rows])
        again, expected = out[-self.batch - 1:-1], self.base[::-1]  # the probe, in the last chunk
        if not (again.shape == expected.shape and (again == expected).all() or all_match(again, expected, self.precision.contract)):
            return None
        return np.concatenate(losses), np.concatenate(scales)
