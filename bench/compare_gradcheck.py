"""Time the harness's gradient checks against torch.autograd.gradcheck, in one run.

    python bench/compare_gradcheck.py [--repeats N] [--quick] [--elements K] [--only SECTION]

timing: on the same sizes and float64 data, for FC and SimpleRNN at a tiny, a medium and
a large size, the harness's default finite-difference check (reference/fd_check.py),
its check of every element, and torch.autograd.gradcheck in its default mode and with
fast_mode=True on the matching torch module (nn.Linear, nn.RNN), over every input and
every parameter; floor/gc is two bare forward calls per parameter element against
gradcheck's default mode, the least an element-wise check of the parameters can take.
catches: at SimpleRNN's medium size, the planted SimpleRNN bugs, and one W_h gradient
element scaled by 1.001 and by 1 + 1e-5 (each of K random elements in turn)
against the same checks and gradcheck. forward-backward: the layers' forward plus
backward against the torch modules'. Medians of interleaved repeated runs, and ratios
measured in the same run (these machines are shared: only ratios from one run mean
anything). No test asserts any of this.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # both sides single-threaded
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from reference._engine import checks  # noqa: E402
from reference._engine.checks import run_checks  # noqa: E402
from reference._selftest.planted import CATALOG, scaled_gradient, variant_spec  # noqa: E402
from reference._builtin.specs import BY_NAME  # noqa: E402
from reference._report.reproduce import example_at  # noqa: E402
from reference._engine.run import forward_backward  # noqa: E402
from reference._spec.tolerances import FINITE_DIFFERENCES  # noqa: E402
from reference._builtin.twins import RNN, LINEAR  # noqa: E402

torch.set_num_threads(1)

SIZES = {
    "FC": {"tiny": dict(batch=2, n_in=3, n_out=4), "medium": dict(batch=4, n_in=16, n_out=32),
           "large": dict(batch=16, n_in=64, n_out=64)},
    "SimpleRNN": {"tiny": dict(batch=1, seq_len=3, n_features=2, n_nodes=4),
                  "medium": dict(batch=4, seq_len=10, n_features=8, n_nodes=32),
                  "large": dict(batch=8, seq_len=20, n_features=16, n_nodes=64)},
}
TWINS = {"FC": LINEAR, "SimpleRNN": RNN}


# What each section measured, for "what holds" at the end: (what, measured, line, unit).
# The lines are issue 16's; a ratio is against gradcheck in the same run, a time is wall
# time on this machine (an idle one, for the record).
MEASURED = []
LINES = {("default/fast", "SimpleRNN", "medium"): 0.15, ("default/fast", "SimpleRNN", "large"): 0.25,
         **{("default/fast", "FC", size): 0.3 for size in ("tiny", "medium", "large")}}
COMMAND_LINES = {"red: pytest -n 2 (planted bug)": 5.0, "red: python -m reference --layer SimpleRNN:rnn-wh-overwritten": 3.0,
                 "green: python -m reference (all specs)": 8.0, "check: cannot adapt": 0.5,
                 "check: an FC-like layer that passes": 2.0, "green: python -m pytest -n 2 (this repository)": 20.0}


def median_time(run, repeats):
    return median_times([run], repeats)[0]


def median_times(runs, repeats):
    """The median time of each run, the runs interleaved (a, b, a, b, ...) so that both
    see the same load on a shared machine."""
    times = [[] for _ in runs]
    for _ in range(repeats):
        for run, spent in zip(runs, times):
            start = time.perf_counter()
            run()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def example_for(name, sizes, seed=0, spec=None):
    """A SimpleRNN/FC example at fixed sizes with uniform data (float64); `spec` overrides
    the registered spec of that name (a planted variant)."""
    return example_at(BY_NAME[name] if spec is None else spec, sizes, seed)


def harness_check(example, elementwise):
    """The finite-difference check over every input and parameter; elementwise forces every element.
    The analytic forward and backward, which the checks of one example share, is timed too."""
    example.memo.clear()  # run.plain: computed anew, as for a new example
    return all(c.ok for c in checks.finite_differences(example, every_element=elementwise))


class _Called(torch.nn.Module):
    """The twin's module called the way the twin calls it (h0 shapes, return value)."""

    def __init__(self, twin, module, config, names):
        super().__init__()
        self.inner, self.twin, self.config, self.names = module, twin, config, names

    def forward(self, *xs):
        return self.twin.call(self.inner, self.config, **dict(zip(self.names, xs)))


def torch_function(name, example):
    """(f, inputs): f(*inputs) is the twin's output as a function of the inputs and every parameter."""
    twin = TWINS[name]
    module = twin.module(example.config).double()
    names = list(example.args)
    called = _Called(twin, module, example.config, names)
    weights = {f"inner.{key}": torch.tensor(np.ascontiguousarray(value(example.layer.params)), requires_grad=True)
               for key, value in twin.load.items()}
    tensors = [torch.tensor(example.args[k], requires_grad=True) for k in names]

    def f(*values):
        state = dict(zip(weights, values[len(names):]))
        return torch.func.functional_call(called, state, tuple(values[:len(names)]))

    return f, tuple(tensors + list(weights.values()))


def forward_backward_scratch(example):
    layer, args, upstream = example.fresh_layer(), example.args, example.upstream

    def run():
        layer.forward(**args)
        layer.backward(upstream)
    return run


def forward_backward_torch(name, example):
    f, inputs = torch_function(name, example)
    upstream = torch.from_numpy(example.upstream)

    def run():
        for t in inputs:
            t.grad = None
        f(*inputs).backward(upstream)
    return run


class _ScaleOneGradient(torch.autograd.Function):
    """Identity forward; backward scales one element of the incoming gradient."""

    @staticmethod
    def forward(ctx, weight, index, factor):
        ctx.index, ctx.factor = index, factor
        return weight.clone()

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        grad[ctx.index] *= ctx.factor
        return grad, None, None


def gradcheck_passes(f, inputs, fast_mode, scaled=(), factor=1.0):
    """gradcheck at its default tolerances, W_h's gradient scaled at `scaled` (our (i, j)
    is torch's weight_hh[j, i]) by `factor`; True when it raises no mismatch."""
    position = 2 + 1  # x, h0, weight_ih, weight_hh, ...

    def g(*values):
        values = list(values)
        for i, j in scaled:
            values[position] = _ScaleOneGradient.apply(values[position], (j, i), factor)
        return f(*values)
    try:
        return torch.autograd.gradcheck(g, inputs, fast_mode=fast_mode)
    except RuntimeError as error:  # gradcheck raises on a mismatch (raise_exception=True)
        if "Jacobian mismatch" not in str(error):
            raise
        return False


def parameter_floor(example, repeats):
    """Two forward calls per parameter element, the layer's own forward and nothing else:
    the least that differencing every parameter element can take while every forward call
    runs the layer with one set of parameters (a changed weight changes every sample, so
    these calls cannot be stacked along the batch the way the inputs' are)."""
    layer, args = example.fresh_layer(), example.args
    one_forward = median_time(lambda: layer.forward(**args), 10 * repeats)
    return 2 * sum(v.size for v in layer.params.values()) * one_forward


def timing_table(args):
    print(f"{'layer':<10}{'size':<8}{'elements':>9}{'default':>11}{'element':>11}{'gc fast':>11}"
          f"{'gc default':>12}{'default/fast':>14}{'element/gc':>12}{'floor/gc':>10}  harness verdicts")
    for name, by_size in SIZES.items():
        for size, sizes in by_size.items():
            example = example_for(name, sizes)
            f, inputs = torch_function(name, example)
            elements = sum(t.numel() for t in inputs)
            verdicts = "/".join("pass" if harness_check(example, e) else "FAIL" for e in (False, True))
            torch.autograd.gradcheck(f, inputs, fast_mode=True)  # its first call is slower: warm both up
            default, fast = median_times([lambda: harness_check(example, False),
                                          lambda: torch.autograd.gradcheck(f, inputs, fast_mode=True)],
                                         args.repeats)
            if args.quick and size == "large":
                element, slow = median_time(lambda: harness_check(example, True), 1), float("nan")
            else:
                element, slow = median_times([lambda: harness_check(example, True),
                                              lambda: torch.autograd.gradcheck(f, inputs)],
                                             1 if size != "tiny" else 3)
            floor = parameter_floor(example, args.repeats)
            line = LINES.get(("default/fast", name, size))
            if line is not None:
                MEASURED.append((f"default check / gradcheck fast, {name} {size}", default / fast, line, ""))
            print(f"{name:<10}{size:<8}{elements:>9}{default * 1e3:>9.2f}ms{element * 1e3:>9.1f}ms"
                  f"{fast * 1e3:>9.2f}ms{slow:>11.3f}s{default / fast:>14.3f}{element / slow:>12.4f}"
                  f"{floor / slow:>10.4f}  {verdicts}", flush=True)


def catches(args):
    """What each check notices at SimpleRNN's medium size: the planted SimpleRNN bugs, and one
    element of W_h's gradient scaled by 1.001 and by 1 + 1e-5."""
    sizes = SIZES["SimpleRNN"]["medium"]
    missed_by_all = []
    print(f"\nplanted bugs at SimpleRNN {tuple(sizes.values())}: caught by the default finite-difference "
          "check / by every default check")
    for bug in CATALOG:
        if bug.spec.startswith("SimpleRNN"):
            example = example_for(bug.spec, sizes, spec=variant_spec(bug, BY_NAME[bug.spec]))
            by_fd = not harness_check(example, False)
            by_all = not all(c.ok for c in run_checks(example))
            missed_by_all.extend([] if by_all else [bug.name])
            print(f"  {bug.name:<28}{'caught' if by_fd else 'missed':>8}{'caught' if by_all else 'missed':>8}"
                  f"   {bug.description}")
    MEASURED.append(("planted SimpleRNN bugs missed by every default check", len(missed_by_all), 0, ""))
    example = example_for("SimpleRNN", sizes)
    n = example.layer.params["W_h"].shape[0]
    rng = np.random.default_rng(1)
    picked = [tuple(int(v) for v in divmod(int(k), n)) for k in rng.choice(n * n, args.elements, replace=False)]
    grads = forward_backward(example)[2]["W_h"]
    f, inputs = torch_function("SimpleRNN", example)
    print(f"\none element of W_h's gradient scaled, each of {len(picked)} random elements in turn "
          f"(|gradient| {min(abs(grads[i]) for i in picked):.2g} to {max(abs(grads[i]) for i in picked):.2g}):")
    for factor in (1.001, 1 + 1e-5):
        caught = {"default": 0, "element-wise": 0, "gc fast": 0}
        for index in picked:
            scaled = example_for("SimpleRNN", sizes, spec=scaled_gradient(BY_NAME["SimpleRNN"], "W_h", index, factor))
            caught["default"] += not harness_check(scaled, False)
            caught["element-wise"] += not harness_check(scaled, True)
            caught["gc fast"] += not gradcheck_passes(f, inputs, True, [index], factor)
        if factor == 1.001:
            MEASURED.append(("one W_h element x 1.001 caught by the default check, of",
                             caught["default"], len(picked), "min"))
        # gradcheck's default mode compares every Jacobian entry on its own, so all the
        # elements scaled at once are missed only if each one alone is.
        slow = "not run" if args.quick else (
            "missed" if gradcheck_passes(f, inputs, False, picked, factor) else "caught")
        print(f"  x {factor!r:<10}" + "".join(f"{k} {v}/{len(picked)}   " for k, v in caught.items())
              + f"gc default (all {len(picked)} at once) {slow}")


def forward_backward_table(args):
    print(f"\n{'forward+backward':<34}{'scratch':>12}{'torch':>12}{'ratio':>9}")
    for name, sizes in (("SimpleRNN", dict(batch=32, seq_len=50, n_features=16, n_nodes=128)),
                        ("SimpleRNN", dict(batch=1, seq_len=3, n_features=2, n_nodes=4)),
                        ("FC", dict(batch=64, n_in=256, n_out=256)), ("FC", dict(batch=1, n_in=2, n_out=3))):
        example = example_for(name, sizes)
        scratch_time, torch_time = median_times([forward_backward_scratch(example),
                                                 forward_backward_torch(name, example)], args.repeats * 20)
        label = f"{name} " + ",".join(str(v) for v in sizes.values())
        print(f"{label:<34}{scratch_time * 1e3:>10.3f}ms{torch_time * 1e3:>10.3f}ms{scratch_time / torch_time:>9.2f}")


ROOT = Path(__file__).resolve().parents[1]
PLANTED_PROJECT = {
    "pyproject.toml": '[tool.reference]\nspecs = "planted_specs:SPECS"\n\n[tool.pytest.ini_options]\n',
    "planted_specs.py": ("from reference._builtin.specs import BY_NAME\n"
                         "from reference._selftest.planted import CATALOG, variant_spec\n\n"
                         "BUG = next(b for b in CATALOG if b.name == 'rnn-wh-overwritten')\n"
                         "SPECS = [variant_spec(BUG, BY_NAME['SimpleRNN'])]\n"),
}
NOT_A_LAYER = "class ForwardOnly:\n    def forward(self, x):\n        return x\n"


def wall_time(command, cwd, repeats):
    """(median seconds, the last run's output) of a command run as a user runs it."""
    env = {**os.environ, "CI": "true", "PYTHONPATH": str(ROOT)}
    spent, out = [], ""
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        spent.append(time.perf_counter() - start)
        out = done.stdout + done.stderr
    return statistics.median(spent), out


def commands(args):
    """Time to a verdict, as a user waits for it: wall time of whole commands (interpreter start,
    imports, checks), against `import torch` alone in the same run, the floor of anything
    that runs a twin. A planted SimpleRNN bug (W_h gradient overwritten at each step) in a
    project of its own: red in pytest with the README's test command, and in the main job."""
    python, repeats = sys.executable, args.command_repeats
    with tempfile.TemporaryDirectory() as folder:
        for name, text in PLANTED_PROJECT.items():
            Path(folder, name).write_text(text)
        Path(folder, "not_a_layer.py").write_text(NOT_A_LAYER)
        runs = [
            ("import torch (baseline)", [python, "-c", "import torch"], folder),
            ("red: pytest -n 2 (planted bug)", [python, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider"], folder),
            ("red: python -m reference --layer SimpleRNN:rnn-wh-overwritten",
             [python, "-m", "reference", "--layer", "SimpleRNN:rnn-wh-overwritten"], str(ROOT)),
            ("green: python -m reference (all specs)", [python, "-m", "reference"], str(ROOT)),
            ("check: cannot adapt", [python, "-m", "reference", "check", "not_a_layer.py:ForwardOnly", "--like", "FC"],
             folder),
            ("check: an FC-like layer that passes",
             [python, "-m", "reference", "check", "reference.examples.exercise_fixed:FC", "--like", "FC"], folder),
        ]
        if args.suite:
            runs.append(("green: python -m pytest -n 2 (this repository)",
                         [python, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q"], str(ROOT)))
        print(f"\n{'command (wall time, median of ' + str(repeats) + ')':<66}{'seconds':>9}{'/ import torch':>16}")
        baseline = None
        for label, command, cwd in runs:
            seconds, out = wall_time(command, cwd, repeats)
            baseline = baseline or seconds
            print(f"{label:<66}{seconds:>9.2f}{seconds / baseline:>16.2f}", flush=True)
            if label in COMMAND_LINES:
                MEASURED.append((label, seconds, COMMAND_LINES[label], "s"))
            found = [line.strip() for line in out.splitlines() if "smallest failing example found" in line]
            if label.startswith("red") and found:
                print(f"    {found[0]}")


def what_holds():
    """Each measured figure against its line: a ratio or a time at most the line, a count of
    catches at least it; "near" where it sits within 10% of the line (rerun: median of 3)."""
    lines = [f"{'what holds':<66}{'measured':>9}{'line':>8}  verdict"]
    for what, value, line, unit in MEASURED:
        at_least = unit == "min"
        holds = value >= line if at_least else value <= line
        near = line and abs(value - line) <= 0.1 * line and not at_least
        shown = f"{value:.3f}" if isinstance(value, float) and not unit else (
            f"{value:.2f}s" if unit == "s" else f"{value}")
        limit = f"{'>=' if at_least else '<='}{line:g}{'s' if unit == 's' else ''}"
        lines.append(f"{what:<66}{shown:>9}{limit:>8}  {'holds' if holds else 'DOES NOT HOLD'}"
                     + (" (within 10% of the line)" if near and holds else ""))
    return "\n".join(lines)


class _Tee:
    """stdout, also kept (for --record)."""

    def __init__(self, stream):
        self.stream, self.kept = stream, []

    def write(self, text):
        self.kept.append(text)
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per timing (median); default 5")
    parser.add_argument("--quick", action="store_true",
                        help="skip gradcheck's default mode at the large sizes and in the catches")
    parser.add_argument("--elements", type=int, default=10, help="W_h elements scaled in turn; default 10")
    parser.add_argument("--command-repeats", type=int, default=3, help="runs per command timed; default 3")
    parser.add_argument("--suite", action="store_true", help="also time this repository's whole test suite")
    parser.add_argument("--only", choices=("timing", "catches", "forward-backward", "commands"), action="append",
                        help="run only these sections (repeatable); default all")
    parser.add_argument("--record", metavar="DIR",
                        help="also write the whole output to DIR/last-run.txt and what holds to DIR/what-holds.txt")
    args = parser.parse_args(argv)
    tee = sys.stdout = _Tee(sys.stdout)
    sections = {"timing": timing_table, "catches": catches, "forward-backward": forward_backward_table,
                "commands": commands}
    for section, run in sections.items():
        if args.only is None or section in args.only:
            run(args)
    print(f"\n(finite-difference tolerance {FINITE_DIFFERENCES} plus round-off per difference; gradcheck at "
          "its defaults; one BLAS thread and one torch thread on both sides; runs interleaved)")
    holds = what_holds()
    print("\n" + holds)
    sys.stdout = tee.stream
    if args.record:
        Path(args.record).mkdir(parents=True, exist_ok=True)
        Path(args.record, "last-run.txt").write_text("".join(tee.kept).lstrip("\n"))
        Path(args.record, "what-holds.txt").write_text(holds + "\n")


if __name__ == "__main__":
    main()
