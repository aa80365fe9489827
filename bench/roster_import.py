"""The roster import: 1,000 rows through the deployed stack, and one chunk's writes counted.

End to end, over HTTP on the throwaway local cloud: POST the CSV, then poll its status
until done (the deployed queue worker enrols the rows). In-process, with the call
hook of bench/calls.py: the worker's `enrol_chunk` on one chunk of 50 rows, to show
the roster writes are batched (BatchWriteItem, never a PutItem per person).
"""

from __future__ import annotations

import math
import time
import uuid
from importlib import import_module
from typing import Any

import boto3
import httpx

from bench.calls import DEMO_ORG, CallRecorder, Target
from local.token import id_token

ROWS = 1000
DEADLINE_S = 60.0
CHUNK = 50
BATCH = 25  # BatchWriteItem's limit; two items a person (entry and membership pointer)


def _csv(rows: int, tag: str) -> bytes:
    lines = ["display_name,email,phone,role,unit_path"]
    lines += [
        f"Student {n},bench-{tag}-{n}@example.com,,member,Grade 7/Class 7-2" for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def end_to_end(stack: dict[str, Any]) -> tuple[dict[str, Any], Target]:
    """Seconds from POST to `done` for ROWS rows, through API Gateway and the queue worker."""
    auth = {"Authorization": id_token(stack, "admin-li")}
    with httpx.Client(base_url=stack["api_url"] + "/", timeout=30) as api:
        started = time.perf_counter()
        answer = api.post(
            f"orgs/{DEMO_ORG}/imports",
            headers={**auth, "Content-Type": "text/csv"},
            content=_csv(ROWS, uuid.uuid4().hex[:8]),
        )
        if answer.status_code != 202:
            raise RuntimeError(f"import refused: {answer.status_code} {answer.text[:300]}")
        status: dict[str, Any] = {}
        while time.perf_counter() - started < 2 * DEADLINE_S:
            status = api.get(f"orgs/{DEMO_ORG}/imports/{answer.json()['id']}", headers=auth).json()
            if status.get("status") == "done":
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
    enrolled = int(status.get("enrolled", 0))
    done = status.get("status") == "done" and enrolled == ROWS
    data = {"rows": ROWS, "seconds": round(elapsed, 1), "enrolled": enrolled}
    target = Target(
        f"import of {ROWS} rows on the local cloud (POST to done)",
        f"< {DEADLINE_S:.0f} s, all enrolled",
        f"{elapsed:.1f} s, {enrolled} enrolled",
        done and elapsed < DEADLINE_S,
    )
    return data, target


def chunk_writes(stack: dict[str, Any], recorder: CallRecorder) -> tuple[dict[str, Any], Target]:
    """The AWS calls of the worker for one chunk of CHUNK rows (in-process, counted)."""
    worker = import_module("functions.orgs.import_worker")
    repository = import_module("functions.orgs.repository")
    imports = import_module("functions.orgs.imports")
    import_id = str(uuid.uuid4())
    tag = uuid.uuid4().hex[:8]
    # The import record, as POST /imports writes it: made with a session of its own (uncounted).
    setup = repository.OrgsRepository(
        boto3.session.Session().client("dynamodb"), stack["tables"]["orgs"]
    )
    stamp = "2026-01-01T00:00:00.000Z"
    setup.create_import(
        DEMO_ORG,
        {
            "import_id": import_id,
            "total": CHUNK,
            "done": 0,
            "enrolled": 0,
            "already_enrolled": 0,
            "rejected": [],
            "chunks_total": 1,
            "created_at": stamp,
            "updated_at": stamp,
        },
    )
    rows = [
        imports.ImportRow(
            line=n + 2,
            display_name=f"Chunk {n}",
            email=f"chunk-{tag}-{n}@example.com",
            phone=None,
            role="member",
            unit_id="class-7-2",
            username=f"chunk-{tag}-{n}@example.com",
        )
        for n in range(CHUNK)
    ]
    message = {
        "org_id": DEMO_ORG,
        "import_id": import_id,
        "chunk": 0,
        "actor_id": "bench",
        "actor_role": "org_admin",
        "rows": [imports.row_to_message(r) for r in rows],
    }
    first = len(recorder.calls)
    counted = worker.enrol_chunk(
        message, worker.repository(), worker.enroller(), worker.audit_log()
    )
    calls = recorder.calls[first:]
    ops: dict[str, int] = {}
    for call in calls:
        name = f"{call.service}.{call.operation}"
        ops[name] = ops.get(name, 0) + 1
    batches = ops.get("dynamodb.BatchWriteItem", 0)
    puts = ops.get("dynamodb.PutItem", 0)
    most = math.ceil(2 * CHUNK / BATCH)
    target = Target(
        f"import worker, one chunk of {CHUNK} rows: roster writes batched",
        f"<= {most} BatchWriteItem, no PutItem",
        f"{batches} BatchWriteItem, {puts} PutItem",
        counted and 0 < batches <= most and puts == 0,
    )
    return {"chunk_rows": CHUNK, "operations": ops}, target
