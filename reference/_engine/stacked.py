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

from .._spec.tolerances import CONTRACT, EPS, STEP
from .compare import matches

MAX_ROWS = 1024  # rows per forward call (bounds the memory a stacked call takes)


class StackedInputs:
    def __init__(self, call, args, upstream, base):
        """call(**stacked args) -> the stacked output; `base` is the output for `args`."""
        self.call, self.args, self.upstream, self.base = call, args, upstream, np.asarray(base)
        self.batch = len(self.base)

    @staticmethod
    def applies(args, base):
        """Every input and the output share a leading (batch) axis."""
        return np.ndim(base) > 0 and all(np.ndim(v) > 0 and len(v) == len(base) for v in args.values())

    def differences(self, requests, step=STEP):
        """Central differences of L for every request (input name, directions shaped like
        that input or None, flat element indices), all in one stacked forward call:
        [(numeric values, round-off allowance of each), ...] in the order of the requests,
        or None if the stacked call does not reproduce the layer's output."""
        blocks, denominators, counts = [], [], []
        for name, directions, elements in requests:
            first = len(denominators)
            x = self.args[name]
            if directions is not None:  # every sample of x, once per direction
                steps, shape = step * directions, (len(directions) * self.batch, *x.shape[1:])
                row = np.arange(shape[0])  # direction row // batch, sample row % batch
                blocks.append((name, (x + steps).reshape(shape), (x - steps).reshape(shape),
                               row % self.batch, first + row // self.batch))
                denominators += [2.0 * step] * len(directions)
            elements = np.asarray(elements, dtype=int)
            if elements.size:
                b, within = np.divmod(elements, math.prod(x.shape[1:]))
                up, down = x.flat[elements] + step, x.flat[elements] - step
                rows = x[b].reshape(len(elements), -1)
                plus, minus = rows.copy(), rows.copy()
                plus[np.arange(len(elements)), within] = up
                minus[np.arange(len(elements)), within] = down
                blocks.append((name, plus.reshape(x[b].shape), minus.reshape(x[b].shape), b,
                               len(denominators) + np.arange(len(elements))))
                denominators += list(up - down)
            counts.append(len(denominators) - first)
        samples = np.concatenate([block[3] for block in blocks] or [np.arange(0)])
        owner = np.concatenate([block[4] for block in blocks] or [np.arange(0)])
        rows = len(samples)
        # Row order: plus rows, minus rows, then the probe: the batch reversed and one extra
        # sample, last (so a mask drawn per row position cannot line up with the original).
        probe = np.concatenate([np.arange(self.batch)[::-1], [0]])
        everything = np.concatenate([samples, samples, probe])
        stacked = {k: v[everything] for k, v in self.args.items()}
        for k in stacked:
            stacked[k][-1] = stacked[k][-1] * 0.5 + 0.25
        start = 0
        for name, plus, minus, block_samples, _ in blocks:
            stop = start + len(block_samples)
            stacked[name][start:stop], stacked[name][rows + start:rows + stop] = plus, minus
            start = stop
        found = self._row_losses(stacked, everything)
        if found is None:
            return None
        losses, scales = found
        denominators = np.asarray(denominators, dtype=np.float64)
        numeric = np.bincount(owner, weights=losses[:rows] - losses[rows:2 * rows], minlength=len(denominators))
        roundoff = EPS * np.bincount(owner, weights=scales[:rows] + scales[rows:2 * rows],
                                     minlength=len(denominators))
        bounds = list(itertools.accumulate(counts, initial=0))
        return [(numeric[a:b] / denominators[a:b], roundoff[a:b] / denominators[a:b])
                for a, b in zip(bounds[:-1], bounds[1:])]

    def _row_losses(self, stacked, samples):
        """sum(G[b] * out_row) and sum(|G[b] * out_row|) for each stacked row, in chunks;
        None if the probe rows (the last batch + 1) do not reproduce the layer's output."""
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
            terms = (self.upstream[samples[part]] * out).reshape(len(out), -1)
            losses.append(terms.sum(axis=1))
            scales.append(np.abs(terms).sum(axis=1))
        again, expected = out[-self.batch - 1:-1], self.base[::-1]  # the probe, in the last chunk
        if not matches(again, expected, CONTRACT).all():
            return None
        return np.concatenate(losses), np.concatenate(scales)
