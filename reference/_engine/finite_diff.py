"""Central finite differences, NumPy only."""
import numpy as np

from .._spec.tolerances import STEP


def numeric_gradient(f, array, step=STEP):
    """d f() / d array, element by element, by central differences.

    f: a function of no arguments that returns a float and reads `array`.
    `array` is perturbed in place and restored exactly, so pass a copy you own.
    The divisor is the step actually taken ((x+h) - (x-h) in floating point), not 2h.
    """
    grad = np.empty(array.shape, dtype=np.float64)
    for index in np.ndindex(array.shape):
        grad[index], _ = central(f, array, index, step)
    return grad


def central(f, array, index, step=STEP):
    """(d f() / d array[index], the step taken): f at array[index] +- step, divided by the
    difference actually taken; array[index] is restored exactly."""
    original = array[index]
    array[index] = original + step
    plus, up = f(), array[index]
    array[index] = original - step
    minus, down = f(), array[index]
    array[index] = original
    return (plus - minus) / (up - down), up - down
