"""Independent runs (a row per spec, a row per group of checks) in forked processes.

Every run draws from its own seed, so the results are the same in one process or several;
only the time differs. Where the platform cannot fork, they run here, one after another.
The parent does not import torch first: each worker imports it when a twin first runs, so
the runs that need no twin go on meanwhile (importing torch takes longer than most runs).
"""
import concurrent.futures
import multiprocessing
import os

_TASK = {}  # the function a forked worker calls: its parent's, copied by the fork


def default_jobs():
    return min(2, os.cpu_count() or 1)


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
