"""The finite-difference check: backward(G) against central differences of L = sum(G * forward).

How each input and parameter is covered (docs/fast-checks.md):
- the tensors perturbed by forward pairs (parameters, inputs that are not stacked), when
  there are two or more of them, are checked together: DIRECTIONS random sign directions
  over all of their elements at once (every element +-1/sqrt(n)), and the stacked inputs
  join those directions. A wrong element i shows in a sign direction as error_i/sqrt(n)
  whichever element it is (a Gaussian direction can all but skip an element): a tiny
  error in one element among many can hide below the allowance there, and the
  element-wise pass (`every_element`) is what covers it;
- any other tensor: every element if small (a stacked input up to ELEMENTWISE_MAX, others
  up to ONE_BY_ONE_MAX), else DIRECTIONS sign directions of its own, and for a stacked
  input also SAMPLED random elements;
- where any of these disagrees, each tensor is checked again on its own, and every
  element of what still disagrees, so that a failure names the tensor and the element.
- inputs of layers with independent samples (spec.independent_samples) are perturbed
  many at once: perturbed copies of single samples stacked along the batch, every input's
  in one forward call (stacked.py). Anything else takes a pair of forward calls per
  element or direction, so it goes element-wise only up to ONE_BY_ONE_MAX elements.
Every difference is allowed the tolerance plus its own round-off (tolerances.py).
"""
import itertools
from dataclasses import dataclass

import numpy as np

from .._spec import tolerances
from .compare import compare
from .draws import Draws
from .finite_diff import central
from .run import copied, forward, plain, scalar, spare_layer
from .stacked import StackedInputs
from .triage import TOGETHER
from .strategies import freeze_randomness
from .._spec.tolerances import Tolerance

DIRECTIONS = 2
SAMPLED = 2  # random elements per stacked input, besides the directions
ELEMENTWISE_MAX = 64  # stacked inputs: every element up to this many
ONE_BY_ONE_MAX = 2 * DIRECTIONS  # one forward pair per element: at most twice the directions' calls


@dataclass
class _Target:
    what: str  # "input x", "param W"
    analytic: object
    array: np.ndarray  # what is perturbed: an args copy or a params entry of the layer used
    stacked: str = ""  # the input's name when it is perturbed in stacked calls
    directions: object = None
    elements: object = ()

    def analytic_values(self):
        analytic = np.asarray(self.analytic)
        if self.directions is None:
            return analytic
        flat = analytic.ravel()
        return np.concatenate([self.directions.reshape(len(self.directions), flat.size) @ flat, flat[self.elements]])

    def shaped(self, values):
        return values.reshape(self.array.shape) if self.directions is None else values


def finite_difference_results(example, every_element=False):
    """(one Comparison per differentiable input and parameter, the layer and args perturbed).

    The tensors checked together (_checked_together) take DIRECTIONS random sign
    directions over all of their elements at once, so that the default check costs the
    same few forward calls however many tensors a layer has. Only if that disagrees is
    each tensor checked on its own (and then every element of what disagrees), so a
    failure is still localised; if none disagrees alone, every element of each of them is
    differenced, and if even that agrees the joint disagreement stays the result."""
    spec = example.spec
    layer, args = example.fresh_layer(), copied(example.args)
    base, analytic_inputs, analytic_params = plain(example)
    stacked = _stacked(example, args, base)
    targets = ([_Target(f"input {k}", analytic_inputs[k], args[k], k if stacked else "") for k in spec.wrt]
               + [_Target(f"param {k}", analytic_params[k], layer.params[k]) for k in layer.params])
    draws, chosen = Draws(example.seed), tolerances.precision(spec)
    one_by_one = OneByOne(lambda: scalar(example, forward(example, layer, args)),  # copies: a layer
                          float(np.sum(np.abs(example.upstream * base))), chosen)  # writing to x spoils no difference
    together = [] if every_element else _checked_together(targets)
    joint = _joint_comparison(example, together, one_by_one, draws) if together else None
    separate = targets if joint is None or not joint.ok else [t for t in targets if t not in together]
    _plan(separate, draws, every_element)
    results = _compare_all(example, separate, stacked, one_by_one)
    failed = [t for t, c in zip(separate, results) if not c.ok and t.directions is not None]
    for target in failed:  # name the element: every element of what disagreed
        target.directions, target.elements = None, np.arange(target.array.size)
    if joint is not None and not joint.ok and not any(not c.ok for t, c in zip(separate, results) if t in together):
        # errors that cancel in each tensor's own directions (two elements of opposite sign)
        cancelled = [t for t in together if t.directions is not None]
        for target in cancelled:
            target.directions, target.elements = None, np.arange(target.array.size)
        failed += cancelled
    if failed:
        redone = dict(zip(map(id, failed), _compare_all(example, failed, stacked, one_by_one)))
        results = [redone.get(id(t), c) for t, c in zip(separate, results)]
    if joint is not None and (joint.ok or all(c.ok for c in results)):
        results.insert(targets.index(together[0]), joint)  # passed, or no element alone disagrees
    return results, layer, args


def _checked_together(targets):
    """The tensors the joint directions cover: those perturbed by forward pairs whose
    gradient has its shape, when there are two or more with more elements than
    ONE_BY_ONE_MAX (else each keeps its own check: a lone tiny parameter every element),
    and then also every stacked input: the joint directions cost it nothing more, while
    the stacked call would cost a forward call and its rows (docs/decisions.md). The
    stacked call is then made only where the joint directions disagree, to name the
    element of an input."""
    pairs = [t for t in targets if not t.stacked and np.shape(t.analytic) == t.array.shape]
    if len(pairs) < 2 or sum(t.array.size for t in pairs) <= ONE_BY_ONE_MAX:
        return []  # a lone or tiny tensor keeps its own check (element by element up to 4)
    return [t for t in targets if np.shape(t.analytic) == t.array.shape]  # in the targets' order


def _joint_comparison(example, together, one_by_one, draws):
    """DIRECTIONS sign directions over the elements of `together` at once, every element
    +-1/sqrt(n) of all n: a wrong element shows as its error over sqrt(n)."""
    sizes = [t.array.size for t in together]
    n = sum(sizes)
    signs = draws.signs(DIRECTIONS * n, n ** -0.5).reshape(DIRECTIONS, n)
    bounds = list(itertools.accumulate(sizes, initial=0))
    parts = [signs[:, a:b].reshape(DIRECTIONS, *t.array.shape) for t, a, b in zip(together, bounds, bounds[1:])]
    analytic = signs @ np.concatenate([np.ravel(t.analytic) for t in together])
    numeric, roundoff = one_by_one.jointly([t.array for t in together], parts)
    tolerance = one_by_one.precision.finite_differences
    what = ", ".join(t.what for t in together) + TOGETHER
    return compare("finite differences", example.spec.name, what, analytic, numeric,
                   Tolerance(tolerance.atol, tolerance.rtol, roundoff))


def _plan(targets, draws, every_element):
    """Directions (and sampled elements) for each large tensor, else every element; the
    signs of all the directions come from one draw."""
    large = []
    for t in targets:
        n, limit = t.array.size, ELEMENTWISE_MAX if t.stacked else ONE_BY_ONE_MAX
        if every_element or np.shape(t.analytic) != t.array.shape or n <= limit:
            t.directions, t.elements = None, np.arange(n)
        else:
            large.append(t)
    if not large:
        return
    signs = draws.signs(DIRECTIONS * sum(t.array.size for t in large))
    start = 0
    for t in large:
        n = t.array.size
        t.directions = (signs[start:start + DIRECTIONS * n] * n ** -0.5).reshape(DIRECTIONS, *t.array.shape)  # +-1/sqrt(n)
        t.elements = draws.sample(n, SAMPLED) if t.stacked else np.arange(0)
        start += DIRECTIONS * n


def _compare_all(example, targets, stacked, one_by_one):
    together = [t for t in targets if t.stacked]
    found = stacked.differences([(t.stacked, t.directions, t.elements) for t in together]) if together else []
    if found is None:  # the stacked call did not reproduce the output: one forward pair each
        for t in together:
            t.stacked = ""
        found, together = [], []
    numeric = dict(zip(map(id, together), found))
    tolerance = one_by_one.precision.finite_differences
    results = []
    for t in targets:
        values, roundoff = numeric[id(t)] if t.stacked else one_by_one(t.array, t.directions, t.elements)
        results.append(compare("finite differences", example.spec.name, t.what, t.analytic_values(),
                               t.shaped(values), Tolerance(tolerance.atol, tolerance.rtol, t.shaped(roundoff))))
    return results


class OneByOne:
    """One pair of forward calls per direction or element, perturbing `array` in place."""

    def __init__(self, loss, scale, precision=tolerances.FLOAT64):
        self.loss, self.scale = loss, scale  # scale = sum|G * out|, for the round-off
        self.precision = precision

    def jointly(self, arrays, directions):
        """Central differences along directions that move every array at once (directions[i]
        of shape (DIRECTIONS, *arrays[i].shape)): (numeric values, round-off allowance)."""
        step, eps = self.precision.step, self.precision.eps
        originals = [a.copy() for a in arrays]
        steps = [step * d for d in directions]
        numeric = []
        for k in range(len(directions[0])):
            for array, original, d in zip(arrays, originals, steps):
                np.add(original, d[k], out=array)
            plus = self.loss()
            for array, original, d in zip(arrays, originals, steps):
                np.subtract(original, d[k], out=array)
            numeric.append((plus - self.loss()) / (2.0 * step))
        for array, original in zip(arrays, originals):
            array[...] = original
        return np.asarray(numeric), np.full(len(numeric), 2.0 * eps * self.scale / (2.0 * step))

    def __call__(self, array, directions, elements):
        step, eps = self.precision.step, self.precision.eps
        numeric, denominators = [], []
        original = array.copy()
        for v in [] if directions is None else step * directions:
            np.add(original, v, out=array)
            plus = self.loss()
            np.subtract(original, v, out=array)
            numeric.append((plus - self.loss()) / (2.0 * step))
            denominators.append(2.0 * step)
        array[...] = original
        for i in elements:
            derivative, taken = central(self.loss, array, np.unravel_index(i, array.shape), step)
            numeric.append(derivative)
            denominators.append(taken)
        return np.asarray(numeric), 2.0 * eps * self.scale / np.asarray(denominators)


def _stacked(example, args, base):
    spec = example.spec
    if not spec.independent_samples or spec.loss or not spec.wrt:
        return None
    if any(np.ndim(v) < len(spec.inputs[k].dims) for k, v in args.items()):
        return None  # an element-wise layer drawn at rank 1: no batch axis
    # A layer of its own: a stacked call must not touch the layer the other differences use,
    # nor what a layer wrapped by an adapter holds (a cache or a state sized by the larger
    # batch). The one run.plain ran is done with.
    own = spare_layer(example)

    def call(**stacked):
        freeze_randomness(own, example.seed)
        return own.forward(**stacked)

    if not StackedInputs.applies(args, base):
        return None
    return StackedInputs(call, args, example.upstream, base, tolerances.precision(spec))
