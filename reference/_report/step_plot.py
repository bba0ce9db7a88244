"""`python -m reference --plot DIR`: the finite-difference error against the step size.

For one drawn example per layer, the largest |analytic - numeric| over every input and
parameter is computed for steps from 1e-1 down to 1e-12 and plotted log-log: on the
right (large steps) the truncation error falls as h^2, on the left (small steps) the
round-off error grows as eps*|L|/h; the chosen step (tolerances.STEP) should sit near the
bottom of the V, and the tolerance line well above it. matplotlib is an optional extra.
"""
import copy
import os

import numpy as np

from .._spec import tolerances
from .._engine.finite_diff import numeric_gradient
from .._engine.run import forward, forward_backward, scalar
from .._engine.strategies import drawn_examples, nontrivial

STEPS = np.logspace(-1, -12, 23)
INSTALL = "plotting needs matplotlib: pip install -e '.[plot]' (or pip install matplotlib)"


def error_by_step(example, steps=STEPS):
    """max |analytic - numeric| over every input and parameter, for each step."""
    spec = example.spec
    _, analytic_inputs, analytic_params = forward_backward(example)
    layer, args = example.fresh_layer(), copy.deepcopy(example.args)

    def loss():
        return scalar(example, forward(example, layer, args))

    targets = ([(analytic_inputs[k], args[k]) for k in spec.wrt]
               + [(analytic_params[k], layer.params[k]) for k in layer.params])
    return np.array([max(float(np.max(np.abs(a - numeric_gradient(loss, x, step)), initial=0.0))
                         for a, x in targets) for step in steps])


def draw_example(spec, seed_value, n_examples=20):
    """Of the first examples hypothesis draws, the one with the most non-trivial values."""
    return max(drawn_examples(spec, seed_value, n_examples), key=nontrivial)


def plot_layer(Figure, spec, directory, seed_value=0):
    example = draw_example(spec, seed_value)
    with np.errstate(all="ignore"):
        errors = error_by_step(example)
    tolerance = spec.tolerance or tolerances.FINITE_DIFFERENCES
    figure = Figure(figsize=(6.4, 4.4))
    # fixed margins fit the labels at this size; tight_layout's measuring costs 0.3 s a plot
    figure.subplots_adjust(left=0.12, right=0.97, bottom=0.11, top=0.93)
    axes = figure.subplots()
    axes.loglog(STEPS, np.maximum(errors, 1e-17), "o-", label="max |analytic - numeric|")
    axes.axvline(tolerances.STEP, color="tab:green", linestyle="--", label=f"chosen step {tolerances.STEP:g}")
    axes.axhline(tolerance.atol, color="tab:red", linestyle=":", label=f"atol {tolerance.atol:g}")
    axes.set_xlabel("finite-difference step h")
    axes.set_ylabel("largest error over all inputs and parameters")
    sizes = ", ".join(f"{k}={v}" for k, v in example.config.items() if k not in ("rng", "seed"))
    axes.set_title(f"{spec.name} ({sizes})", fontsize=9)
    axes.text(0.98, 0.94, "truncation ~ h^2", transform=axes.transAxes, ha="right", va="top", fontsize=8)
    axes.text(0.02, 0.94, "round-off ~ eps|L|/h", transform=axes.transAxes, ha="left", va="top", fontsize=8)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=8, loc="upper center")  # the V is high at both ends, low in the middle
    path = os.path.join(directory, f"{spec.name}.png")
    figure.savefig(path, dpi=100)
    return path


def plot_all(specs, directory, seed_value=0):
    """Write one PNG per spec; returns (paths, error message or "")."""
    try:
        import matplotlib
        import matplotlib.figure  # no pyplot: no GUI backend, no global figures
    except ImportError:
        return [], INSTALL
    os.makedirs(directory, exist_ok=True)
    return [plot_layer(matplotlib.figure.Figure, spec, directory, seed_value) for spec in specs], ""
