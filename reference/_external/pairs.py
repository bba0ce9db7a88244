"""A forward/backward function pair seen as a layer class (internal).

CS231n's assignments write layers as two functions:
    rnn_forward(x, h0, Wx, Wh, b) -> (h, cache)
    rnn_backward(dh, cache) -> (dx, dh0, dWx, dWh, db)
`pair_class` turns such a pair into a class in this project's layer contract, which the
adapter then checks like any other (adapters.py). Binding, from the spec:
  - forward's arguments named after a spec parameter (Wx is W_x, b is B; holders.same_name)
    are the weights, passed by name; its other arguments without a default are the inputs,
    in the spec's order (x, h0); arguments with a default keep it;
  - backward is called as backward(dout, cache) with the cache forward returned;
  - backward's results, by position: the gradients of the inputs first (forward's order),
    then those of the weights (forward's order); a backward that returns only the weights'
    gradients (an input of integer ids) is understood too.
"""
import inspect

import numpy as np

from .construction import CannotAdapt
from .holders import same_name


def _arguments(fn):
    return [p for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def binding(forward_fn, param_names, input_names):
    """(weights [(forward's name, spec param)], inputs [(forward's name, spec input)]);
    CannotAdapt if a spec parameter has no argument or an argument cannot be filled."""
    weights, inputs = [], []
    for arg in _arguments(forward_fn):
        param = next((p for p in param_names if same_name(arg.name, p)), None)
        if param is not None:
            weights.append((arg.name, param))
        elif arg.default is arg.empty:
            inputs.append(arg.name)
    missing = [p for p in param_names if p not in dict(weights).values()]
    own = f"{forward_fn.__name__}({', '.join(a.name for a in _arguments(forward_fn))})"
    if missing:
        raise CannotAdapt(f"{own} takes no argument for the parameter {', '.join(missing)} (looked for "
                          f"{'; '.join(', '.join(dict.fromkeys([p, p.lower(), p.replace('_', '')])) for p in missing)})")
    if len(inputs) > len(input_names):
        raise CannotAdapt(f"{own}: {', '.join(inputs)} are not weights, and the spec passes only "
                          f"{', '.join(input_names)}")
    return weights, list(zip(inputs, input_names))


def pair_class(forward_fn, backward_fn, param_names, input_names, wrt=None, outputs=()):
    """A class over the pair: __init__(<forward's weight arguments>), params and grads dicts
    keyed by the spec's names, forward(<forward's inputs>) and backward(dout). wrt: the
    differentiable inputs (backward returns their gradients, or none of them). outputs: the
    names of forward's outputs where it returns several (CS231n's lstm_step_forward returns
    (next_h, next_c, cache)); backward then takes one upstream each, then the cache."""
    weights, inputs = binding(forward_fn, param_names, input_names)
    differentiable = [(own, name) for own, name in inputs if wrt is None or name in wrt]
    owner = f"{forward_fn.__name__},{backward_fn.__name__}"
    n_outputs, returned = max(1, len(outputs)), ", ".join(outputs or ["out"])
    upstream = [f"d{k}" for k in outputs] or ["dout"]

    def __init__(self, *values):
        self.params = {param: np.asarray(value) for (_, param), value in zip(weights, values)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.dinputs, self._cache = {}, None

    def forward(self, *args, **named):  # the spec's input names, in its order
        given = {**dict(zip([name for _, name in inputs], args)), **named}
        result = forward_fn(**{own: given[name] for own, name in inputs},
                            **{own: self.params[param] for own, param in weights})
        if not (isinstance(result, tuple) and len(result) == n_outputs + 1):
            raise TypeError(f"{forward_fn.__name__} returned {_what(result)}, not ({returned}, cache)")
        *out, self._cache = result
        return out[0] if n_outputs == 1 else tuple(out)

    def backward(self, *dout):
        if self._cache is None:
            raise RuntimeError(f"{owner}: backward before forward (no cache)")
        result = backward_fn(*dout, self._cache)
        grads = list(result) if isinstance(result, (tuple, list)) else [result]
        n_inputs = len(grads) - len(weights)
        if n_inputs not in (0, len(differentiable)):
            expected = [f"d{own}" for own, _ in differentiable] + [f"d{own}" for own, _ in weights]
            raise ValueError(f"{backward_fn.__name__} returned {len(grads)} values; expected "
                             f"{len(expected)} ({', '.join(expected)}), or the weights' {len(weights)} alone")
        for (_, param), grad in zip(weights, grads[n_inputs:]):
            self.grads[param] = np.asarray(grad)
        self.dinputs = {name: grad for (_, name), grad in zip(inputs[1:n_inputs], grads[1:n_inputs])}
        return grads[0] if n_inputs else None

    signature = inspect.Signature
    arg = inspect.Parameter
    __init__.__signature__ = signature([arg("self", arg.POSITIONAL_ONLY)]
                                       + [arg(own, arg.POSITIONAL_ONLY) for own, _ in weights])
    forward.__signature__ = signature([arg("self", arg.POSITIONAL_ONLY)]
                                      + [arg(name, arg.POSITIONAL_OR_KEYWORD) for _, name in inputs])
    backward.__signature__ = signature([arg("self", arg.POSITIONAL_ONLY)]
                                       + [arg(name, arg.POSITIONAL_ONLY) for name in upstream])
    cls = type(owner, (), {"__init__": __init__, "forward": forward, "backward": backward,
                           "__doc__": f"{owner}: a function pair in the layer contract"})
    cls.__module__ = forward_fn.__module__
    return cls


def describe(forward_fn, backward_fn, param_names, input_names, wrt, outputs=()):
    """The notes saying how the pair was bound; wrt: the differentiable inputs."""
    weights, inputs = binding(forward_fn, param_names, input_names)
    fwd_args = ", ".join(a.name for a in _arguments(forward_fn))
    renamed = [f"{own} is {name}" for own, name in inputs + weights if own != name]
    grads = [f"d{name}" for _, name in inputs if name in wrt] + [f"d{param}" for _, param in weights]
    returned, upstream = ", ".join(outputs or ["out"]), ", ".join([f"d{k}" for k in outputs] or ["dout"])
    return [f"function pair: {returned}, cache = {forward_fn.__name__}({fwd_args}); "
            f"{', '.join(grads)} = {backward_fn.__name__}({upstream}, cache)",
            "bound by name (weights) and position (inputs, then the gradients: the inputs' first)"
            + (f": {', '.join(renamed)}" if renamed else "")]


def _what(value):
    return f"a tuple of {len(value)}" if isinstance(value, tuple) else type(value).__name__
