"""`check --fix NAME=VALUE` and `--sizes NAME=LOW:HIGH` (internal): draws restricted for a
layer that supports less than the spec draws (DLFS1's Convolution takes an int stride, a
loss written for two classes or more), said in the report."""
import ast
import dataclasses

from .._builtin.lazy import LazyDraws


def fixed_value(text):
    """"padding=0" -> ("padding", 0); the value a Python literal (1, 0.5, (1, 2), None)."""
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        raise ValueError(f"{text!r}: the value must be a Python literal (0, 0.5, (1, 2), None)") from None


def size_range(text):
    """"n_classes=2:5" -> ("n_classes", 2, 5)."""
    name, equals, bounds = text.partition("=")
    low, colon, high = bounds.partition(":")
    try:
        low, high = int(low), int(high)
    except ValueError:
        low = high = None
    if not equals or not colon or low is None or not 1 <= low <= high or not name.strip():
        raise ValueError(f"expected NAME=LOW:HIGH with 1 <= LOW <= HIGH, got {text!r}")
    return name.strip(), low, high


def _lazy(draws):
    """draws as a LazyDraws (a dict of strategies made into makers that return them)."""
    return draws if isinstance(draws, LazyDraws) else LazyDraws(
        **{k: (lambda st, s=strategy: s) for k, strategy in draws.items()})


def restricted(spec, fixed=(), ranges=()):
    """spec with each (name, value) of `fixed` drawn as that value and each (name, low, high)
    of `ranges` drawn from low to high; ValueError naming what the spec does not draw."""
    drawn = [*spec.dim_names, *(k for k in spec.draws if k not in spec.dim_names)]
    unknown = [name for name, *_ in [*fixed, *ranges] if name not in drawn]
    if unknown:
        raise ValueError(f"{spec.name} draws no {', '.join(unknown)}; it draws {', '.join(drawn)}")
    wrong = [name for name, low, _ in ranges if name not in spec.dim_names]
    if wrong:
        raise ValueError(f"--sizes is for sizes ({', '.join(spec.dim_names)}); {', '.join(wrong)} is drawn "
                         f"otherwise: give it with --fix")
    makers = {name: (lambda st, v=value: st.just(v)) for name, value in fixed}
    makers.update({name: (lambda st, a=low, b=high: st.integers(a, b)) for name, low, high in ranges})
    if not makers:
        return spec
    base = _lazy(spec.draws)
    given = spec.assume

    def allowed(config):  # also for the search for a smaller failure, which pins sizes itself
        return (all(config[name] == value for name, value in fixed)
                and all(low <= config[name] <= high for name, low, high in ranges)
                and (given is None or given(config)))

    return dataclasses.replace(spec, draws=base.with_makers(**makers), assume=allowed)


def _first(value):
    return value[0] if isinstance(value, tuple) else value


def one_int(spec, names):
    """spec with each per-axis draw of `names` drawn as one int for every axis (its first
    axis's value; a None stays None), for a layer that takes one int (layouts.py)."""
    base = _lazy(spec.draws)
    makers = {name: (lambda st, make=base.maker(name): make(st).map(_first)) for name in names}
    given = spec.assume

    def allowed(config):  # the search for a smaller failure must not give a pair either
        return not any(isinstance(config[name], tuple) for name in names) and (given is None or given(config))

    return dataclasses.replace(spec, draws=base.with_makers(**makers), assume=allowed)


def refused_pair(spec, fixed, config, owner, said=None):
    """A message if `spec` draws a value of `fixed` otherwise, as `config` (the simplest value
    of each of its draws) shows: a pair fixed for a draw that one_int makes one int for both
    axes, so that no example could be drawn; else None. said(name, value): how the caller
    fixes a value ("--fix stride=1", the default, or "fix={'stride': 1}")."""
    said = said or (lambda name, value: f"--fix {name}={value!r}")
    for name, value in fixed:
        if config.get(name, value) != value:
            return (f"{said(name, value)}: {owner} takes {name} as one int for both axes (a pair per axis was "
                    f"refused, or made its forward raise or differ), so no example can have this pair; give one "
                    f"int ({said(name, _first(value))})")
    return None


def describe(fixed=(), ranges=()):
    """The report's line, or ""."""
    said = [f"{name} = {value!r}" for name, value in fixed] + [f"{name} from {low} to {high}"
                                                               for name, low, high in ranges]
    return f"draws restricted (--fix, --sizes): {', '.join(said)}" if said else ""
