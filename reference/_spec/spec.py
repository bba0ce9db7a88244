"""The spec: everything the generic checks need to know about one layer, declared once.

Shapes are written with symbolic dimension names ("batch", "n_in"); hypothesis draws a
size for each name (see strategies.py), so one spec covers every shape it can take.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .tolerances import Tolerance


@dataclass(frozen=True)
class Floats:
    """A differentiable float64 input. Values are drawn uniformly in [low, high].

    kinks: points where the layer is not differentiable; drawn values are moved at
      least KINK_MARGIN away from them so that finite differences never straddle one,
      and the kinks_and_ties check puts values exactly on them (0 and -0 for a kink at 0)
      to compare the layer's convention there with the twin's.
    row_offsets: if given, each row (all axes but the last) is shifted by one of these,
      so that rows on very different scales occur (this is what exposes a softmax
      that subtracts one global maximum instead of each row's).
    extremes: if given, about half the elements are drawn from these instead, so that
      one row holds values far apart (what makes log(softmax(x)) hit log(0)).
    any_shape: element-wise layers accept any shape; wrong-rank input is then not an error.
      The drawn ranks are 1 (the last dimension alone), len(dims), and len(dims) + 1.
    min_rank: with any_shape, ranks below this are not drawn (Flatten needs a batch axis).
    distinct: all values at least KINK_MARGIN apart, so that no two tie: a maximum has a
      kink wherever two candidates tie, and finite differences must not straddle it. It
      declares the ties: the kinks_and_ties check rounds the values to three levels, so
      that maxima tie, and compares the layer's convention with the twin's.
    """

    dims: tuple
    low: float = -1.0
    high: float = 1.0
    kinks: tuple = ()
    row_offsets: tuple = ()
    extremes: tuple = ()
    any_shape: bool = False
    min_rank: int = 1
    distinct: bool = False
    differentiable = True


@dataclass(frozen=True)
class FloatTargets(Floats):
    """Float values drawn like Floats, but not differentiated: a regression loss's targets.

    A loss's backward() returns the gradient of its scores only, so its targets must not
    count as an input to check against finite differences or the twin's gradient.
    """

    differentiable = False


@dataclass(frozen=True)
class Labels:
    """Integer class labels in [0, classes), not differentiable. dims e.g. ("batch",)."""

    dims: tuple
    classes: str
    differentiable = False


@dataclass(frozen=True)
class OneHot:
    """One-hot rows of shape dims, e.g. ("batch", "n_classes"), not differentiable.

    soft=True: rows of probabilities instead (non-negative, summing to 1; some one-hot, some
    with exact zeros), the targets of label smoothing and distillation.
    """

    dims: tuple
    soft: bool = False
    differentiable = False


@dataclass(frozen=True)
class Spec:
    """One layer under test.

    name: the test id and the row in `python -m reference`.
    cls: the layer's class.
    build: config -> layer. `config` maps every dimension name to its drawn size, every
      name in `draws` to its drawn value, "seed" to the example's seed and "rng" to a
      np.random.Generator seeded with it. Left out, the layer is built as
      cls(*sizes of layer_dims), e.g. FC(n_in, n_out); cls() when there are none.
    inputs: forward's keyword arguments, in order; backward returns the gradient of the
      first differentiable one, other gradients are in `layer.dinputs`. A layer with no
      differentiable input (Embedding's integer indices) must have parameters; its
      backward returns None and only the parameters' gradients are checked.
    layer_dims: dimension names the layer is built with (they must match its inputs).
    twin: the PyTorch twin (a Twin), or None if PyTorch has no equivalent.
    draws: extra hyperparameters for `build`, as hypothesis strategies.
    assume: config -> bool, for sizes and draws that must agree (a window no larger than
      the padded input, so that a convolution's output is not empty); configs for which
      it is false are not drawn. Every dimension and draw is still drawn independently.
    tolerance: overrides the finite-difference tolerance; give `tolerance_reason`.
    loss: the layer is a loss, forward(...) -> float and backward() -> dscores.
    independent_samples: axis 0 of every input and of the output indexes samples that do
      not see each other (no batch statistics, no mask drawn per batch), so finite
      differences of the inputs can stack many perturbed samples into one forward call
      (verified on every example, with a fall-back to one call per element).
    dtype: "float64", or "float32" for a layer that computes in float32 whatever it is
      given (float32 buffers): its outputs and gradients may be float32, and it is judged
      at float32 precision (tolerances.py), a coarser check.
    outputs: for a layer whose forward returns several arrays (an LSTM cell's (h, c)), their
      names; backward then takes one upstream per output, in that order. The checks see the
      outputs side by side on the last axis (reference/_engine/outputs.py). The rejection of
      a bad upstream is not checked for such a layer.
    """

    name: str
    cls: type
    build: Optional[Callable[[Mapping[str, Any]], Any]] = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    layer_dims: tuple = ()
    twin: Optional[Any] = None
    draws: Mapping[str, Any] = field(default_factory=dict)
    assume: Optional[Callable[[Mapping[str, Any]], bool]] = None
    tolerance: Optional[Tolerance] = None
    tolerance_reason: str = ""
    loss: bool = False
    independent_samples: bool = False
    dtype: str = "float64"
    outputs: tuple = ()

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"Spec: name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.cls, type):
            raise TypeError(f"Spec {self.name}: cls must be the layer's class, got {type(self.cls).__name__}")
        if self.build is not None and not callable(self.build):
            raise TypeError(f"Spec {self.name}: build must be a function of config, got {type(self.build).__name__}")
        if not isinstance(self.inputs, Mapping) or not self.inputs:
            raise ValueError(f"Spec {self.name}: inputs must map forward's argument names to declarations "
                             f"(Floats, FloatTargets, Labels, OneHot), got {self.inputs!r}")
        bad = [k for k, v in self.inputs.items() if not isinstance(v, (Floats, Labels, OneHot))]
        if bad:
            raise TypeError(f"Spec {self.name}: inputs {bad} must be Floats, FloatTargets, Labels or OneHot")
        if self.dtype not in ("float64", "float32"):
            raise ValueError(f"Spec {self.name}: dtype must be 'float64' or 'float32', got {self.dtype!r}")
        if self.outputs and (not isinstance(self.outputs, tuple) or len(self.outputs) < 2
                             or not all(isinstance(k, str) and k for k in self.outputs)):
            raise ValueError(f"Spec {self.name}: outputs must name each of forward's outputs, two or more "
                             f"(('h', 'c')), got {self.outputs!r}")
        if self.tolerance is not None and not self.tolerance_reason:
            raise ValueError(f"spec {self.name}: a tolerance override needs a tolerance_reason")
        if self.build is None:
            object.__setattr__(self, "build", _default_build(self.cls, tuple(self.layer_dims)))

    def __str__(self):
        return self.name

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.name)  # keeps hypothesis reports short

    @property
    def wrt(self):
        """Names of the differentiable inputs, the returned one first."""
        return tuple(name for name, decl in self.inputs.items() if decl.differentiable)

    @property
    def dim_names(self):
        names = list(self.layer_dims)
        for decl in self.inputs.values():
            names += [d for d in decl.dims if isinstance(d, str)]
            names += [getattr(decl, "classes", None)] if isinstance(decl, Labels) else []
        return tuple(dict.fromkeys(names))


def _default_build(cls, dims):
    """config -> cls(*the sizes of dims), the build of a spec that gives none."""
    def build(config):
        return cls(*(config[d] for d in dims))
    build.__qualname__ = f"{cls.__name__}({', '.join(dims)})"
    return build
