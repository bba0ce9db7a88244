"""The localised report of a failing example: for each finding of the triage
(reference/_engine/triage.py), the worst elements with the analytic, numeric and PyTorch
values side by side, the errors per time step, and a hint when the difference has a
known shape (hints.py)."""
import numpy as np

from .._engine.compare import matches
from .._engine.triage import BACKWARD, COARSE, CONVENTION, FORWARD, OUTPUT, TWIN_ONLY, sizes, triage
from .hints import errors_by_step, hint

WORST = 3  # elements listed per failing array


def localise(finding, results, example):
    """The finding's lines: worst elements with all three values, errors per time step, a hint."""
    fd = next((c for c in results if c.check == "finite differences" and c.what == finding.what), None)
    tw = next((c for c in results if c.check == "torch" and c.what == finding.what), None)
    analytic = fd.actual if fd is not None else (tw.actual if tw is not None else None)
    columns = [("analytic" if finding.what != "output" else "scratch", analytic)]
    if fd is not None:
        columns.append(("numeric", fd.expected))
    if tw is not None:
        columns.append(("torch", tw.expected))
    reference = columns[1][1] if finding.verdict not in (FORWARD, COARSE) or tw is None else tw.expected
    arrays = [np.asarray(v) for _, v in columns if v is not None]
    if len(arrays) < 2 or any(x.shape != arrays[0].shape for x in arrays):
        return [f"{name}: shape {np.shape(v)}" for name, v in columns]
    axes = axis_names(finding.what, example, arrays[0].ndim)
    judged = tw if finding.verdict in (COARSE, CONVENTION, FORWARD, OUTPUT, TWIN_ONLY) or fd is None else fd
    lines = _worst_elements(columns, reference, axes, judged.tolerance)
    steps = errors_by_step(analytic, reference, axes)
    if steps is not None:
        lines.append("max |error| by time step: " + ", ".join(f"t={t}: {e:.2g}" for t, e in enumerate(steps)))
    found = hint(analytic, reference, axes, sizes(example))
    if found:
        lines.append(f"hint: {found}")
    return lines


def _worst_elements(columns, reference, axes, tolerance):
    """The WORST elements by |diff| / allowed, only those outside the tolerance."""
    analytic = np.asarray(columns[0][1], dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        excess = np.abs(analytic - reference) / tolerance.allowed(analytic, reference)
    excess = np.where(matches(analytic, reference, tolerance), 0.0, np.where(np.isfinite(excess), excess, np.inf))
    order = np.argsort(excess, axis=None)[::-1][:WORST]
    lines = []
    for flat in order:
        if excess.flat[flat] <= 1:
            break
        index = np.unravel_index(flat, analytic.shape)
        values = ", ".join(f"{name}={float(np.asarray(v)[index]):.10g}" for name, v in columns)
        lines.append(f"at {_name_index(index, axes)}: {values}")
    return lines


def _name_index(index, axes):
    if not axes:
        return str(tuple(int(i) for i in index))
    parts = [f"{'time step' if axis == 'seq_len' else axis} {int(i)}" for axis, i in zip(axes, index)]
    return "[" + ", ".join(parts) + "]"


def axis_names(what, example, ndim):
    """Dimension names of an input from its declaration, when the drawn rank is the declared one."""
    if not what.startswith("input "):
        return ()
    decl = example.spec.inputs.get(what.split(" ")[1])  # "input x" or "input x (at kinks and ties)"
    dims = tuple(getattr(decl, "dims", ()))
    return dims if len(dims) == ndim and all(isinstance(d, str) for d in dims) else ()


def explain(results, example):
    """The localised report of one failing example (lines, without a trailing newline)."""
    lines, compared = [], []
    for finding in triage(results):
        lines.append(f"{example.spec.name}: {finding.what}: {finding.verdict}")
        lines += [f"    {line}" for line in localise(finding, results, example)]
        compared.append(finding)
    common = common_hint(compared, results, example) or over_time_hint(compared, results, example)
    if common:
        lines.append(f"hint, all failing gradients together: {common}")
    lines += _other_failures(results, {f.what for f in compared})
    return "\n".join(lines)


def common_hint(findings, results, example):
    """A pattern shared by every failing gradient (e.g. all divided by the batch), when each
    alone is too small to show one (hypothesis shrinks sizes to 1)."""
    pairs = []
    for finding in findings:
        if finding.verdict != BACKWARD:
            return ""
        fd = next(c for c in results if c.check == "finite differences" and c.what == finding.what)
        if np.shape(fd.actual) != np.shape(fd.expected):
            return ""
        pairs.append((np.ravel(fd.actual), np.ravel(fd.expected)))
    if len(pairs) < 2:
        return ""
    return hint(np.concatenate([a for a, _ in pairs]), np.concatenate([r for _, r in pairs]), (), sizes(example))


def over_time_hint(findings, results, example):
    """Only parameter gradients wrong, every input gradient right, in a layer run over time
    steps: what backward adds up over the steps is where to look."""
    inputs = [c for c in results if c.check == "finite differences" and c.what.startswith("input ")]
    timed = any("seq_len" in decl.dims for decl in example.spec.inputs.values())
    if not (timed and findings and inputs and all(c.ok for c in inputs)
            and all(f.verdict == BACKWARD and f.what.startswith("param ") for f in findings)):
        return ""
    names = ", ".join(f.what.split(" ", 1)[1] for f in findings)
    return (f"every input gradient is right but {names} {'is' if len(findings) == 1 else 'are'} not: a parameter's "
            "gradient is a sum over the time steps; is it overwritten at each step (= where += belongs), or "
            "taken from one step only?")


def _other_failures(results, compared):
    """Contract failures and crashes, one line per distinct message."""
    by_message = {}
    for c in results:
        if c.ok or (c.check in ("finite differences", "torch") and c.what in compared):
            continue
        text = c.message.replace(f"{c.layer}: {c.what}: ", "", 1) if c.what == c.by else c.message
        by_message.setdefault(text, []).append(c.by or c.check)
    lines = []
    for text, checks in by_message.items():
        lines.append(f"[{', '.join(checks)}] {text}")
        if "matmul" in text or "not aligned" in text:
            lines.append("    hint: a product's shapes do not fit: a W where W.T belongs, or its operands swapped")
    return lines
