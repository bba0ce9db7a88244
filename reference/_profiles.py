"""The hypothesis profiles the pytest plugin ships, chosen by HYPOTHESIS_PROFILE.

ci:         derandomized, so a CI run is reproducible and a red build stays red; prints the
            reproduction blob. The default when the CI environment variable is set.
dev:        random examples, a few more than ci, so local runs keep exploring. The default
            elsewhere.
many-seeds: 20 times ci's examples, random: the no-false-alarm run of the generic checks,
            HYPOTHESIS_PROFILE=many-seeds pytest
thorough:   many more examples, for hunting rare failures before a release.

None has a deadline and none reports a slow draw: drawing a whole layer (sizes,
parameters, inputs) per example is slower than hypothesis expects from a strategy, by
design, and shared CI machines are noisy.
"""
import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILES = {
    "ci": dict(max_examples=20, derandomize=True, print_blob=True, **_COMMON),
    "dev": dict(max_examples=30, **_COMMON),
    "many-seeds": dict(max_examples=20 * 20, derandomize=False, database=None, print_blob=True, **_COMMON),
    "thorough": dict(max_examples=1000, **_COMMON),
}
# What hypothesis itself registers (its own "ci" is loaded when CI is set): replaced by ours,
# unlike a profile a project registers, which is left alone.
_HYPOTHESIS_OWN = {name: settings.get_profile(name) for name in ("default", "ci")}


def _registered(name):
    try:
        return settings.get_profile(name)
    except Exception:  # noqa: BLE001 - hypothesis raises InvalidArgument for an unknown name
        return None


def chosen_by_project():
    """True if the project has loaded a profile of its own (not hypothesis's defaults)."""
    current = settings.get_current_profile_name()
    return _HYPOTHESIS_OWN.get(current, object()) is not settings.get_profile(current)


def activate(explicit=None):
    """Register every profile whose name the project has not registered itself, then load
    one: `explicit` (hypothesis's --hypothesis-profile, which hypothesis then loads), else
    HYPOTHESIS_PROFILE, else ci or dev by the CI variable, unless the project has loaded a
    profile of its own. Returns the name of the profile in force."""
    project_chose = chosen_by_project()  # before registering: ours may replace hypothesis's ci
    for name, values in PROFILES.items():
        if _registered(name) in (None, _HYPOTHESIS_OWN.get(name)):
            settings.register_profile(name, **values)
    if explicit:
        return explicit
    asked = os.environ.get("HYPOTHESIS_PROFILE")
    if asked:
        if _registered(asked) is None:
            raise ValueError(f"HYPOTHESIS_PROFILE={asked!r} is not a registered hypothesis profile "
                             f"(this plugin registers {', '.join(PROFILES)})")
        settings.load_profile(asked)
    elif not project_chose:
        settings.load_profile("ci" if os.environ.get("CI") else "dev")
    return settings.get_current_profile_name()
