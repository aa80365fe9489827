"""The crisis follow-up state machine's definition: well formed, every task retried and
caught, timeouts literal numbers (the emulator ignores TimeoutSecondsPath: DESIGN.md §3)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ASL = Path(__file__).resolve().parents[2] / "statemachines" / "crisis_followup.asl.json"
NUMBERS = {
    "AckTimeoutImminentSeconds": 300,
    "AckTimeoutHighSeconds": 1800,
    "AckTimeoutWatchSeconds": 86400,
    "FollowUpAnswerSeconds": 86400,
}


def definition() -> dict[str, Any]:
    text = ASL.read_text(encoding="utf-8")
    for name, value in NUMBERS.items():
        text = text.replace("${" + name + "}", str(value))
    text = text.replace("${CrisisStepsFunctionArn}", "arn:aws:lambda:us-east-1:1:function:steps")
    assert "${" not in text, re.findall(r"\$\{\w+\}", text)
    return dict(json.loads(text))


def targets(state: dict[str, Any]) -> list[str]:
    found = [state[k] for k in ("Next", "Default") if k in state]
    found += [c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])]
    return found


def test_every_transition_names_a_state_and_every_state_is_reached() -> None:
    states = definition()["States"]
    reached, todo = set(), [definition()["StartAt"]]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        assert name in states, name
        reached.add(name)
        todo += targets(states[name])
    assert reached == set(states)


def test_every_task_retries_with_backoff_and_is_caught() -> None:
    # A failing step delays the run but never ends it: each task retries with backoff,
    # then a Catch moves the run on (the issue: "Retry with backoff and Catch on every task").
    for name, state in definition()["States"].items():
        if state["Type"] != "Task":
            continue
        (retry,) = state["Retry"]
        assert retry["BackoffRate"] > 1 and retry["MaxAttempts"] >= 2, name
        # Never a timeout (States.TaskFailed matches every failure but one): States.ALL
        # would retry a wait that timed out four more times before moving on, and an
        # imminent case's five minutes before the next tier would become twenty-five.
        assert not {"States.ALL", "States.Timeout"} & set(retry["ErrorEquals"]), name
        assert any("States.ALL" in c["ErrorEquals"] for c in state.get("Catch", [])), name


def test_a_closure_wait_that_fails_pauses_and_waits_again() -> None:
    states = definition()["States"]
    (caught,) = [c for c in states["AwaitClosure"]["Catch"] if "States.ALL" in c["ErrorEquals"]]
    pause = states[caught["Next"]]
    assert pause["Type"] == "Wait" and pause["Next"] == "AwaitClosure"


def test_the_acknowledgement_timeouts_are_literal_numbers_per_severity() -> None:
    states = definition()["States"]
    timeouts = {
        n: s.get("TimeoutSeconds")
        for n, s in states.items()
        if n.startswith("AwaitAck") and s["Type"] == "Task"
    }
    assert timeouts == {
        "AwaitAckImminent": 300,
        "AwaitAckHigh": 1800,
        "AwaitAckWatch": 86400,
        "AwaitAckAfterAlarm": None,  # after the alarm, it waits for someone indefinitely
    }
    for name in ("AwaitAckImminent", "AwaitAckHigh", "AwaitAckWatch"):
        caught = [c["ErrorEquals"] for c in states[name]["Catch"]]
        assert ["States.Timeout"] in caught and states[name]["Catch"][0]["Next"] == "NextTier"
