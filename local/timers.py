"""Workflow waits, timeouts and sweep delays: the template's defaults, or seconds for tests.

FAST_TIMERS is the one place that lists the timer parameters of template.yaml and
the few-second values the test suite always deploys and `make run` deploys with
LOCAL_FAST_TIMERS=1. A timer issue that adds a parameter to the template adds it
here too. Only parameters the template declares are passed, so this file may
name a parameter before the template has it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from local.template import load_template

FAST_TIMERS: dict[str, str] = {
    "ErasureSweepSeconds": "5",
    "RevocationCacheSeconds": "2",
    "RosterCacheSeconds": "2",
    "AckTimeoutImminentSeconds": "4",
    "AckTimeoutHighSeconds": "4",
    "AckTimeoutWatchSeconds": "4",
    "FollowUpDaySeconds": "1",
    "FollowUpAnswerSeconds": "3",
    # Two follow-ups, not four: the schedule's shape, in a few seconds.
    "FollowUpDays": "1,2",
}

# The emulator's factor on Step Functions Wait states (and retry intervals); 0 makes
# them instant. It stays 1 (real seconds) in fast mode too: 0 would also skip the
# erasure sweep's wait, the very delay the fast timers shorten to a few seconds.
SFN_WAIT_SCALE_KEY = "stepfunctions._SFN_WAIT_SCALE"
SFN_WAIT_SCALE = 1


def fast_mode(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether `make run` was asked for the fast timers (LOCAL_FAST_TIMERS=1)."""
    return environ.get("LOCAL_FAST_TIMERS", "").strip() == "1"


def template_parameters(text: str | None = None) -> dict[str, dict[str, Any]]:
    """The Parameters section of template.yaml (or of `text`), by name."""
    template = load_template(text)
    return {str(name): dict(spec) for name, spec in (template.get("Parameters") or {}).items()}


def is_timer(name: str) -> bool:
    """A timer parameter: listed in FAST_TIMERS, or a template parameter counted in seconds."""
    return name in FAST_TIMERS or name.endswith("Seconds")


def timer_parameters(declared: Mapping[str, Mapping[str, Any]], *, fast: bool) -> dict[str, str]:
    """Every timer parameter the template declares, with the value to deploy.

    Defaults are passed explicitly as well, so a stack that was deployed fast and is
    redeployed slow (or the reverse) always ends up with the values recorded.
    """
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if not is_timer(name):
            continue
        if fast and name in FAST_TIMERS:
            values[name] = FAST_TIMERS[name]
        elif "Default" in spec:
            values[name] = str(spec["Default"])
    return values


def timers_in_force(
    declared: Mapping[str, Mapping[str, Any]], deployed: Mapping[str, str]
) -> dict[str, str]:
    """The timer values the stack runs with: what was deployed, else the template default."""
    return {
        name: str(deployed.get(name, spec.get("Default", "")))
        for name, spec in declared.items()
        if is_timer(name)
    }
