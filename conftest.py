"""This repository's own test settings. The hypothesis profiles (ci, dev, many-seeds,
thorough) come from the reference pytest plugin (reference/_profiles.py), as in any project
that declares its specs; this file adds what only this repository needs.
"""
import os

# Before numpy is imported: the layers' matrices are tiny, so BLAS threads only cost, and
# with pytest -n 2 on 2 cores they oversubscribe the machine (a SimpleRNN backward was
# measured 50x slower with OpenBLAS spinning for cores the other worker holds).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import pytest  # noqa: E402
from hypothesis import HealthCheck, Phase, settings  # noqa: E402

# mutation: for `mutmut run` (pyproject.toml, [tool.mutmut]), selected with
# --hypothesis-profile=mutation. Half of ci's examples, derandomized, never shrunk and no
# example database: a mutant is killed by its first failing example, and shrinking that
# example (hundreds of reruns) only made mutants look like timeouts.
settings.register_profile("mutation", max_examples=10, derandomize=True, database=None, deadline=None,
                          phases=(Phase.explicit, Phase.generate),
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# The first torch.optim optimizer a process builds imports torch._dynamo (1.3 s): with
# pytest -n 2 the tests that build them run in one worker, every other test is handed out
# one by one as xdist's default ("load") does. (xdist_group marks would say this, but
# xdist 3.8's loadgroup cannot tag the node ids of pytest 9, whose nodeid is read-only.)
TORCH_OPTIM_TESTS = ("tests/test_optimizers.py::", "tests/test_optimizer_details.py::")


@pytest.hookimpl(optionalhook=True)  # -p no:xdist (mutmut) has no such hook
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class TorchOptimTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return "torch.optim" if nodeid.startswith(TORCH_OPTIM_TESTS) else nodeid

    return TorchOptimTogether(config, log)


def pytest_sessionstart(session):
    """Where tests run (an xdist worker, or pytest without -n), torch is imported first as the
    engine imports it, with the garbage collector off (reference/_engine/torch_twin.py), rather
    than by the first test module that imports it: collections during that import took a
    tenth of it. An xdist controller runs no test and never imports torch."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not session.config.getoption("numprocesses", None):
        import reference._engine.torch_twin  # noqa: F401


def pytest_collection_finish(session):
    """What collection imported (torch, hypothesis, numpy, the layers, the specs) stays for the
    whole run: moved out of the collector's reach, so that each full collection during the
    tests walks only what the tests made. Measured: 10-11 full collections per xdist worker,
    0.9-1.3 s of its run, walking torch's objects each time."""
    import gc

    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """An xdist worker's heap (torch, hypothesis, every layer) is left out of the collection
    the interpreter makes as it exits: that walk of it took 0.4-0.6 s of each worker's exit
    (measured: import torch, then exit, 0.48 s; with gc.freeze() first, 0.11 s), which the
    run waits for. The objects are not freed, they are never going to be used again; the
    run's own collections (pytest's unraisableexception plugin) are done by now."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import gc

        gc.freeze()
