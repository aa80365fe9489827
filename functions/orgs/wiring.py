"""What the orgs routes are given: the repository, enrolment, the audit log, the queue.

Built once per container on first use; tests replace them with
`app.dependency_overrides[<provider>]`.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Path

from functions.orgs.enrolment import Enroller
from functions.orgs.repository import OrgsRepository
from shared import aws
from shared.audit import AuditLog
from shared.errors import NotFound
from shared.orgs.access import require_role
from shared.orgs.roster import RosterEntry, roster
from shared.routing import Caller
from shared.settings import OrgsSettings, settings
from shared.signing_keys import SigningKeys, signing_keys

# Ids in the path are only lengths-checked: one that is not an organisation's, unit's or
# person's key simply finds nothing (404). A `pattern` here would compile its regex once
# per route at import, a tenth of this function's cold start (docs/decisions.md, 26).
MAX_ORG_ID = 64
MAX_UNIT_ID = 64
MAX_USER_ID = 128
ADMIN = ("org_admin",)
STAFF_READERS = ("org_admin", "counsellor")


@cache
def repository() -> OrgsRepository:
    return OrgsRepository(aws.client("dynamodb"), settings(OrgsSettings).orgs_table)


@cache
def enroller() -> Enroller:
    config = settings(OrgsSettings)
    return Enroller(
        aws.client("cognito-idp"),
        config.user_pool_id,
        repository(),
        send_invitations=not config.return_temporary_passwords,
    )


@cache
def audit_log() -> AuditLog:
    return AuditLog(aws.client("dynamodb"), settings(OrgsSettings).audit_table)


def cursor_secret() -> SigningKeys:
    return signing_keys(settings(OrgsSettings).cursor_secret_arn)


class ImportQueue:
    """Chunks of an import's rows for the worker, ten messages a SendMessageBatch."""

    def __init__(self, client: Any, url: str) -> None:
        self._sqs = client
        self._url = url

    def send(self, bodies: list[dict[str, Any]]) -> None:
        for start in range(0, len(bodies), 10):
            batch = bodies[start : start + 10]
            entries = [
                {"Id": str(i), "MessageBody": json.dumps(b, ensure_ascii=False)}
                for i, b in enumerate(batch)
            ]
            response = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            if response.get("Failed"):
                raise RuntimeError("the import queue refused some chunks")


@cache
def import_queue() -> ImportQueue:
    return ImportQueue(aws.client("sqs"), settings(OrgsSettings).import_queue_url)


class Auditor:
    """Writes one audit record per staff change or read of member data (shared/audit.py)."""

    def __init__(self, log: AuditLog) -> None:
        self._log = log

    def __call__(
        self,
        actor: RosterEntry,
        action: str,
        target_type: str,
        target_id: str,
        detail: dict[str, str | int] | None = None,
        *,
        subject_id: str | None = None,
    ) -> None:
        """`subject_id`: the member whose data a read showed, for their access log."""
        self._log.append(
            actor.org_id,
            actor_id=actor.user_id,
            actor_role=actor.role,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
            subject_id=subject_id,
        )
        if target_type == "person":
            roster().forget(actor.org_id, target_id)  # this container sees the change at once


@cache
def auditor() -> Auditor:
    return Auditor(audit_log())


OrgId = Annotated[str, Path(max_length=MAX_ORG_ID, description="The organisation's id")]


def org_admin(org_id: OrgId, identity: Caller) -> RosterEntry:
    """The caller, if the roster makes them an admin of `org_id` (checked before the body)."""
    return require_role(identity, org_id, ADMIN)


def staff_reader(org_id: OrgId, identity: Caller) -> RosterEntry:
    """The caller, if the roster makes them a counsellor or admin of `org_id`."""
    return require_role(identity, org_id, STAFF_READERS)


def org_settings(repo: OrgsRepository, org_id: str) -> dict[str, Any]:
    """The organisation's settings item, or 404 (every route that needs it asks here)."""
    org = repo.settings(org_id)
    if org is None:
        raise NotFound("No such organisation.")
    return org


Admin = Annotated[RosterEntry, Depends(org_admin)]
StaffReader = Annotated[RosterEntry, Depends(staff_reader)]
Repo = Annotated[OrgsRepository, Depends(repository)]
Enrol = Annotated[Enroller, Depends(enroller)]
Audit = Annotated[Auditor, Depends(auditor)]
Log = Annotated[AuditLog, Depends(audit_log)]
Queue = Annotated[ImportQueue, Depends(import_queue)]
Keys = Annotated[SigningKeys, Depends(cursor_secret)]
UnitPath = Annotated[str, Path(max_length=MAX_UNIT_ID, description="The unit's id")]
UserPath = Annotated[str, Path(max_length=MAX_USER_ID, description="The person's user id")]
