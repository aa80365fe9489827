"""GET /peer/reports and POST /peer/reports/{id}/resolve: counsellors read and resolve the
messages members and supporters reported (`POST /conversations/{id}/report`).

An APIRouter for the peer function's app (`app.include_router(reports_routes.router)`).
Counsellors and admins of the organisation only, checked against the roster before
anything else (anyone else: 403). A page is one Query on the `ByNeed` index (open reports
sit under `reports#<org>#open`, newest first) and one BatchGetItem for the reported
messages and their conversations. Each page is audited once per person whose words or
report it shows, naming them as the subject (their access log): the reported message's
sender and the reporter. A report of another organisation is 404, as one that does not
exist. Resolving takes the report off the open list and is audited (not a read: no
subject).

A report's `id` here is its conversation's id and its own, joined by `_`: resolving it is
one GetItem, with no index of reports by id.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from functions.peer.concerns_routes import audit_log
from functions.peer.keys import PURPOSE, PeerKeys
from functions.peer.repository import OPEN, RESOLVED, Conversation, PeerRepository
from functions.peer.settings import PeerSettings
from shared import aws
from shared.audit import AuditEntry, AuditLog
from shared.clock import utc_iso
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import Forbidden, NotFound
from shared.http import problem_responses
from shared.orgs.access import require_role
from shared.orgs.roster import RosterEntry
from shared.routing import Caller, Now
from shared.settings import settings
from shared.signing_keys import SigningKeys, signing_keys

router = APIRouter()
ERRORS = problem_responses(400, 401, 403, 404, 422)
STAFF = ("counsellor", "org_admin")
PAGE = 20
MAX_PART = 64
SEPARATOR = "_"


# ---- the HTTP contract ---------------------------------------------------------------


class ReportItem(BaseModel):
    id: str = Field(description="The report's id for POST /peer/reports/{id}/resolve")
    conversation_id: str
    status: Literal["open", "resolved"]
    reported_at: str
    reason: str | None = Field(description="The reporter's words, if they gave any")
    reporter_id: str
    reporter_name: str
    reported_id: str = Field(description="Who sent the reported message")
    reported_name: str
    message_id: str
    message_text: str | None = Field(description="null once the member's data was erased")
    message_sent_at: str | None


class ReportPage(BaseModel):
    items: list[ReportItem]
    next_cursor: str | None


class ResolvedReport(BaseModel):
    id: str
    status: Literal["resolved"] = "resolved"
    resolved_at: str
    resolved_by: str


# ---- wiring (replaced in tests by dependency overrides) ----------------------------------


@cache
def repository() -> PeerRepository:  # pragma: no cover - production wiring
    from shared.vault import vault_for

    table = settings(PeerSettings).peer_table
    vault = vault_for(PURPOSE, PeerKeys(aws.client("dynamodb"), table))
    return PeerRepository(aws.client("dynamodb"), table, vault)


def cursor_keys() -> SigningKeys:  # pragma: no cover - production wiring
    return signing_keys(settings(PeerSettings).cursor_secret_arn)


def report_staff(identity: Caller) -> RosterEntry:
    """The caller, if the roster makes them a counsellor or admin of their organisation
    (checked before anything else: the cursor, the report, the id's form)."""
    if not identity.org_id:
        raise Forbidden("Only counsellors and admins read reports.")
    return require_role(identity, identity.org_id, STAFF)


Repo = Annotated[PeerRepository, Depends(repository)]
Log = Annotated[AuditLog, Depends(audit_log)]
Keys = Annotated[SigningKeys, Depends(cursor_keys)]
Staff = Annotated[RosterEntry, Depends(report_staff)]
ReportRef = Annotated[str, Path(alias="id", min_length=1, max_length=2 * MAX_PART + len(SEPARATOR))]


def report_ref(report: dict[str, Any]) -> str:
    return f"{report['conversation_id']}{SEPARATOR}{report['report_id']}"


def _parts(ref: str) -> tuple[str, str]:
    conversation_id, _, report_id = ref.partition(SEPARATOR)
    if not conversation_id or not report_id or SEPARATOR in report_id:
        raise NotFound("No such report.")
    return conversation_id, report_id


def _item(
    report: dict[str, Any],
    conversation: Conversation | None,
    message: dict[str, Any] | None,
    reason: str | None,
) -> ReportItem:
    reporter = str(report["reporter_id"])
    sender = str(message["sender_id"]) if message else ""
    return ReportItem(
        id=report_ref(report),
        conversation_id=str(report["conversation_id"]),
        status=report.get("status", OPEN),
        reported_at=str(report["created_at"]),
        reason=reason,
        reporter_id=reporter,
        reporter_name=conversation.name_of(reporter) if conversation else "",
        reported_id=sender,
        reported_name=conversation.name_of(sender) if conversation and sender else "",
        message_id=str(message["message_id"]) if message else "",
        message_text=message.get("text") if message else None,
        message_sent_at=str(message["created_at"]) if message else None,
    )


def _resolved(ref: str, report: dict[str, Any]) -> ResolvedReport:
    return ResolvedReport(
        id=ref,
        resolved_at=str(report.get("resolved_at", "")),
        resolved_by=str(report.get("resolved_by", "")),
    )


# ---- routes --------------------------------------------------------------------------


@router.get(
    "/peer/reports",
    response_model=ReportPage,
    responses=ERRORS,
    summary="The organisation's open reports of messages, newest first",
    description=(
        "For counsellors and admins of the organisation. Each report shows the reported "
        "message, who sent it, who reported it and why. Every read is audited and shown "
        "to the people it names."
    ),
)
def list_reports(
    staff: Staff,
    repo: Repo,
    log: Log,
    keys: Keys,
    now: Now,
    limit: Annotated[int, Query(ge=1, le=50)] = PAGE,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> ReportPage:
    scope = f"peer-reports|{staff.org_id}|{limit}"
    reports, last = repo.open_reports_page(staff.org_id, limit, decode_cursor(cursor, scope, keys))
    reports = [r for r in reports if r.get("org_id") == staff.org_id]
    conversations, messages = repo.reported(reports)
    items: list[ReportItem] = []
    shown_about: dict[str, list[str]] = {}
    for report in reports:
        conversation = conversations.get(str(report["conversation_id"]))
        message = messages.get((str(report["conversation_id"]), str(report["message_sk"])))
        reason = repo.report_reason(conversation, report) if conversation else None
        item = _item(report, conversation, message, reason)
        items.append(item)
        for person in (item.reported_id, item.reporter_id):
            if person:
                shown_about.setdefault(person, []).append(item.id)
    entries = [
        AuditEntry(
            staff.user_id,
            staff.role,
            "peer_report.read",
            "peer_report",
            ",".join(dict.fromkeys(ids))[:256],
            subject_id=person,
        )
        for person, ids in shown_about.items()
    ]
    if entries:  # one record per person shown, all in one write
        log.append_all(staff.org_id, entries, at=now())
    return ReportPage(items=items, next_cursor=encode_cursor(last, scope, keys))


@router.post(
    "/peer/reports/{id}/resolve",
    response_model=ResolvedReport,
    responses=ERRORS,
    summary="Resolve a report: it leaves the open list",
)
def resolve_report(staff: Staff, ref: ReportRef, repo: Repo, log: Log, now: Now) -> ResolvedReport:
    conversation_id, report_id = _parts(ref)
    report = repo.report(conversation_id, report_id)
    if report is None or report.get("org_id") != staff.org_id:
        raise NotFound("No such report.")
    if report.get("status") == RESOLVED:  # resolving again answers as the first time
        return _resolved(ref, report)
    moment = now()
    if not repo.resolve_report(report, staff.user_id, moment):  # resolved meanwhile
        return _resolved(ref, repo.report(conversation_id, report_id) or report)
    log.append(
        staff.org_id,
        actor_id=staff.user_id,
        actor_role=staff.role,
        action="peer_report.resolved",
        target_type="peer_report",
        target_id=ref,
        at=moment,
    )
    return ResolvedReport(id=ref, resolved_at=utc_iso(moment), resolved_by=staff.user_id)
