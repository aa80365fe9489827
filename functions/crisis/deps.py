"""The crisis HTTP function's shared dependencies: settings, repositories, who may see a
case, and the audit helper. routes.py and the routers it includes (case records, member
records) import them from here, so no router has to import routes.py (which includes
them). Tests replace the providers with `app.dependency_overrides[deps.<provider>]`;
routes.py re-exports them under the same names, so `routes.cases is deps.cases`.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Path

from functions.crisis.case_records import CaseRecords
from functions.crisis.cases import CaseWrites
from functions.crisis.logic import CASE_ROLES, PURPOSE
from shared import aws
from shared.audit import AuditLog
from shared.errors import Forbidden, NotFound
from shared.http import problem_responses
from shared.identity import Identity
from shared.orgs.access import require_role
from shared.orgs.roster import RosterEntry
from shared.settings import RosterSettings, settings
from shared.signing_keys import SigningKeys, signing_keys
from shared.vault import Vault

ERRORS = problem_responses(400, 401, 403, 404, 413, 415, 422)
MAX_CASE_ID = 64


class CrisisApiSettings(RosterSettings):
    cases_table: str
    audit_table: str
    crisis_state_machine_arn: str
    cursor_secret_arn: str = ""


def _config() -> CrisisApiSettings:
    return settings(CrisisApiSettings)


@cache
def cases() -> CaseWrites:
    return CaseWrites(aws.client("dynamodb"), _config().cases_table)


def case_records(repo: Annotated[CaseWrites, Depends(cases)]) -> CaseRecords:
    """The case records beside the cases, on the same client and table."""
    return CaseRecords(repo.client, repo.table)


@cache
def audit_log() -> AuditLog:
    return AuditLog(aws.client("dynamodb"), _config().audit_table)


@cache
def crisis_vault() -> Vault:
    from shared.vault import vault_for

    return vault_for(PURPOSE, cases())


def cursor_keys() -> SigningKeys:
    return signing_keys(_config().cursor_secret_arn)


Cases = Annotated[CaseWrites, Depends(cases)]
Records = Annotated[CaseRecords, Depends(case_records)]
Log = Annotated[AuditLog, Depends(audit_log)]
CrisisVault = Annotated[Vault, Depends(crisis_vault)]
Keys = Annotated[SigningKeys, Depends(cursor_keys)]
CaseId = Annotated[str, Path(max_length=MAX_CASE_ID, description="The case's id")]


# --- who may see a case ---------------------------------------------------------------------


def case_staff(identity: Identity, org_id: str) -> RosterEntry:
    """The caller's roster entry if they are staff of `org_id` who handle cases; 404 else."""
    try:
        return require_role(identity, org_id, CASE_ROLES)
    except (Forbidden, NotFound):
        raise NotFound("No such case.") from None


def case_for_staff(
    repo: CaseWrites, identity: Identity, case_id: str
) -> tuple[dict[str, Any], RosterEntry]:
    """The case (plain fields) and the caller's roster entry, if they may handle it;
    404 for anyone else, as for a case that does not exist."""
    found = repo.details(case_id)
    if found is None:
        raise NotFound("No such case.")
    return found, case_staff(identity, str(found["org_id"]))


def audit(
    log: AuditLog,
    staff: RosterEntry,
    action: str,
    case_id: str,
    detail: dict[str, str | int] | None = None,
    *,
    target_type: str = "case",
    subject_id: str | None = None,
) -> None:
    """One audit record; a read of one member's data names them in `subject_id`, so it
    shows in their access log (shared/audit.py)."""
    log.append(
        staff.org_id,
        actor_id=staff.user_id,
        actor_role=staff.role,
        action=action,
        target_type=target_type,
        target_id=case_id,
        detail=detail,
        subject_id=subject_id,
    )
