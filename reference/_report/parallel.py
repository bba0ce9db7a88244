"""Independent runs (a row per spec, a row per group of checks) in forked processes.

Every run draws from its own seed, so the results are the same in one process or several;
only the time differs. Where the platform cannot fork, they run here, one after another.
"""
import concurrent.futures
import importlib
import multiprocessing
import os

_TASK = {}  # the function a forked worker calls: its parent's, copied by the fork


def default_jobs():
    return min(2, os.cpu_count() or 1)


def prepare(specs):
    """Import torch here when a twin will run: the forked workers then share it (copied by the
    fork) instead of each importing it anew."""
    if any(spec.twin is not None for spec in specs):
        importlib.import_module("reference._engine.torch_twin")


def ordered(function, count, jobs):
    """[function(0), ..., function(count - 1)], yielded in order as they are done."""
    if jobs == 1 or count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(function, range(count))
        return
    _TASK["function"] = function
    with concurrent.futures.ProcessPoolExecutor(min(jobs, count), mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_call, range(count))


def _call(index):
    return _TASK["function"](index)
