"""Roster imports from CSV: checked at once, enrolled by the queue worker, progress on GET."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from functions.orgs.imports import BadCsv, chunks, parse_roster_csv, row_to_message
from functions.orgs.roster_models import ImportStarted, ImportStatus, RejectedRow
from functions.orgs.tree import resolve_path, unit_paths
from functions.orgs.wiring import Admin, Audit, Queue, Repo, org_settings
from shared.clock import utc_iso
from shared.errors import MalformedRequest, NotFound, UnsupportedMediaType
from shared.http import problem_responses
from shared.routing import Now

router = APIRouter()
ERRORS = problem_responses(400, 401, 403, 404, 413, 415, 422)
CSV = "text/csv"
MAX_CSV_BYTES = 1024 * 1024
CHUNK_ROWS = 50  # one queue message: 100 Cognito calls and 4 batched writes in the worker
ImportId = Annotated[uuid.UUID, Path(alias="id", description="The import's id")]


def import_status(record: dict[str, Any]) -> ImportStatus:
    done = int(record.get("done", 0))
    total = int(record["total"])
    finished = done >= total
    state = "failed" if record.get("failed") and not finished else "done" if finished else "running"
    return ImportStatus(
        id=record["import_id"],
        status=state,
        total=total,
        done=done,
        enrolled=int(record.get("enrolled", 0)),
        already_enrolled=int(record.get("already_enrolled", 0)),
        rejected=sorted(
            (RejectedRow(line=int(r[0]), reason=str(r[1])) for r in record.get("rejected") or ()),
            key=lambda r: r.line,
        ),
        created_at=record["created_at"],
        finished_at=record.get("updated_at") if finished else None,
    )


@router.post(
    "/orgs/{org_id}/imports",
    status_code=202,
    response_model=ImportStarted,
    responses=ERRORS,
    summary="Import people from a CSV file (Content-Type: text/csv, at most 1 MB)",
    description=(
        "Columns `display_name,email,phone,role,unit_path` (UTF-8, with or without BOM); "
        "`unit_path` like `Grade 7/Class 7-2`. Answers 202 with the import's id at once; "
        "`GET /orgs/{org_id}/imports/{id}` shows progress and, at the end, every rejected "
        "row with its line number. People already on the roster are not enrolled twice, "
        "so sending the same file again is safe."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {CSV: {"schema": {"type": "string"}}},
        }
    },
)
async def start_import(
    request: Request,
    actor: Admin,
    repo: Repo,
    queue: Queue,
    audit: Audit,
    now: Now,
    response: Response,
) -> ImportStarted:
    org_id = actor.org_id
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != CSV:
        raise UnsupportedMediaType("Send the file with Content-Type: text/csv.")
    org_settings(repo, org_id)
    body = await request.body()
    paths = unit_paths(repo.units(org_id))
    try:
        parsed = parse_roster_csv(body, lambda text: resolve_path(paths, text))
    except BadCsv as error:
        raise MalformedRequest(f"The CSV file cannot be read: {error}") from error
    import_id = str(uuid.uuid4())
    stamp = utc_iso(now())
    batches = chunks(parsed.rows, CHUNK_ROWS)
    repo.create_import(
        org_id,
        {
            "import_id": import_id,
            "total": parsed.total,
            "done": len(parsed.rejected),
            "enrolled": 0,
            "already_enrolled": 0,
            "rejected": [[r.line, r.reason] for r in parsed.rejected],
            "chunks_total": len(batches),
            "created_by": actor.user_id,
            "created_at": stamp,
            "updated_at": stamp,
        },
    )
    audit(actor, "roster.import", "import", import_id, {"rows": parsed.total})
    try:
        queue.send(
            [
                {
                    "org_id": org_id,
                    "import_id": import_id,
                    "chunk": number,
                    "actor_id": actor.user_id,
                    "actor_role": actor.role,
                    "rows": [row_to_message(r) for r in batch],
                }
                for number, batch in enumerate(batches)
            ]
        )
    except Exception:
        # Some chunks may be queued: the import says it failed, and sending the file
        # again enrols only whom this one did not (nobody twice).
        repo.fail_import(org_id, import_id, utc_iso(now()))
        raise
    response.headers["Location"] = f"orgs/{org_id}/imports/{import_id}"
    return ImportStarted(
        id=import_id,
        status="running" if batches else "done",
        total=parsed.total,
        rejected_so_far=len(parsed.rejected),
    )


@router.get(
    "/orgs/{org_id}/imports/{id}",
    response_model=ImportStatus,
    responses=ERRORS,
    summary="An import's progress, and every rejected row with its line number",
)
def get_import(import_id: ImportId, caller: Admin, repo: Repo) -> ImportStatus:
    org_id = caller.org_id
    record = repo.import_record(org_id, str(import_id))
    if record is None:
        raise NotFound("No such import.")
    return import_status(record)
