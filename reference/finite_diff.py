"""Central finite differences, NumPy only."""
import numpy as np

from .tolerances import STEP


def numeric_gradient(f, array, step=STEP):
    """d f() / d array, element by element, by central differences.

    f: a function of no arguments that returns a float and reads `array`.
    `array` is perturbed in place and restored exactly, so pass a copy you own.
    The divisor is the step actually taken ((x+h) - (x-h) in floating point), not 2h.
    """
    grad = np.empty(array.shape, dtype=np.float64)
    for index in np.ndindex(array.shape):
        grad[index] = _central(f, array, index, step)
    return grad


def numeric_elements(f, array, flat_indices, step=STEP):
    """Central differences for the given elements only (flat indices into `array`)."""
    return np.array([_central(f, array, np.unravel_index(i, array.shape), step) for i in flat_indices])


def _central(f, array, index, step):
    original = array[index]
    array[index] = original + step
    plus, up = f(), array[index]
    array[index] = original - step
    minus, down = f(), array[index]
    array[index] = original
    return (plus - minus) / (up - down)


def numeric_directional(f, array, direction, step=STEP):
    """(f(array + h v) - f(array - h v)) / 2h: the derivative of f along `direction` v.

    One pair of evaluations covers every element at once; a unit v keeps its round-off
    and truncation errors those of one element-wise difference.
    """
    original = array.copy()
    array += step * direction
    plus = f()
    array[...] = original - step * direction
    minus = f()
    array[...] = original
    return (plus - minus) / (2.0 * step)
