"""A project of its own (examples/own_project: Swish and attention, their specs, no test code)
checked through the public surface: the pytest plugin, `python -m reference`, `check --like`.

Each test runs the commands in a copy of the project: in a subprocess, as a user would, where
a fresh interpreter matters (a whole run, a user's module shadowing this project's, hypothesis's
own defaults); in this process otherwise (the interpreter and torch start once).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[1] / "examples" / "own_project"
SWISH_BACKWARD = "        return dout * (s + x * s * (1.0 - s))\n"


def run(folder, *args, env=None):
    """python -m <args> in `folder`, with CI set (derandomized examples, seed 0) unless env says."""
    environment = {k: v for k, v in os.environ.items() if k not in ("HYPOTHESIS_PROFILE", "CI")}
    environment.update({"CI": "true", "PYTHONDONTWRITEBYTECODE": "1", **(env or {})})
    environment = {k: v for k, v in environment.items() if v is not None}
    done = subprocess.run([sys.executable, "-m", *args], cwd=folder, capture_output=True, text=True,
                          env=environment, timeout=300)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def here(monkeypatch, capsys, hypothesis_state):
    """run(folder, "pytest" or "reference", *args) in this process, in `folder`: what it
    imported from there, sys.path and hypothesis's profiles are put back afterwards."""
    def run_here(folder, command, *args):
        modules, path = set(sys.modules), list(sys.path)
        monkeypatch.chdir(folder)
        monkeypatch.setenv("CI", "true")
        monkeypatch.delenv("HYPOTHESIS_PROFILE", raising=False)
        try:
            if command == "pytest":  # from hypothesis's own state, as a new interpreter starts
                from reference import _profiles

                hypothesis_state._profiles.update(_profiles._HYPOTHESIS_OWN)
                hypothesis_state.load_profile("ci")
                # no:unraisableexception: its two gc.collect() at the end of each session walk
                # this process's whole heap (torch's included), 0.2 s each
                status = pytest.main(["-p", "no:unraisableexception", *args])
            else:
                from reference._report.cli import main
                status = main(list(args))
        finally:
            for name in set(sys.modules) - modules:
                if str(folder) in str(getattr(sys.modules[name], "__file__", None)):
                    del sys.modules[name]
            sys.path[:] = path
        out = capsys.readouterr()
        return int(status), out.out + out.err
    return run_here


@pytest.fixture
def project(tmp_path):
    return Path(shutil.copytree(EXAMPLE, tmp_path / "own_project", ignore=shutil.ignore_patterns("__pycache__")))


def break_swish(project, line):
    layers = project / "own_layers" / "layers.py"
    source = layers.read_text()
    assert SWISH_BACKWARD in source
    layers.write_text(source.replace(SWISH_BACKWARD, line))


def test_pytest_and_the_main_job_check_both_layers_whatever_the_users_modules_are_named(project, here):
    # a module of the user's named like this project's package must not break theirs
    (project / "scratch.py").write_text("FC = None\n")
    status, out = run(project, "pytest", "-p", "no:cacheprovider", "-v")
    assert status == 0, out
    assert "own_layers/specs.py::check_layer[Swish] PASSED" in out
    assert "own_layers/specs.py::check_layer[Attention] PASSED" in out
    assert "reference: specs own_layers.specs:SPECS from " in out and "hypothesis profile ci" in out
    status, out = here(project, "reference", "--examples", "5")
    assert status == 0, out
    assert [line.split()[0] for line in out.splitlines()[1:3]] == ["Swish", "Attention"]
    assert "2 of 2 layers pass" in out
    status, out = run(project, "reference", "--examples", "3", "--builtin", "--layer", "FC")
    assert status == 2 and "`import scratch` finds" in out and "rename that module" in out


def test_a_broken_backward_fails_with_the_report_and_its_rerun_command_reproduces_it(project, here):
    break_swish(project, "        return dout * (s + x * s * (1.0 - s)) / len(x)\n")
    status, out = here(project, "pytest", "-p", "no:cacheprovider")
    assert status == 1
    assert "Swish: input x: backward disagrees with both finite differences and PyTorch: a bug in backward" in out
    assert "hint: backward = " in out and "x the true gradient everywhere" in out
    assert "Traceback" not in out and "1 failed, 1 passed" in out
    rerun = next(line.split("rerun: ", 1)[1] for line in out.splitlines() if "rerun: " in line)
    assert rerun.startswith("python -m reference --layer Swish --seed 0 --examples 20")
    status, again = here(project, *rerun.split()[2:])
    assert status == 1

    def elements(text):  # pytest's summary repeats the report on CI: each line once
        return list(dict.fromkeys(line for line in text.splitlines() if line.startswith("        at ")))
    assert elements(again) == elements(out) != []


def test_check_accepts_a_declared_spec_as_like(project, here):
    (project / "elsewhere.py").write_text(
        "from own_layers.layers import Swish\n\n\nclass MySwish(Swish):\n    pass\n")
    status, out = here(project, "reference", "check", "elsewhere.py:MySwish", "--like", "Swish", "--examples", "5")
    assert status == 0, out
    assert "elsewhere.MySwish, checked like Swish:" in out


def test_only_a_run_without_paths_or_naming_the_specs_file_collects_the_specs(project, here):
    (project / "test_other.py").write_text("def test_other():\n    pass\n")
    _, out = here(project, "pytest", "-p", "no:cacheprovider", "--co", "-q", "test_other.py")
    assert "check_layer" not in out and "test_other.py::test_other" in out
    _, out = here(project, "pytest", "-p", "no:cacheprovider", "--co", "-q", "own_layers/specs.py")
    assert "own_layers/specs.py::check_layer[Swish]" in out and "test_other" not in out


PROFILE_PROBE = ("from hypothesis import settings\n\n\ndef test_profile():\n"
                 "    print('PROFILE', settings.get_current_profile_name(), settings.default.max_examples)\n")


@pytest.fixture
def hypothesis_state():
    """The global profile state, restored after the test (activate changes it)."""
    from hypothesis import settings

    saved = dict(settings._profiles), settings.get_current_profile_name()
    yield settings
    settings._profiles.clear()
    settings._profiles.update(saved[0])
    settings.load_profile(saved[1])


@pytest.mark.parametrize("env, project_side, expected", [
    ({"CI": "true"}, None, ("ci", 20)),
    ({}, None, ("dev", 30)),
    ({"HYPOTHESIS_PROFILE": "many-seeds"}, None, ("many-seeds", 400)),
    # a project's own profile of one of our names, and one it loads itself, are left alone
    ({}, lambda s: s.register_profile("dev", max_examples=3), ("dev", 3)),
    ({"CI": "true"}, lambda s: (s.register_profile("mine", max_examples=7), s.load_profile("mine")), ("mine", 7)),
])
def test_the_profiles_are_shipped_and_a_projects_own_are_left_alone(hypothesis_state, monkeypatch, env,
                                                                    project_side, expected):
    from reference import _profiles

    settings = hypothesis_state
    settings._profiles.update(_profiles._HYPOTHESIS_OWN)  # as a new process starts: hypothesis's own
    settings.load_profile("ci" if env.get("CI") else "default")
    for name in _profiles.PROFILES:
        if name != "ci":
            settings._profiles.pop(name, None)
    for key in ("CI", "HYPOTHESIS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if project_side is not None:  # what a project's conftest.py does, before the plugin configures
        project_side(settings)
    assert _profiles.activate() == expected[0]
    assert settings.default.max_examples == expected[1]


def test_without_a_table_the_plugin_does_nothing(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'other'\nversion = '0'\n\n[tool.pytest.ini_options]\n")
    (tmp_path / "test_profile.py").write_text(PROFILE_PROBE)
    status, out = run(tmp_path, "pytest", "-p", "no:cacheprovider", "-s", "-q", env={"CI": None})
    assert status == 0 and "PROFILE default 100" in out and "check_layer" not in out, out


@pytest.mark.parametrize("table, message", [
    ('specs = "own_layers.specs"', '[tool.reference] needs specs = "module:ATTR"'),
    ('specs = "own_layers.nothing:SPECS"', "importing own_layers.nothing"),
    ('specs = "own_layers.specs:NOPE"', "has no NOPE"),
    ('specs = "own_layers.layers:Swish"', "must be a sequence of Spec"),
])
def test_a_wrong_declaration_is_named(project, here, table, message):
    """By the main job; the plugin shares its loader (and is shown failing below)."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('specs = "own_layers.specs:SPECS"', table))
    status, out = here(project, "reference")
    assert status == 2 and message in out, out


def test_a_wrong_declaration_fails_pytest_with_its_message(project, here):
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(":SPECS", ":NOPE"))
    status, out = here(project, "pytest", "-p", "no:cacheprovider", "-q")
    assert status not in (0, 5) and "reference: own_layers.specs" in out and "has no NOPE" in out, out
