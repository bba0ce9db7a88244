"""reference.check: a layer written elsewhere checked from a notebook cell or a test, as
`python -m reference check` checks it from the command line (reference/_external/)."""
import inspect

from ._api import LayerCheckFailed


class CheckResult:
    """What reference.check found: `passed`, and the report (`str(result)`), which a notebook
    displays as the command prints it. Nothing is raised for a failure unless asked:
    result.raise_for_failure() raises LayerCheckFailed (an AssertionError) with the report."""

    def __init__(self, name, like, passed, report):
        self.name, self.like, self.passed, self.report = name, like, passed, report

    def raise_for_failure(self):
        """Raise LayerCheckFailed with the report if a check failed; else return self."""
        if not self.passed:
            raise LayerCheckFailed(self.report)
        return self

    def __str__(self):
        return self.report

    def __repr__(self):
        return self.report

    def _repr_pretty_(self, printer, cycle):  # IPython and Jupyter: the report as it is
        printer.text(self.report)


def check(layer, like, *, examples=50, seed=0, fix=None, sizes=None, strict=False, jobs=None):
    """Check `layer` like the registered spec `like` ("FC", "SimpleRNN", a spec the project
    declares): the same adaptation, rows and verdict as `python -m reference check`.

    layer: a class (defined in the notebook or imported), a (forward, backward) pair of
    functions, or "FILE.py:CLASS" / "FILE.py:FORWARD,BACKWARD" as on the command line.
    fix={"padding": 0} draws a size or hyperparameter as that value only; sizes={"n_classes": (2, 5)}
    draws a size from LOW to HIGH only (for a layer that supports less); strict=True counts
    the advice row (input validation, caller's arrays) in `passed`. jobs: processes for the
    rows (default: 2 where there are 2 cores; 1 runs every row on each example as it is drawn,
    with the same rows).

    Returns a CheckResult; raises ValueError (naming what is wrong) if the layer cannot be
    loaded or adapted or a value is out of range, TypeError if an argument is of the wrong type.
    """
    from ._external import command, restrict
    from ._external.adapters import CannotAdapt
    from ._report.parallel import default_jobs
    from ._spec.project import SpecsError

    if not isinstance(like, str) or not like:
        raise TypeError(f"check: like must be a spec's name (a str such as 'FC'), got {like!r}")
    for name, value in (("examples", examples), ("jobs", 1 if jobs is None else jobs)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"check: {name} must be a positive int, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"check: seed must be an int, got {seed!r}")
    fixed, ranges = _fixed(fix), _ranges(sizes, restrict)
    lines = []
    try:
        target, label, notes = _target(layer, command)
        passed = command.check_class(target, like, examples, seed, label, rerun=_rerun(layer, like, fix, sizes, strict),
                                     jobs=default_jobs() if jobs is None else jobs, strict=strict, fixed=fixed,
                                     ranges=ranges, emit=lines.append, strict_name="strict=True", notes=notes)
    except (CannotAdapt, SpecsError) as exc:
        raise ValueError(f"cannot check {_shown(layer)} like {like}: {exc}") from None
    return CheckResult(label, like, passed, "\n".join(lines))


def _target(layer, command):
    """(the class or function pair, its label in the report, notes on its import)."""
    if isinstance(layer, str):
        found, path, notes = command.load_class(layer)
        return found, f"{path.stem}.{command.label(found)}", notes
    if isinstance(layer, type):
        return layer, layer.__qualname__, []
    if (isinstance(layer, (tuple, list)) and len(layer) == 2
            and all(callable(f) and not isinstance(f, type) for f in layer)):
        return tuple(layer), command.label(tuple(layer)), []
    if inspect.isfunction(layer):
        raise TypeError(f"check: a function pair is given as (forward, backward), got the function {layer.__name__} "
                        f"alone")
    raise TypeError(f"check: layer must be a class, a (forward, backward) pair of functions or 'FILE.py:CLASS', "
                    f"got {type(layer).__name__}")


def _fixed(fix):
    if fix is None:
        return ()
    if not isinstance(fix, dict) or not all(isinstance(k, str) for k in fix):
        raise TypeError(f"check: fix must be a dict of names to values ({{'padding': 0}}), got {fix!r}")
    return tuple(fix.items())


def _ranges(sizes, restrict):
    if sizes is None:
        return ()
    if not isinstance(sizes, dict):
        raise TypeError(f"check: sizes must be a dict of names to (low, high) ({{'n_classes': (2, 5)}}), got {sizes!r}")
    ranges = []
    for name, bounds in sizes.items():
        try:
            low, high = bounds
            ranges.append(restrict.size_range(f"{name}={int(low)}:{int(high)}"))
            if (low, high) != ranges[-1][1:]:
                raise ValueError
        except (TypeError, ValueError):
            raise ValueError(f"check: sizes[{name!r}] must be (low, high) with 1 <= low <= high ints, got {bounds!r}") \
                from None
    return tuple(ranges)


def _rerun(layer, like, fix, sizes, strict):
    shown = _shown(layer)
    options = "".join([f", fix={fix!r}" if fix else "", f", sizes={sizes!r}" if sizes else "",
                       ", strict=True" if strict else ""])

    def rerun(seed, examples):
        return f"reference.check({shown}, like={like!r}{options}, seed={seed}, examples={examples})"
    return rerun


def _shown(layer):
    if isinstance(layer, str):
        return repr(layer)
    if isinstance(layer, type):
        return layer.__qualname__
    if isinstance(layer, (tuple, list)):
        return "(" + ", ".join(getattr(f, "__name__", "?") for f in layer) + ")"
    return type(layer).__name__
