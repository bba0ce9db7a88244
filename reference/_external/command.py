"""`python -m reference check FILE.py:CLASS --like NAME`: check a layer written elsewhere.

The class is loaded from its file (importing that module, nothing else), adapted to the
layer contract (reference/adapters.py) and checked as the registered spec NAME is: the
same inputs, sizes, draws and PyTorch twin, with the layer built from the user's class.

Three rows are printed, each with its own smallest failing example and a line saying what
it checked: the gradient checks (finite differences, the twin), the other contract rules,
and advice: the rejection of bad input, and whether the layer keeps the caller's arrays
(its input or output) for backward. Code written outside this project seldom validates its
input and often caches the input itself (`self.x = x`); it then fails those rules at the
smallest sizes, and one row would hide its gradient and state mistakes behind them.

Exit status answers "are my gradients right?": 0 if the gradients and the contract pass,
1 if one of their checks fails, 2 if the class cannot be loaded or adapted (the message says
what is missing). The advice row says what to add or change, counted only with --strict.
"""
import argparse
import importlib
import importlib.machinery
import importlib.util
import inspect
import shlex
import sys
import traceback
from pathlib import Path

from .._report.cli import positive_int
from .._report.parallel import default_jobs, ordered
from .._spec.project import SpecsError, builtin_specs, find_project, load_specs
from . import pairs, restrict, training
from .adapters import CannotAdapt, adapt, expect_methods, global_generator_kept
from .construction import param_names_cheaply, param_shapes, probe_config, simplest_draws


ADVICE = "advice"
# Caller discipline, not the gradients: advice for a layer written elsewhere, what to change.
ADVISED = {
    "rejects_bad_input": "at the top of forward and backward, raise TypeError for an argument that is not an "
                         "array and ValueError for NaN or a wrong shape, naming the layer and the argument",
    "arguments_unchanged": "leave the caller's arrays as they were: copy before writing into x or dout "
                           "(dx = dout.copy()); a caller that still needs dout (two branches share it) gets it changed",
    "output_owned": "keep copies (self.x = x.copy()) of what backward needs, not the caller's own arrays: "
                    "writing into the input or the output before backward changes the gradients",
}


def groups():
    from .._engine.checks import CHECKS

    return (("gradients", tuple(c for c in CHECKS if c.kind != "contract")),
            ("contract", tuple(c for c in CHECKS if c.kind == "contract" and c.name not in ADVISED)),
            (ADVICE, tuple(c for c in CHECKS if c.name in ADVISED)))


def checked_line(group, checks, spec, adaptation, strict, strict_name="--strict"):
    """One line under a row: what it checked, and what it did not."""
    if group == "gradients":
        tensors = [*(f"input {k}" for k in spec.wrt), *(f"param {k}" for k in adaptation.params)]
        against = "finite differences" + (" and PyTorch's twin" if spec.twin is not None else "")
        line = f"checked: backward against {against}, for {', '.join(tensors) or 'nothing'}"
    elif group == ADVICE:
        line = (f"checked: {', '.join(c.name for c in checks if c.applies(spec))} (whether the layer leaves the "
                f"caller's arrays alone and rejects bad input clearly)")
        status = "the exit status" if strict_name.startswith("--") else "passed"
        line += f"; counted ({strict_name})" if strict else f"; advice, not in {status} ({strict_name} counts it)"
    else:
        line = f"checked: {', '.join(c.name for c in checks if c.applies(spec))}"
    unchecked = adaptation.unchecked if group == "gradients" else []
    return f"    {line}" + (f"; not checked: {', '.join(unchecked)}" if unchecked else "")


def known_specs():
    """The specs a layer can be checked like: the project's declared ones, then the built-in ones."""
    project = find_project()
    declared = load_specs(project.specs, project.root) if project is not None else ()
    names = {s.name for s in declared}
    return tuple(declared) + tuple(s for s in builtin_specs() if s.name not in names)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m reference check",
        description="Check a layer class written elsewhere as a registered layer is checked: against "
                    "finite differences, the PyTorch twin and the layer contract.")
    parser.add_argument("target", metavar="FILE.py:CLASS",
                        help="the file and the class in it; or MODULE:CLASS for an importable module "
                             "(reference.examples.exercise_fixed:RNN); or FILE.py:FORWARD,BACKWARD for a "
                             "function pair (rnn_forward,rnn_backward: forward returns (out, cache), "
                             "backward(dout, cache) the gradients)")
    parser.add_argument("--like", required=True, metavar="NAME",
                        help="the spec it implements: one the project declares, or a built-in one "
                             "(FC, SimpleRNN, ...; python -m reference --builtin --help lists them)")
    parser.add_argument("--examples", type=positive_int, default=50, metavar="N",
                        help="examples drawn per row (default: 50)")
    parser.add_argument("--jobs", type=positive_int, default=default_jobs(), metavar="J",
                        help="check the rows in J processes (default: 2 where there are 2 cores); with 1, in one run "
                             "that draws each example once for every row, the same rows")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="hypothesis seed; the same seed draws the same examples (default: 0)")
    parser.add_argument("--fix", action="append", default=[], type=_parsed(restrict.fixed_value),
                        metavar="NAME=VALUE", help="draw a size or hyperparameter as this value only, for a "
                        "layer that supports less (--fix padding=0, --fix stride=1); repeatable")
    parser.add_argument("--sizes", action="append", default=[], type=_parsed(restrict.size_range),
                        metavar="NAME=LOW:HIGH", help="draw a size from LOW to HIGH only (--sizes n_classes=2:5); "
                        "repeatable")
    parser.add_argument("--strict", action="store_true",
                        help="count the bad-input row in the exit status (by default it is advice)")
    return parser.parse_args(argv)


def _parsed(parse):
    """An argparse type from a parser raising ValueError with its message."""
    def convert(text):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = parse.__name__.replace("_", " ")
    return convert


def load_class(target):
    """(the class, its file, notes on its import) for "path/to/file.py:Class", or ((forward,
    backward), its file, notes) for "path/to/file.py:forward,backward"; CannotAdapt saying what
    is wrong."""
    path_text, colon, name = target.rpartition(":")
    if not colon or not path_text or not name:
        raise CannotAdapt(f"expected FILE.py:CLASS, got {target!r}")
    path = Path(path_text)
    notes = []
    if path.suffix != ".py" and not path.exists() and path_text.replace(".", "").replace("_", "").isalnum():
        module = _import_module(path_text)
        path = Path(module.__file__)
    elif path.suffix != ".py" or not path.is_file():
        raise CannotAdapt(f"{path_text}: no such Python file")
    else:
        module, notes = _import(path.resolve())
    if "," in name:
        return _functions(module, path_text, name.split(",")), path, notes
    found = getattr(module, name, None)
    if not isinstance(found, type):
        classes = sorted(k for k, v in vars(module).items() if isinstance(v, type) and v.__module__ == module.__name__)
        what = "no class" if found is None else f"{type(found).__name__}, not a class,"
        pair = (f" (a function pair is checked as {path_text}:{name},BACKWARD)" if inspect.isfunction(found)
                else "")
        raise CannotAdapt(f"{path_text} has {what} named {name}{pair}; its classes: {', '.join(classes) or 'none'}")
    return found, path, notes


def label(found):
    """A class's name, or a function pair's "forward,backward", as the report names it."""
    return ",".join(f.__name__ for f in found) if isinstance(found, tuple) else found.__name__


def _functions(module, path_text, names):
    """The forward and backward functions named in `names`; CannotAdapt saying what is wrong."""
    found = [getattr(module, n.strip(), None) for n in names]
    if len(names) == 2 and all(callable(f) and not isinstance(f, type) for f in found):
        return tuple(found)
    functions = sorted(k for k, v in vars(module).items() if inspect.isfunction(v) and v.__module__ == module.__name__)
    if len(names) != 2:
        raise CannotAdapt(f"expected FILE.py:FORWARD,BACKWARD (two functions), got {','.join(names)}")
    missing = [n for n, f in zip(names, found) if not callable(f) or isinstance(f, type)]
    raise CannotAdapt(f"{path_text} has no function named {' or '.join(missing)}; its functions: "
                      f"{', '.join(functions) or 'none'}")


def _import(path):
    """(the module at `path`, notes): imported as part of its package if its folder is one (so
    that its relative imports work), else on its own under a private name. A package whose
    own __init__ fails to import (numpy-ml's imports `collections.Hashable`, gone since
    Python 3.10) is skipped: the file is imported again with its packages registered bare,
    their __init__ not run, and the notes say so. No bytecode is written, so the user's
    folder stays as it was."""
    root, parts = path.parent, [path.stem]
    while (root / "__init__.py").is_file():
        parts.insert(0, root.name)
        root = root.parent
    saved = sys.dont_write_bytecode, list(sys.path)
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(root))  # the file's own imports of its siblings
    try:
        if len(parts) > 1:
            return _in_package(path, root, parts)
        spec = importlib.util.spec_from_file_location(f"_checked_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses and pickling look classes up there
        spec.loader.exec_module(module)
        return module, []
    except CannotAdapt:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's module: say what it raised, no traceback
        raise CannotAdapt(f"importing {path} raised {type(exc).__name__}: {exc}{_where(exc)}") from None
    finally:
        sys.dont_write_bytecode, sys.path[:] = saved


def _in_package(path, root, parts):
    """(the module `parts` at `path`, notes), its packages' __init__ skipped if one raises."""
    before = set(sys.modules)
    try:
        module = importlib.import_module(".".join(parts))
    except Exception as exc:  # noqa: BLE001 - said below if the bare packages do not help either
        failed = _failed_init(exc, root, parts)
        if failed is None:
            raise
        _forget(parts[0], before)
        inits = ", ".join("/".join(parts[:depth]) + "/__init__.py" for depth in range(1, len(parts)))
        note = f"imported with its packages' {inits} not run: {failed} raised {type(exc).__name__}: {exc}"
        for depth in range(1, len(parts)):
            name = ".".join(parts[:depth])
            bare = importlib.util.module_from_spec(importlib.machinery.ModuleSpec(name, None, is_package=True))
            bare.__path__, bare.__reference_note__ = [str(root.joinpath(*parts[:depth]))], note
            sys.modules[name] = bare
        try:
            module = importlib.import_module(".".join(parts))
        except Exception:  # noqa: BLE001 - the first error is the one to say
            _forget(parts[0], before)  # the bare packages too: a later check would take them for its own
            raise exc from None
    # a package made bare by an earlier check in this process says so again
    said = getattr(sys.modules.get(parts[0]), "__reference_note__", None)
    notes = [said] if said else []
    if Path(module.__file__).resolve() != path:
        raise CannotAdapt(f"{path}: a different module {module.__name__} ({module.__file__}) is imported")
    return module, notes


def _forget(package, before):
    """Remove from sys.modules the modules of `package` imported since `before` (a failed
    import left them half-done); not torch, numpy, ...: those stay."""
    for name in set(sys.modules) - before:
        if name == package or name.startswith(package + "."):
            del sys.modules[name]


def _failed_init(exc, root, parts):
    """The package __init__.py (relative to root) an import error went through, or None."""
    inits = {root.joinpath(*parts[:depth], "__init__.py").resolve() for depth in range(1, len(parts))}
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() in inits:
            return str(Path(frame.filename).resolve().relative_to(root.resolve()))
    return None


def _import_module(name):
    """An importable module by its dotted name (no bytecode written)."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        return importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - say what it raised, no traceback
        raise CannotAdapt(f"importing {name} raised {type(exc).__name__}: {exc}{_where(exc)}") from None
    finally:
        sys.dont_write_bytecode = saved


def _where(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""


def check_class(*args, **kwargs):
    """_check_class(...), NumPy's global generator left as it was (the adapter seeds it)."""
    with global_generator_kept():
        return _check_class(*args, **kwargs)


def _check_class(cls, like, n_examples, seed_value, name, rerun, jobs=1, strict=False, fixed=(), ranges=(),
                 emit=None, strict_name="--strict", notes=()):
    """Run the rows on `cls` (a class, or a (forward, backward) function pair) checked like the
    spec named `like`; print them (or hand each block of lines to `emit`); True if the
    gradients and the contract pass (and the bad-input row, if strict). CannotAdapt (before
    anything is printed) if cls cannot be adapted. `rerun` is the command that reruns it; a
    callable rerun(seed, examples) gives the whole command (from a notebook: the call).
    strict_name is how the caller asks for strict ("--strict", or strict=True). `notes` (on the
    import) head the report's notes."""
    if emit is None:
        def emit(text):
            print(text, flush=True)
    if not callable(rerun):
        rerun = _command_rerun(rerun)
    specs = known_specs()
    by_name = {s.name: s for s in specs}
    if like not in by_name:
        raise CannotAdapt(f"--like {like}: no such spec; the project's and the built-in specs: {', '.join(by_name)}")
    if not isinstance(cls, tuple) and training.is_training_step(cls):  # a whole model: its spec is restricted
        like = training.model_spec(by_name[like], specs).name
    if fixed or ranges:  # the spec and its variants (SimpleRNN-no-h0) draw the same sizes
        try:
            restrict.restricted(by_name[like], fixed, ranges)
        except ValueError as exc:
            raise CannotAdapt(str(exc)) from None
        specs = [_restricted_variant(s, by_name[like], fixed, ranges) for s in specs]
        by_name = {s.name: s for s in specs}
    pair = cls if isinstance(cls, tuple) else None
    if pair:
        cls, said = _pair_class(pair, by_name[like])
    expect_methods(cls)
    adaptation = adapt(cls, by_name[like], specs, name)
    if pair:  # what the pair's class was built from, instead of how that class is built
        def own(note):
            return note.replace(f"{cls.__name__}.forward", pair[0].__name__)
        adaptation.notes[:] = said + [own(n) for n in adaptation.notes if not n.startswith("built as ")
                                      and "(the project's contract): used as it is" not in n]
        adaptation.unchecked[:] = [own(n) for n in adaptation.unchecked]
    spec, like = adaptation.spec, adaptation.like
    said = None if strict_name.startswith("--") else (lambda name, value: f"fix={{{name!r}: {value!r}}}")
    refused = restrict.refused_pair(spec, fixed, simplest_draws(spec), cls.__name__, said) if fixed else None
    if refused:
        raise CannotAdapt(refused)
    adaptation.notes[:0] = notes
    adaptation.notes += [line for line in [restrict.describe(fixed, ranges)] if line]
    from .._engine.verdict import run_groups, run_spec  # the engine (hypothesis, and torch for the twins) from here on
    from .._report.table import HEADER, format_row

    emit(f"{name}, checked like {like}:")
    emit("\n".join(f"  {note}" for note in adaptation.notes))
    emit(HEADER)
    rows = groups()
    if training.is_training_step(cls):  # train gets columns made from copies: no caller's array reaches it
        rows = tuple(row for row in rows if row[0] != ADVICE)
    counted = [strict or group != ADVICE for group, _ in rows]

    def checked(index, row=None):
        group, checks = rows[index]
        if row is None:
            row = run_spec(spec, n_examples, seed_value, checks)  # a crash while drawing is a failing row
        row.name, row.rerun = f"{cls.__name__} {group}", rerun(seed_value, n_examples)
        first, *report = format_row(row, failed="FAIL" if counted[index] else "advice").split("\n")
        said = [checked_line(group, checks, spec, adaptation, strict, strict_name)]
        if group == ADVICE and not row.passed:
            failed = {c.by or c.check for c in [*row.failures, *row.results] if not c.ok} | row.caught_by
            said += [f"    to change ({name}): {advice}" for name, advice in ADVISED.items() if name in failed]
        return "\n".join([first, *said, *report]), row.passed

    passed, advised = True, False
    if jobs == 1:  # one run of hypothesis for every row: each example drawn once, the same rows
        done = run_groups(spec, n_examples, seed_value, [checks for _, checks in rows])
        results = (checked(index, row) for index, row in enumerate(done))
    else:  # torch is imported by the row that runs the twin, in its own process, while the others run
        results = ordered(checked, len(rows), jobs)
    for index, (text, row_passed) in enumerate(results):
        emit(text)
        passed = passed and (row_passed or not counted[index])
        advised = advised or not row_passed
    if adaptation.state is not None:  # a cell stepped over sequences: how its state restarts (stepping.py)
        text, state_passed = _state_row(f"{cls.__name__} state", spec.name, adaptation.state)
        emit(text)
        passed = passed and state_passed
    verdict = "passes" if passed else "fails"
    emit(f"{name} {verdict} the checks of {like} (seed {seed_value}, {n_examples} examples per row)"
         + (f"; see the advice above ({strict_name} counts it)" if passed and advised else ""))
    return passed


def _state_row(label, layer, state):
    """(the row of a stepped cell's restart, found once when it was adapted; whether it passed)."""
    from .._engine.compare import rule
    from .._engine.verdict import Row
    from .._report.table import format_row

    checked, failure = state
    failures = [] if failure is None else [rule("contract", layer, "a second sequence", False, failure).made_by("restart")]
    row = Row(label, examples=1, contract_rules=1, failures=failures)
    first, *report = format_row(row).split("\n")
    return "\n".join([first, f"    {checked}", *report]), row.passed


def _command_rerun(command):
    def rerun(seed, examples):
        return f"{command} --seed {seed} --examples {examples}"
    return rerun


def _restricted_variant(spec, like, fixed, ranges):
    """spec restricted if it is a variant of `like` (its class) that draws those names too."""
    if spec.cls is not like.cls:
        return spec
    try:
        return restrict.restricted(spec, fixed, ranges)
    except ValueError:  # a variant drawing less (Sequential-tanh-first): not one the layer can be checked like
        return spec


def _pair_class(pair, spec):
    """(a class over the function pair, the notes saying how it was bound) for `spec`."""
    names = param_names_cheaply(spec)
    if names is None:
        names = list(param_shapes(spec, probe_config(spec)))
    inputs = list(spec.inputs)
    return (pairs.pair_class(*pair, names, inputs, spec.wrt, spec.outputs),
            pairs.describe(*pair, names, inputs, spec.wrt, spec.outputs))


def main(argv):
    args = parse_args(argv)
    try:
        cls, path, notes = load_class(args.target)
        strict = "".join([" --strict" if args.strict else "", *(f" --fix {shlex.quote(f'{n}={v!r}')}" for n, v in args.fix),
                          *(f" --sizes {n}={low}:{high}" for n, low, high in args.sizes)])
        passed = check_class(cls, args.like, args.examples, args.seed, f"{path.stem}.{label(cls)}",
                             rerun=f"python -m reference check {args.target} --like {args.like}{strict}",
                             jobs=args.jobs, strict=args.strict, fixed=args.fix, ranges=args.sizes, notes=notes)
    except (CannotAdapt, SpecsError) as exc:
        print(f"cannot check {args.target} like {args.like}: {exc}", file=sys.stderr)
        return 2
    return 0 if passed else 1
