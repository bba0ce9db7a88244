"""`python -m reference check FILE.py:CLASS --like NAME`: check a layer written elsewhere.

The class is loaded from its file (importing that module, nothing else), adapted to the
layer contract (reference/adapters.py) and checked as the registered spec NAME is: the
same inputs, sizes, draws and PyTorch twin, with the layer built from the user's class.

Three rows are printed, each with its own smallest failing example: the gradient checks
(finite differences, the twin), the other contract rules, and the rejection of bad input.
A layer written outside this project seldom validates its input; it then fails that rule
at the smallest sizes, and one row would hide its gradient and state mistakes behind it.

Exit status: 0 if every row passes, 1 if a check fails, 2 if the class cannot be loaded or
adapted (the message says what is missing).
"""
import argparse
import importlib
import importlib.util
import sys
import traceback
from pathlib import Path

from .._report.cli import positive_int
from .._report.parallel import default_jobs, ordered
from .._spec.project import SpecsError, builtin_specs, find_project, load_specs
from .adapters import CannotAdapt, adapt, expect_methods


def groups():
    from .._engine.checks import CHECKS

    return (("gradients", tuple(c for c in CHECKS if c.kind != "contract")),
            ("contract", tuple(c for c in CHECKS if c.kind == "contract" and c.name != "rejects_bad_input")),
            ("bad input", tuple(c for c in CHECKS if c.name == "rejects_bad_input")))


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
                             "(reference.examples.exercise_fixed:RNN)")
    parser.add_argument("--like", required=True, metavar="NAME",
                        help="the spec it implements: one the project declares, or a built-in one "
                             "(FC, SimpleRNN, ...; python -m reference --builtin --help lists them)")
    parser.add_argument("--examples", type=positive_int, default=50, metavar="N",
                        help="examples drawn per row (default: 50)")
    parser.add_argument("--jobs", type=positive_int, default=default_jobs(), metavar="J",
                        help="check the rows in J processes (default: 2 where there are 2 cores)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="hypothesis seed; the same seed draws the same examples (default: 0)")
    return parser.parse_args(argv)


def load_class(target):
    """(the class, its file) for "path/to/file.py:Class"; CannotAdapt saying what is wrong."""
    path_text, colon, name = target.rpartition(":")
    if not colon or not path_text or not name:
        raise CannotAdapt(f"expected FILE.py:CLASS, got {target!r}")
    path = Path(path_text)
    if path.suffix != ".py" and not path.exists() and path_text.replace(".", "").replace("_", "").isalnum():
        module = _import_module(path_text)
        path = Path(module.__file__)
    elif path.suffix != ".py" or not path.is_file():
        raise CannotAdapt(f"{path_text}: no such Python file")
    else:
        module = _import(path.resolve())
    found = getattr(module, name, None)
    if not isinstance(found, type):
        classes = sorted(k for k, v in vars(module).items() if isinstance(v, type) and v.__module__ == module.__name__)
        what = "no class" if found is None else f"{type(found).__name__}, not a class,"
        raise CannotAdapt(f"{path_text} has {what} named {name}; its classes: {', '.join(classes) or 'none'}")
    return found, path


def _import(path):
    """Import the module at `path`: as part of its package if its folder is one (so that its
    relative imports work), else on its own under a private name. No bytecode is written, so
    the user's folder stays as it was."""
    root, parts = path.parent, [path.stem]
    while (root / "__init__.py").is_file():
        parts.insert(0, root.name)
        root = root.parent
    saved = sys.dont_write_bytecode, list(sys.path)
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(root))  # the file's own imports of its siblings
    try:
        if len(parts) > 1:
            module = importlib.import_module(".".join(parts))
            if Path(module.__file__).resolve() != path:
                raise CannotAdapt(f"{path}: a different module {module.__name__} ({module.__file__}) is imported")
            return module
        spec = importlib.util.spec_from_file_location(f"_checked_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses and pickling look classes up there
        spec.loader.exec_module(module)
        return module
    except CannotAdapt:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's module: say what it raised, no traceback
        raise CannotAdapt(f"importing {path} raised {type(exc).__name__}: {exc}{_where(exc)}") from None
    finally:
        sys.dont_write_bytecode, sys.path[:] = saved


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


def check_class(cls, like, n_examples, seed_value, name, rerun, jobs=1):
    """Run the rows on `cls` checked like the spec named `like`; print them; True if all pass.
    CannotAdapt (before anything is printed) if cls cannot be adapted."""
    expect_methods(cls)
    specs = known_specs()
    by_name = {s.name: s for s in specs}
    if like not in by_name:
        raise CannotAdapt(f"--like {like}: no such spec; the project's and the built-in specs: {', '.join(by_name)}")
    spec, like, notes = adapt(cls, by_name[like], specs, name)
    from .._engine.verdict import run_spec  # the engine (hypothesis, and torch for the twins) from here on
    from .._report.table import HEADER, format_row

    print(f"{name}, checked like {like}:")
    print("\n".join(f"  {note}" for note in notes))
    print(HEADER)
    rows = groups()

    def checked(index):
        group, checks = rows[index]
        row = run_spec(spec, n_examples, seed_value, checks)  # a crash while drawing is a failing row
        row.name, row.rerun = f"{cls.__name__} {group}", f"{rerun} --seed {seed_value} --examples {n_examples}"
        return format_row(row), row.passed

    passed = True
    # torch is imported by the row that runs the twin, in its own process, while the others run
    for text, row_passed in ordered(checked, len(rows), jobs):
        print(text, flush=True)
        passed = passed and row_passed
    print(f"{name} {'passes' if passed else 'fails'} the checks of {like} "
          f"(seed {seed_value}, {n_examples} examples per row)")
    return passed


def main(argv):
    args = parse_args(argv)
    try:
        cls, path = load_class(args.target)
        passed = check_class(cls, args.like, args.examples, args.seed, f"{path.stem}.{cls.__name__}",
                             rerun=f"python -m reference check {args.target} --like {args.like}", jobs=args.jobs)
    except (CannotAdapt, SpecsError) as exc:
        print(f"cannot check {args.target} like {args.like}: {exc}", file=sys.stderr)
        return 2
    return 0 if passed else 1
