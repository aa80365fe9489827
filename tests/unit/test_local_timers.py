"""Workflow timers for the local cloud: fast values only for parameters the template has."""

from __future__ import annotations

import pytest

from local.timers import (
    FAST_TIMERS,
    SFN_WAIT_SCALE,
    fast_mode,
    template_parameters,
    timer_parameters,
    timers_in_force,
)

BEFORE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  StageName: {Type: String, Default: v1}
  LogRetentionDays: {Type: Number, Default: 30}
Resources:
  Topic: {Type: AWS::SNS::Topic}
"""
AFTER = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  StageName: {Type: String, Default: v1}
  LogRetentionDays: {Type: Number, Default: 30}
  ErasureSweepSeconds: {Type: Number, Default: 3900}
  RevocationCacheSeconds: {Type: Number, Default: 30}
  ImminentAckSeconds: {Type: Number, Default: 600}
Resources:
  Topic: {Type: AWS::SNS::Topic}
"""


def test_fast_timers_are_a_few_seconds_each() -> None:
    assert FAST_TIMERS["ErasureSweepSeconds"] == "5"
    assert FAST_TIMERS["RevocationCacheSeconds"] == "2"
    seconds = {name: value for name, value in FAST_TIMERS.items() if name.endswith("Seconds")}
    assert all(0 < int(value) <= 10 for value in seconds.values())
    # The one schedule among them: follow-up days, a day being FollowUpDaySeconds
    assert [int(d) for d in FAST_TIMERS["FollowUpDays"].split(",")] == [1, 2]
    # The sweep must outlast the revocation cache, in fast mode as by default
    assert int(FAST_TIMERS["ErasureSweepSeconds"]) > int(FAST_TIMERS["RevocationCacheSeconds"])


def test_wait_scale_stays_real_seconds() -> None:
    # 0 would skip the sweep's Wait state, the delay the fast timers keep at seconds
    assert SFN_WAIT_SCALE == 1


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, False), ({"LOCAL_FAST_TIMERS": "1"}, True), ({"LOCAL_FAST_TIMERS": "0"}, False)],
)
def test_fast_mode_reads_local_fast_timers(environ: dict[str, str], expected: bool) -> None:
    assert fast_mode(environ) is expected


def test_no_timer_is_passed_to_a_template_without_them() -> None:
    declared = template_parameters(BEFORE)
    assert timer_parameters(declared, fast=True) == {}
    assert timers_in_force(declared, {}) == {}


def test_fast_values_for_declared_timers_and_defaults_for_the_rest() -> None:
    # Given a template with two listed timers and one FAST_TIMERS does not know yet
    declared = template_parameters(AFTER)
    # When the parameters are chosen in fast mode
    fast = timer_parameters(declared, fast=True)
    # Then the listed ones are fast, the unknown one keeps its default, nothing else is passed
    assert fast == {
        "ErasureSweepSeconds": "5",
        "RevocationCacheSeconds": "2",
        "ImminentAckSeconds": "600",
    }
    assert timers_in_force(declared, fast) == fast


def test_defaults_are_passed_explicitly_when_not_fast() -> None:
    # So a stack deployed fast and redeployed slow gets its defaults back
    declared = template_parameters(AFTER)
    assert timer_parameters(declared, fast=False) == {
        "ErasureSweepSeconds": "3900",
        "RevocationCacheSeconds": "30",
        "ImminentAckSeconds": "600",
    }


def test_the_real_template_parses() -> None:
    declared = template_parameters()
    assert "StageName" in declared
    assert set(timer_parameters(declared, fast=True)) <= set(declared)
