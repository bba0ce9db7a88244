"""The generic checks. Each takes an Example and returns a list of Comparisons.

finite differences: backward(G) against central differences of L = sum(G * forward).
torch: forward output and every gradient against the PyTorch twin, on the drawn inputs and
  on inputs moved onto their declared kinks and ties (the conventions where no derivative is).
contract: the layer contract of DESIGN.md, rule by rule.
"""
import copy
import dataclasses
import types
from dataclasses import dataclass
from typing import Callable

import numpy as np
from hypothesis import reject

from .._spec import tolerances
from .._spec.spec import Floats
from .bad_input import rejects_bad_input
from .compare import compare, rule
from .crash import raised
from .fd_check import finite_difference_results
from .run import backward, compared, copied, forward, forward_backward, gradients, once, plain
from .strategies import at_kinks_and_ties, freeze_randomness
from .triage import AT_KINKS, is_artefact


@dataclass(frozen=True)
class Check:
    name: str
    kind: str  # "finite differences", "torch" or "contract"
    run: Callable
    applies: Callable = lambda spec: True

    def __str__(self):
        return self.name

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.name)  # keeps hypothesis reports short


def finite_differences(example, every_element=False):
    """See fd_check.py for what is perturbed and how much disagreement is allowed."""
    results, layer, args = finite_difference_results(example, every_element)
    if all(c.ok for c in results):
        return results
    found = _artefact(example, layer, args, results)
    if found == "state":  # the differences ran on a layer that remembers its last call
        return [dataclasses.replace(c, carried_state=True) for c in results]
    if found:
        return [dataclasses.replace(c, artefact=True) for c in results]  # redrawn by run_checks
    return results


def every_element_checks():
    """CHECKS with finite differences of every element (no directions)."""
    exhaustive = Check("finite_differences", "finite differences",
                       lambda example: finite_differences(example, every_element=True))
    return tuple(exhaustive if check.name == "finite_differences" else check for check in CHECKS)


def _artefact(example, used, args, results):
    """Finite differences alone disagree, PyTorch agreeing with the layer's output and
    gradients: "artefact" if every value is finite and the layer used for the differences
    still computes what a fresh one does; "state" if it computes something else (it keeps
    state between calls, which spoils its own differences: not an artefact); else None."""
    if example.spec.twin is None or not is_artefact(results + torch_twin(example)):
        return None
    again, fresh = np.asarray(forward(example, used, args)), np.asarray(forward(example, example.fresh_layer(), args))
    if again.shape != fresh.shape or not np.array_equal(again, fresh, equal_nan=True):
        return "state"
    return "artefact" if np.all(np.isfinite(again)) else None


def torch_twin(example):
    return _against_twin(example, example.args)


def kinks_and_ties(example):
    """Where the derivative is not defined, the layer follows PyTorch's convention: output and
    gradients against the twin with the inputs exactly at their declared kinks (ReLU's 0 and
    -0) and, for an input declared distinct (a maximum over it), tied. Finite differences
    cannot judge these points, so every other check draws values away from them."""
    spec = example.spec
    rng = np.random.default_rng([example.seed, 6])
    args = {k: at_kinks_and_ties(spec.inputs[k], v, rng) if _has_kinks(spec.inputs[k]) else v
            for k, v in example.args.items()}
    return _against_twin(example, args, AT_KINKS)


def _has_kinks(decl):
    return isinstance(decl, Floats) and decl.differentiable and bool(decl.kinks or decl.distinct)


def _against_twin(example, args, label=""):
    from .torch_twin import run_twin  # torch is imported only when a twin runs

    spec, name = example.spec, example.spec.name
    out, inputs, params = plain(example) if args is example.args else forward_backward(example, args=args)
    t_out, t_inputs, t_params = run_twin(spec.twin, example.config, example.layer.params, args, spec.wrt,
                                         example.upstream)
    sides, tolerance = ("scratch", "torch"), tolerances.precision(spec).torch
    results = [compare("torch", name, f"output{label}", np.asarray(out), t_out, tolerance, sides)]
    results += [compare("torch", name, f"input {k}{label}", inputs[k], t_inputs[k], tolerance, sides)
                for k in spec.wrt]
    results += [compare("torch", name, f"param {k}{label}", params.get(k), t_params[k], tolerance, sides)
                for k in t_params]
    return results


def _one_call(example):
    """One forward and one backward of a fresh layer, on copies of the arguments and of G,
    with the params before and what the call left behind: what types_and_shapes,
    arguments_unchanged and params_unchanged_by_backward each read their rules from, run
    once per example (run.once). What forward and backward raised is kept apart: a loss's
    arguments_unchanged needs no backward."""
    def run():
        call = types.SimpleNamespace(forward_error=None, backward_error=None)
        try:
            call.layer, call.given = example.fresh_layer(), copy.deepcopy(example.args)
            call.before = copy.deepcopy(call.layer.params)
            freeze_randomness(call.layer, example.seed)
            call.out = call.layer.forward(**call.given)
            # what forward left of its arguments, before backward can touch them
            call.unchanged = {k: np.array_equal(v, example.args[k]) for k, v in call.given.items()}
        except Exception as exc:  # noqa: BLE001 - re-raised by every check that asks (_called)
            call.forward_error = exc
            return call
        try:
            call.dout = example.upstream.copy()
            call.inputs = backward(example, call.layer, call.dout, copy=False)
        except Exception as exc:  # noqa: BLE001 - re-raised by every check that needs backward
            call.backward_error = exc
        return call
    return once(example, "one call", run)


def _called(example, through_backward=True):
    """_one_call(example), raising what the layer raised in the part the caller reads."""
    call = _one_call(example)
    error = call.forward_error or (call.backward_error if through_backward else None)
    if error is not None:
        raise error
    return call


def types_and_shapes(example):
    """grads has the keys of params, each with its shape and dtype; float64 in gives float64
    out for the output and every gradient (float32 too, for a spec of dtype float32)."""
    name, call = example.spec.name, _called(example)
    layer, allowed = call.layer, _DTYPES[example.spec.dtype]
    results = [rule("contract", name, "grads keys", set(layer.grads) == set(layer.params),
                    f"grads has {sorted(layer.grads)}, params has {sorted(layer.params)}")]
    for key, value in layer.params.items():
        grad = layer.grads.get(key)
        dtypes = (value.dtype, *allowed)
        ok = isinstance(grad, np.ndarray) and grad.shape == value.shape and grad.dtype in dtypes
        results.append(rule("contract", name, f"grads[{key!r}]", ok,
                            f"expected an array of shape {value.shape} and dtype "
                            f"{' or '.join(dict.fromkeys(map(str, dtypes)))}, got {_describe(grad)}"))
    produced = {"output": np.asarray(call.out), **{f"input {k}": g for k, g in call.inputs.items()}}
    results += [rule("contract", name, f"dtype of {what}",
                     isinstance(value, np.ndarray) and value.dtype in allowed,
                     f"expected {' or '.join(map(str, allowed))}, got {_describe(value)}")
                for what, value in produced.items()]
    return results


_DTYPES = {"float64": (np.dtype(np.float64),), "float32": (np.dtype(np.float64), np.dtype(np.float32))}


def arguments_unchanged(example):
    """forward does not modify its inputs, backward does not modify dout."""
    name, call = example.spec.name, _called(example, through_backward=not example.spec.loss)
    results = [rule("contract", name, f"input {k} after forward", same, "forward modified its argument in place")
               for k, same in call.unchanged.items()]
    if not example.spec.loss:
        results.append(rule("contract", name, "dout after backward", np.array_equal(call.dout, example.upstream),
                            "backward modified dout in place"))
    return results


def params_unchanged_by_backward(example):
    """No optimizer step, clipping or other write to params inside forward or backward."""
    name, call = example.spec.name, _called(example)
    return [rule("contract", name, f"param {k} after forward and backward",
                 np.array_equal(call.layer.params[k], call.before[k]),
                 "params changed (an optimizer step, clipping or decay inside the layer?)")
            for k in call.before]


def stateless(example):
    """A forward/backward on another input, after one on this input, agrees with a fresh
    layer's; a second one on this input, after that, agrees with the first.

    Catches hidden state carried between calls (an RNN that continues from its last h, a
    cache that only the first call fills) and gradients accumulated across calls.
    """
    spec = example.spec
    layer = example.fresh_layer()
    params = copy.deepcopy(layer.params)

    def call(args):
        for key, value in params.items():  # a changed param is params_unchanged_by_backward's finding
            layer.params[key][...] = value
        return forward_backward(example, layer, args)

    first = call(example.args)
    other_args = {k: (v * 0.5 + 0.25 if k in spec.wrt else v) for k, v in example.args.items()}
    results = _same_results(example, forward_backward(example, args=other_args), call(other_args),
                            "another input after this one", sides=("fresh layer", "after a call"))
    return results + _same_results(example, first, call(example.args), "second call")


def backward_twice(example):
    """On one forward, backward(G) twice gives the same gradients, and a backward(G2) between
    them changes neither: backward must not edit what forward cached (torch.autograd.gradcheck's
    "Backward is not reentrant"). A loss's backward() takes no G: it is called twice."""
    layer = example.fresh_layer()
    forward(example, layer, example.args)
    first = (None, *gradients(example, layer))
    results = _same_results(example, first, (None, *gradients(example, layer)), "second backward",
                            sides=("first backward", "second backward"))
    if not example.spec.loss:
        other = np.random.default_rng([example.seed, 5]).standard_normal(example.upstream.shape)
        backward(example, layer, other)
        results += _same_results(example, first, (None, *gradients(example, layer)), "backward after another G",
                                 sides=("first backward", "backward(G) after backward(G2)"))
    return results


def output_owned(example):
    """The caller owns the arrays it passes and gets: writing to forward's output or to its
    inputs after the call leaves what backward gives unchanged. `h = act.forward(x); h += b`
    is common, and so is reusing an input buffer; a layer that keeps either as its cache
    (rather than a copy) gives the wrong gradients after such a write."""
    _, inputs, params = plain(example)
    layer = example.fresh_layer()
    freeze_randomness(layer, example.seed)
    args = copied(example.args)
    out = layer.forward(**args)
    for value in (out, *args.values()):
        if isinstance(value, np.ndarray) and value.flags.writeable:
            value[...] = np.pi if value.dtype.kind == "f" else 0
    written = (None, *compared(example, backward(example, layer), {k: layer.grads.get(k) for k in params}))
    return _same_results(example, (None, inputs, params), written, "output and inputs written to",
                         sides=("untouched arrays", "after writing to output and inputs"))


def linear_in_upstream(example):
    """backward(a*G1 + b*G2) == a*backward(G1) + b*backward(G2), for every gradient.

    a*G1 + b*G2 is far larger than the G of the other checks, so that clipping or any
    other non-linearity in G inside a layer (which the contract forbids) shows.
    """
    g1, g2 = example.upstream, np.random.default_rng([example.seed, 2]).standard_normal(example.upstream.shape)
    a, b = 2.0, -50.0
    _, i1, p1 = plain(example)  # backward(G1) with G1 the example's G: run once for several checks
    _, i2, p2 = forward_backward(example, upstream=g2)
    out, i12, p12 = forward_backward(example, upstream=a * g1 + b * g2)
    combined = (out, {k: a * i1[k] + b * i2[k] for k in i1}, {k: a * p1[k] + b * p2[k] for k in p1})
    return _same_results(example, combined, (out, i12, p12), "backward(a*G1 + b*G2)",
                         sides=("a*backward(G1) + b*backward(G2)", "backward(a*G1 + b*G2)"))


def _same_results(example, expected, actual, label, sides=("first call", "second call")):
    """Contract comparisons of two (output, input grads, param grads); output None: not compared."""
    (out_e, inputs_e, params_e), (out_a, inputs_a, params_a) = expected, actual
    name, tolerance = example.spec.name, tolerances.precision(example.spec).contract
    results = [] if out_e is None else [compare("contract", name, f"output ({label})", np.asarray(out_a),
                                                 np.asarray(out_e), tolerance, sides[::-1])]
    results += [compare("contract", name, f"input {k} ({label})", inputs_a[k], inputs_e[k], tolerance,
                        sides[::-1]) for k in inputs_e]
    results += [compare("contract", name, f"param {k} ({label})", params_a[k], params_e[k], tolerance,
                        sides[::-1]) for k in params_e]
    return results


def run_checks(example, checks=None, first_failure=False, redraw=True):
    """Run every applicable check; an exception inside one becomes a failed Comparison, and an
    example that could not be built is its failure alone. The example is redrawn (reject)
    when its only failures are finite-difference artefacts: decided after every check has
    run, so that an artefact never hides another failure.

    first_failure: only whether the example fails is wanted (the search for a smaller
    failure). The checks then stop at the first failure that is not an artefact, with the
    finite differences last: they cost the most, and a failure elsewhere decides without
    them, while their artefacts can only be redrawn once every other check has passed. The
    example fails, passes or is redrawn exactly as with every check run; only the results
    returned are partial. redraw=False: the results are returned, artefacts or not (outside
    a hypothesis test, where there is nothing to redraw)."""
    if example.failure is not None:  # the example could not be built: nothing to check
        return [example.failure]
    checks = CHECKS if checks is None else checks
    if first_failure:
        checks = sorted(checks, key=lambda check: check.kind == "finite differences")  # stable
    results = []
    for check in checks:
        if not check.applies(example.spec):
            continue
        try:
            found = check.run(example)
        except Exception as exc:  # noqa: BLE001 - a crash is a finding to report, not to hide
            found = [rule(check.kind, example.spec.name, check.name, False, raised(exc))]
        results += [c.made_by(check.name) for c in found]
        if first_failure and any(not c.ok and not c.artefact for c in results):
            return results
    failures = [c for c in results if not c.ok]
    if redraw and failures and all(c.artefact for c in failures):
        reject()  # finite differences alone disagree (a kink, round-off): redraw, don't blame the layer
    return results


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    return type(value).__name__


CHECKS = (
    Check("finite_differences", "finite differences", finite_differences),
    Check("torch_twin", "torch", torch_twin, applies=lambda spec: spec.twin is not None),
    Check("kinks_and_ties", "torch", kinks_and_ties,
          applies=lambda spec: spec.twin is not None and any(map(_has_kinks, spec.inputs.values()))),
    Check("types_and_shapes", "contract", types_and_shapes),
    Check("arguments_unchanged", "contract", arguments_unchanged),
    Check("params_unchanged_by_backward", "contract", params_unchanged_by_backward),
    Check("stateless", "contract", stateless),
    Check("backward_twice", "contract", backward_twice),
    Check("linear_in_upstream", "contract", linear_in_upstream, applies=lambda spec: not spec.loss),
    Check("output_owned", "contract", output_owned),
    Check("rejects_bad_input", "contract", rejects_bad_input),
)
