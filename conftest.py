"""Hypothesis profiles, registered once and chosen by HYPOTHESIS_PROFILE.

ci:       derandomized, so a CI run is reproducible and a red build stays red; no
          deadline (shared CI machines are noisy); prints the reproduction blob.
          The default when the CI environment variable is set.
dev:      random examples, a few more than ci, so local runs keep exploring.
          The default elsewhere.
mutation: half of ci's examples, derandomized, never shrunk, for `mutmut run` (pyproject.toml); selected with
          --hypothesis-profile=mutation.
many-seeds: 20 times ci's examples, random (not derandomized): the no-false-alarm run
          of the generic checks on the correct layers, e.g.
          HYPOTHESIS_PROFILE=many-seeds python -m pytest -n 2 tests/test_checks.py
thorough: many more examples, for hunting rare failures before a release
          (HYPOTHESIS_PROFILE=thorough pytest).
"""
import os

# Before numpy is imported: the layers' matrices are tiny, so BLAS threads only cost, and
# with pytest -n 2 on 2 cores they oversubscribe the machine (a SimpleRNN backward was
# measured 50x slower with OpenBLAS spinning for cores the other worker holds).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from hypothesis import HealthCheck, Phase, settings  # noqa: E402

# Drawing a whole layer (sizes, parameters, inputs) per example is slower than
# hypothesis expects from a strategy; that is by design, not a problem to report.
_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=20, derandomize=True, print_blob=True, **_common)
settings.register_profile("dev", max_examples=30, **_common)
# No shrinking and no example database: a mutant is killed by its first failing example,
# and shrinking that example (hundreds of reruns) only made mutants look like timeouts.
settings.register_profile("mutation", max_examples=10, derandomize=True, database=None,
                          phases=(Phase.explicit, Phase.generate), **_common)
settings.register_profile("many-seeds", max_examples=20 * 20, derandomize=False, database=None, print_blob=True,
                          **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
