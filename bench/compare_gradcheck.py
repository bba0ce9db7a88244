"""Time the harness's gradient checks against torch.autograd.gradcheck, in one run.

    python bench/compare_gradcheck.py [--repeats N] [--quick]

On the same sizes and float64 data, for FC and SimpleRNN at a tiny, a medium and a large
size: the harness's default finite-difference check (random directions plus sampled
elements, element-wise on small tensors), its element-wise check of every element, and
torch.autograd.gradcheck in its default mode and with fast_mode=True on the matching
torch module (nn.Linear, nn.RNN), over every input and every parameter. Then the layers'
forward plus backward against the torch modules'. Medians of repeated runs, and ratios
against gradcheck measured in the same run (these machines are shared: only ratios from
one run mean anything). No test asserts any of this.
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # both sides single-threaded
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from reference import checks  # noqa: E402
from reference.registry import BY_NAME  # noqa: E402
from reference.reproduce import build_example  # noqa: E402
from reference.tolerances import FINITE_DIFFERENCES  # noqa: E402
from reference.twins import RNN, LINEAR  # noqa: E402

torch.set_num_threads(1)

SIZES = {
    "FC": {"tiny": dict(batch=2, n_in=3, n_out=4), "medium": dict(batch=4, n_in=16, n_out=32),
           "large": dict(batch=16, n_in=64, n_out=64)},
    "SimpleRNN": {"tiny": dict(batch=1, seq_len=3, n_features=2, n_nodes=4),
                  "medium": dict(batch=4, seq_len=10, n_features=8, n_nodes=32),
                  "large": dict(batch=8, seq_len=20, n_features=16, n_nodes=64)},
}
TWINS = {"FC": LINEAR, "SimpleRNN": RNN}


def median_time(run, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def example_for(name, sizes, seed=0):
    """A SimpleRNN/FC example at fixed sizes with standard-normal-ish data (float64)."""
    spec = BY_NAME[name]
    rng = np.random.default_rng(seed)
    layer = spec.build({**sizes, "seed": seed, "rng": rng})
    params = {k: rng.uniform(-0.5, 0.5, v.shape) for k, v in layer.params.items()}
    args = {k: rng.uniform(-1, 1, tuple(sizes[d] for d in decl.dims)) for k, decl in spec.inputs.items()}
    return build_example(spec, sizes, seed, params, args)


def harness_check(example, elementwise):
    """The finite-difference check over every input and parameter; elementwise forces every element."""
    saved = checks.ELEMENTWISE_MAX
    checks.ELEMENTWISE_MAX = 10**12 if elementwise else saved
    try:
        results = checks.finite_differences(example)
    finally:
        checks.ELEMENTWISE_MAX = saved
    return all(c.ok for c in results)


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per timing (median); default 5")
    parser.add_argument("--quick", action="store_true", help="skip gradcheck's default mode at the large sizes")
    args = parser.parse_args(argv)

    print(f"{'layer':<10}{'size':<8}{'elements':>9}{'default':>11}{'element':>11}{'gc fast':>11}"
          f"{'gc default':>12}{'default/fast':>14}{'element/gc':>12}  harness verdicts")
    for name, by_size in SIZES.items():
        for size, sizes in by_size.items():
            example = example_for(name, sizes)
            f, inputs = torch_function(name, example)
            elements = sum(t.numel() for t in inputs)
            verdicts = "/".join("pass" if harness_check(example, e) else "FAIL" for e in (False, True))
            default = median_time(lambda: harness_check(example, False), args.repeats)
            element = median_time(lambda: harness_check(example, True), max(1, args.repeats // 2))
            fast = median_time(lambda: torch.autograd.gradcheck(f, inputs, fast_mode=True), args.repeats)
            if args.quick and size == "large":
                slow = float("nan")
            else:
                slow = median_time(lambda: torch.autograd.gradcheck(f, inputs), 1 if size != "tiny" else 3)
            print(f"{name:<10}{size:<8}{elements:>9}{default * 1e3:>9.2f}ms{element * 1e3:>9.1f}ms"
                  f"{fast * 1e3:>9.2f}ms{slow:>11.3f}s{default / fast:>14.3f}{element / slow:>12.4f}  {verdicts}",
                  flush=True)

    print(f"\n{'forward+backward':<34}{'scratch':>12}{'torch':>12}{'ratio':>9}")
    for name, sizes in (("SimpleRNN", dict(batch=32, seq_len=50, n_features=16, n_nodes=128)),
                        ("SimpleRNN", dict(batch=1, seq_len=3, n_features=2, n_nodes=4)),
                        ("FC", dict(batch=64, n_in=256, n_out=256)), ("FC", dict(batch=1, n_in=2, n_out=3))):
        example = example_for(name, sizes)
        scratch_time = median_time(forward_backward_scratch(example), args.repeats * 20)
        torch_time = median_time(forward_backward_torch(name, example), args.repeats * 20)
        label = f"{name} " + ",".join(str(v) for v in sizes.values())
        print(f"{label:<34}{scratch_time * 1e3:>10.3f}ms{torch_time * 1e3:>10.3f}ms{scratch_time / torch_time:>9.2f}")
    print(f"\n(finite-difference tolerance atol={FINITE_DIFFERENCES.atol:g}, rtol={FINITE_DIFFERENCES.rtol:g}; "
          "gradcheck at its defaults; one BLAS thread and one torch thread on both sides)")


if __name__ == "__main__":
    main()
