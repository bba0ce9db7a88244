"""Which specs a run checks: a project's own, declared in its pyproject.toml, and this
project's built-in ones.

A project declares its specs with

    [tool.reference]
    specs = "module:ATTR"

`module` is importable from the folder holding that pyproject.toml (the project root), and
`ATTR` is a sequence of Spec. The nearest pyproject.toml with a [tool.reference] table, from
the starting folder up, is the project. The built-in specs (this project's own layers, in
reference/_builtin) are imported only when asked for, so that nothing of scratch/ is
imported while checking a project's own specs.
"""
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

from .spec import Spec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

BUILTIN = "reference._builtin.specs:SPECS"


class SpecsError(Exception):
    """The declared specs cannot be loaded; the message says what is wrong and where."""


@dataclass(frozen=True)
class Project:
    root: Path  # the folder holding pyproject.toml
    specs: str  # "module:ATTR"

    @property
    def pyproject(self):
        return self.root / "pyproject.toml"


def find_project(start=None):
    """The nearest Project from `start` (default: the working folder) upwards, or None."""
    start = Path.cwd() if start is None else Path(start)
    for folder in [start, *start.parents]:
        path = folder / "pyproject.toml"
        if not path.is_file():
            continue
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("reference")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SpecsError(f"{path}: cannot be read as TOML: {exc}") from None
        if table is None:
            continue
        specs = table.get("specs") if isinstance(table, dict) else None
        if not isinstance(specs, str) or specs.count(":") != 1 or not all(specs.split(":")):
            raise SpecsError(f'{path}: [tool.reference] needs specs = "module:ATTR" (ATTR a sequence of '
                             f"Spec), got {specs!r}")
        return Project(folder.resolve(), specs)
    return None


def load_specs(reference, root=None):
    """The specs `reference` ("module:ATTR") names, imported with `root` on sys.path."""
    module_name, _, attr = reference.partition(":")
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))  # the module, and the layers it imports, live in the project
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - the user's module: say what it raised and where
        where = f" (from {root})" if root is not None else ""
        raise SpecsError(f"importing {module_name}{where} for [tool.reference] specs raised "
                         f"{type(exc).__name__}: {exc}") from exc
    if not hasattr(module, attr):
        raise SpecsError(f"{module_name} ({module.__file__}) has no {attr}; [tool.reference] specs = {reference!r}")
    specs = getattr(module, attr)
    if isinstance(specs, (str, bytes, Spec)) or not hasattr(specs, "__iter__"):
        raise SpecsError(f"{reference} must be a sequence of Spec, got {type(specs).__name__}")
    specs = tuple(specs)
    wrong = [f"{i}: {type(s).__name__}" for i, s in enumerate(specs) if not isinstance(s, Spec)]
    if wrong:
        raise SpecsError(f"{reference} must hold only Spec; not a Spec at {', '.join(wrong)}")
    if not specs:
        raise SpecsError(f"{reference} is empty: declare at least one Spec")
    _unique(specs, reference)
    return specs


def builtin_specs():
    """This project's own specs. Imports scratch, which must be the package installed beside
    reference (a scratch.py of the user's own, in the working folder, would shadow it)."""
    import scratch

    ours = Path(__file__).resolve().parents[2]
    found = Path(scratch.__file__).resolve()
    if ours not in found.parents:
        raise SpecsError(f"the built-in specs check this project's own layers, but `import scratch` finds "
                         f"{found}, not the scratch package installed with reference ({ours / 'scratch'}): "
                         "rename that module, or run from another folder")
    return load_specs(BUILTIN)


def specs_for_run(builtin=False, start=None):
    """(the specs to check, where they come from): the project's declared specs (and the
    built-in ones too if `builtin`), or the built-in ones where no project declares any."""
    project = find_project(start)
    if project is None:
        return builtin_specs(), "the built-in specs (no pyproject.toml with [tool.reference] here)"
    extra = builtin_specs() if builtin and project.specs != BUILTIN else ()  # first: its error is quick
    specs = load_specs(project.specs, project.root)
    source = f"{project.specs} ([tool.reference] in {project.pyproject})"
    if extra:
        specs = _unique(specs + extra, f"{project.specs} and the built-in specs")
        source += " and the built-in specs"
    return specs, source


def _unique(specs, where):
    seen = {}
    for spec in specs:
        if spec.name in seen and seen[spec.name] is not spec:
            raise SpecsError(f"{where}: two specs are named {spec.name!r}; spec names must be unique")
        seen[spec.name] = spec
    return tuple(seen.values())


def find_spec(name, start=None):
    """The spec named `name`, from the project's, the built-in ones, or a planted variant of
    a built-in one ("SimpleRNN:rnn-wh-overwritten"); None if there is none."""
    project = find_project(start)
    if project is not None:
        found = [s for s in load_specs(project.specs, project.root) if s.name == name]
        if found:
            return found[0]
    builtin = {s.name: s for s in builtin_specs()}
    if name in builtin:
        return builtin[name]
    from .._selftest.planted import CATALOG, variant_spec

    base, _, bug = name.partition(":")
    found = [b for b in CATALOG if b.name == bug and b.spec == base and base in builtin]
    return variant_spec(found[0], builtin[base]) if found else None
