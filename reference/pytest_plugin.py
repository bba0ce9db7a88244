"""The pytest plugin: every spec a project declares becomes a test.

Registered as a pytest11 entry point, so installing the package is the whole set-up. It
does nothing in a project whose pyproject.toml has no [tool.reference] table. In one that
declares

    [tool.reference]
    specs = "module:ATTR"

it
- collects one test per spec, `check_layer[NAME]`, under the specs module's file: in a run
  with no paths given (`pytest`, `pytest -k Swish`), and whenever that file is collected
  (`pytest path/to/specs.py`); not when other paths are given (`pytest tests/test_x.py`);
- runs each as `check_layer(spec, ...)` does: the hypothesis profile in force gives the
  number of examples, whether they are derandomized (seed 0) or random (a fresh seed, or
  --hypothesis-seed), and whether a failure is shrunk;
- on failure shows the main job's report (triage, worst elements, hints, every failing
  tensor, the command that reruns it), not a traceback;
- registers the profiles ci, dev, many-seeds and thorough (reference/_profiles.py) where the
  project has not registered its own of that name, and loads ci (CI set) or dev unless the
  project has loaded a profile itself, HYPOTHESIS_PROFILE names one, or
  --hypothesis-profile is given.
"""
import importlib.util
import random
import sys
import zlib
from pathlib import Path

import pytest

from . import _profiles
from ._api import LayerCheckFailed, check_layer
from ._spec.project import SpecsError, find_project, load_specs

_STATE = pytest.StashKey[dict]()


@pytest.hookimpl(tryfirst=True)  # before hypothesis's plugin loads --hypothesis-profile
def pytest_configure(config):
    try:
        project = find_project(config.rootpath)
    except SpecsError as exc:
        raise pytest.UsageError(f"reference: {exc}") from None
    if project is None:
        return
    try:
        profile = _profiles.activate(config.getoption("--hypothesis-profile", default=None))
    except ValueError as exc:
        raise pytest.UsageError(f"reference: {exc}") from None
    config.stash[_STATE] = {"project": project, "file": _module_file(project), "collected": False,
                            "profile": profile}


def _module_file(project):
    """The specs module's file, found without importing it (its errors show at collection)."""
    module_name = project.specs.partition(":")[0]
    if str(project.root) not in sys.path:
        sys.path.insert(0, str(project.root))
    try:
        found = importlib.util.find_spec(module_name)
    except Exception:  # noqa: BLE001 - a parent package that fails to import: reported at collection
        found = None
    if found is None or not found.origin or not Path(found.origin).is_file():
        return project.pyproject
    return Path(found.origin).resolve()


def pytest_report_header(config):
    state = config.stash.get(_STATE, None)
    if state is not None:
        return (f"reference: specs {state['project'].specs} from {state['project'].pyproject}; "
                f"hypothesis profile {state['profile']}")
    return None


def pytest_collect_file(file_path, parent):
    state = parent.config.stash.get(_STATE, None)
    if state is not None and file_path.resolve() == state["file"]:
        state["collected"] = True
        return SpecsFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect
def pytest_collection_modifyitems(session, config, items):
    state = config.stash.get(_STATE, None)
    if state is None or state["collected"] or config.args_source == pytest.Config.ArgsSource.ARGS:
        return
    collector = SpecsFile.from_parent(session, path=state["file"])
    report = session.ihook.pytest_make_collect_report(collector=collector)
    session.ihook.pytest_collectreport(report=report)
    if report.passed:
        items.extend(report.result)


class SpecsFile(pytest.File):
    """The specs module of a project: one item per declared spec."""

    def collect(self):
        state = self.config.stash[_STATE]
        project = state["project"]
        try:
            specs = load_specs(project.specs, project.root)
        except SpecsError as exc:
            raise self.CollectError(f"reference: {exc}") from None
        for spec in specs:
            yield SpecItem.from_parent(self, name=f"check_layer[{spec.name}]", spec=spec)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, self.CollectError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class SpecItem(pytest.Item):
    """check_layer(spec) with the examples, seed and shrinking of the hypothesis profile."""

    def __init__(self, *, spec, **kwargs):
        super().__init__(**kwargs)
        self.spec = spec

    def runtest(self):
        from hypothesis import Phase, settings

        current = settings.default
        check_layer(self.spec, examples=current.max_examples, seed=self._seed(current.derandomize),
                    shrink=Phase.shrink in current.phases)

    def _seed(self, derandomize):
        if derandomize:
            return 0
        forced = self.config.getoption("--hypothesis-seed", default=None)
        if forced is not None:
            return int(forced) if str(forced).isdigit() else zlib.crc32(str(forced).encode())
        return random.SystemRandom().randrange(2**32)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, LayerCheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name
