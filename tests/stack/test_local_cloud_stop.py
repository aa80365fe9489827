"""Stopping the local cloud ends every process it started, and soon, however many are warm.

A throwaway emulator of its own (not the session's cloud): warm Lambda workers, one
of which has started a process in a session of its own, then stop() and look.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from local.deploy import aws_client
from local.emulator import REGION, Emulator, free_port, process_table, process_tree

WORKERS_PER_FUNCTION = 4
FUNCTIONS = ("stop-probe-a", "stop-probe-b")
# Generous: stop() takes about 2 s (at most about 4 s); a behaviour check, not a benchmark.
STOP_DEADLINE_SECONDS = 10.0

HANDLER = """
import os, subprocess, time

def handler(event, context):
    if event.get("detach"):
        # A process in a session of its own: out of reach of the worker's process group.
        subprocess.Popen(["sleep", "120"], start_new_session=True)
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "pgid": os.getpgid(0), "sid": os.getsid(0)}
"""


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("probe.py", HANDLER)
    return buffer.getvalue()


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    emulator = Emulator(free_port()).start(state_dir=tmp_path / "state")
    try:
        yield emulator
    finally:
        emulator.stop()  # safe to repeat


def _warm(emulator: Emulator) -> list[dict[str, Any]]:
    """Several workers per function: concurrent invocations that each hold one for a second."""
    lam = aws_client("lambda", emulator.endpoint, REGION)
    for name in FUNCTIONS:
        lam.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role="arn:aws:iam::000000000000:role/stop-probe",
            Handler="probe.handler",
            Code={"ZipFile": _code()},
            Timeout=30,
        )

    def invoke(job: tuple[str, int]) -> dict[str, Any]:
        name, n = job
        client = aws_client("lambda", emulator.endpoint, REGION)
        payload = {"sleep": 1, "detach": n == 0}
        result = client.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
        return dict(json.loads(result["Payload"].read()))

    jobs = [(name, n) for name in FUNCTIONS for n in range(WORKERS_PER_FUNCTION)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(invoke, jobs))


def test_stop_ends_every_process_of_the_emulator_soon(emulator: Emulator, tmp_path: Path) -> None:
    # Given an emulator with warm workers, one detached process each, and some state
    assert emulator.process is not None
    root = emulator.process.pid
    answers = _warm(emulator)
    workers = {a["pid"] for a in answers}
    assert len(workers) >= len(FUNCTIONS) * 2, answers
    aws_client("dynamodb", emulator.endpoint, REGION).create_table(
        TableName="stop-probe",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    before = process_tree(root)
    assert workers <= set(before)
    detached = {pid: p for pid, p in before.items() if p.sid not in (root, -1)}
    assert len(detached) >= len(FUNCTIONS) or before[root].sid == -1, before

    # When it is stopped
    started = time.monotonic()
    emulator.stop()
    took = time.monotonic() - started

    # Then none of its processes is left, not even those outside its group
    now = process_table()
    left = [p for pid, p in before.items() if pid in now and now[pid].started == p.started]
    assert left == []
    assert process_tree(root) == {}
    assert took < STOP_DEADLINE_SECONDS
    # And it still saved its state on the way out, for its owner's eyes only
    saved = tmp_path / "state" / "dynamodb.json"
    assert "stop-probe" in saved.read_text()
    assert (saved.stat().st_mode & 0o777, saved.parent.stat().st_mode & 0o777) == (0o600, 0o700)
