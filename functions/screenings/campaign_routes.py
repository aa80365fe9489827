"""HTTP routes of screening campaigns (the CampaignsFunction): regular and special screening
of a class, grade or team with the PHQ-9 and GAD-7 (MISSION.md), routed by tier.

Who may do what (the roster decides, as shared/orgs/access.py does for all staff):
- An organisation's admin creates campaigns and reads their statistics (counts
  suppressed below 5 people); admins and counsellors read campaigns and the follow-up
  list (临界, every member shown audited with them as the subject), and record a
  guardian's consent for a member under 14. Another organisation's ids answer 404; a person of the
  organisation without the role 403, before the body is read.
- A member sees the open campaigns whose audience holds their unit (a campaign's units
  with every unit below them), consents or declines, answers once and reads their own
  result: bands in plain words, never a diagnosis. A campaign outside their audience or
  not open answers 404 (their result stays readable after it closes).
- A response is scored by shared/scoring.py and assessed by shared/risk.py exactly as a
  check-in is; it is stored in the member's screenings partition looking like a
  screening (plain level, sealed answers and reasons, `signal_ct`), so the table's
  stream raises a high-risk response with the risk intake and a case opens.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request, Response
from fastapi.responses import JSONResponse

from functions.screenings.campaign_keys import (
    CLOSE,
    OPEN,
    CampaignsSettings,
    consent_item_sk,
    consent_version,
    due_sk,
    remind_at,
    response_item_sk,
)
from functions.screenings.campaign_models import (
    CampaignIn,
    CampaignList,
    CampaignOut,
    CampaignStats,
    ConsentIn,
    ConsentOut,
    Followup,
    FollowupList,
    GuardianConsentIn,
    GuardianConsentOut,
    InstrumentResult,
    MyCampaign,
    MyCampaigns,
    ResponseIn,
    ResponseOut,
    ResultOut,
    RiskOut,
)
from functions.screenings.campaign_repository import (
    ACCEPT,
    DECLINE,
    AlreadyDecided,
    CampaignsRepository,
    NoConsent,
)
from shared import aws
from shared.audit import AuditEntry, AuditLog
from shared.clock import utc_iso
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.http import create_app, problem, problem_responses
from shared.identity import Identity
from shared.observability import metrics
from shared.orgs.access import require_role
from shared.orgs.roster import RosterEntry, roster
from shared.orgs.tree import OrgUnits, subtree
from shared.risk import CRISIS_LEVELS
from shared.routing import Caller, Now
from shared.settings import settings

app = create_app("Screening campaigns API")

ERRORS = problem_responses(400, 401, 403, 404, 413, 415, 422)
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422)
ADMIN, MEMBER = "org_admin", "member"
STAFF = (ADMIN, "counsellor")
MAX_ID = 64


class GuardianConsentRequired(Exception):
    """A member under 14 consents before a counsellor recorded their guardian's consent."""


def _guardian_required(_: Request, error: Exception) -> JSONResponse:
    return problem(
        409,
        "guardian-consent-required",
        "A guardian's consent is needed first",
        "Members under 14 take part once a counsellor has recorded their guardian's consent.",
    )


app.add_exception_handler(GuardianConsentRequired, _guardian_required)


# ---- wiring (replaced in tests by dependency overrides) ----------------------------------


@cache
def config() -> CampaignsSettings:
    return settings(CampaignsSettings)


@cache
def repository() -> CampaignsRepository:  # pragma: no cover - production wiring
    from functions.screenings.repository import PURPOSE, ScreeningKeys
    from shared.crisis.signal_seal import signal_sealer
    from shared.vault import vault_for

    db = aws.client("dynamodb")
    table = config().screenings_table
    vault = vault_for(PURPOSE, ScreeningKeys(db, table))
    return CampaignsRepository(db, config().campaigns_table, table, vault, signal_sealer())


@cache
def audit_log() -> AuditLog:  # pragma: no cover - production wiring
    return AuditLog(aws.client("dynamodb"), config().audit_table)


def org_units() -> OrgUnits:  # pragma: no cover - production wiring
    from shared.orgs.tree import org_units as units

    return units()


def people() -> Any:
    return roster()


def crisis_lines() -> Callable[[Identity, Any], dict[str, Any]]:
    from shared.resources.for_member import crisis_lines as lines  # only a risky answer pays

    return lines


Repo = Annotated[CampaignsRepository, Depends(repository)]
Log = Annotated[AuditLog, Depends(audit_log)]
Units = Annotated[OrgUnits, Depends(org_units)]
People = Annotated[Any, Depends(people)]
Lines = Annotated[Callable[[Identity, Any], dict[str, Any]], Depends(crisis_lines)]
Config = Annotated[CampaignsSettings, Depends(config)]
OrgId = Annotated[str, Path(min_length=1, max_length=MAX_ID)]
CampaignId = Annotated[str, Path(alias="id", min_length=1, max_length=MAX_ID)]
AcceptLanguage = Annotated[str | None, Header(alias="Accept-Language", max_length=256)]


# ---- access --------------------------------------------------------------------------------


def admin(identity: Caller, org_id: OrgId) -> RosterEntry:
    return require_role(identity, org_id, (ADMIN,))


def staff(identity: Caller, org_id: OrgId) -> RosterEntry:
    return require_role(identity, org_id, STAFF)


def member(identity: Caller) -> RosterEntry:
    """The caller, if the roster makes them an active member of their organisation."""
    if not identity.org_id:
        raise Forbidden("Only members of an organisation take part in campaigns.")
    return require_role(identity, identity.org_id, (MEMBER,))


Admin = Annotated[RosterEntry, Depends(admin)]
Staff = Annotated[RosterEntry, Depends(staff)]
Member = Annotated[RosterEntry, Depends(member)]


# ---- helpers -------------------------------------------------------------------------------


def _status(campaign: dict[str, Any], now: str) -> str:
    if now < campaign["opens_at"]:
        return "scheduled"
    return "open" if now < campaign["closes_at"] else "closed"


def _out(campaign: dict[str, Any], now: str) -> CampaignOut:
    return CampaignOut.model_validate(campaign | {"status": _status(campaign, now)})


def _campaign(repo: CampaignsRepository, org_id: str, campaign_id: str) -> dict[str, Any]:
    found = repo.campaign(org_id, campaign_id)
    if found is None:
        raise NotFound("No such campaign.")
    return found


def _audience(units: OrgUnits, campaign: dict[str, Any]) -> set[str]:
    return subtree(units.units(campaign["org_id"]), campaign["units"])


def _in_audience(units: OrgUnits, campaign: dict[str, Any], entry: RosterEntry) -> bool:
    return entry.unit_id is not None and entry.unit_id in _audience(units, campaign)


def _open_for(
    repo: CampaignsRepository, units: OrgUnits, entry: RosterEntry, campaign_id: str, now: str
) -> dict[str, Any]:
    """The campaign if it is open and the member is in its audience; 404 otherwise."""
    campaign = repo.campaign(entry.org_id, campaign_id)
    if (
        campaign is None
        or _status(campaign, now) != "open"
        or not _in_audience(units, campaign, entry)
    ):
        raise NotFound("No such campaign open for you.")
    return campaign


def _lang(accept_language: str | None, identity: Identity) -> str:
    from functions.screenings.campaign_logic import pick_lang

    return pick_lang(accept_language, identity.locale)


# ---- staff ---------------------------------------------------------------------------------


@app.post(
    "/orgs/{org_id}/campaigns",
    status_code=201,
    response_model=CampaignOut,
    responses=ERRORS,
    summary="Create a screening campaign (org admin)",
    description=(
        "The audience is each unit of `units` with every unit below it. Members are notified "
        "when it opens and reminded once before it closes (CAMPAIGN_REMINDER_HOURS before, "
        "or at the window's midpoint when it is shorter)."
    ),
)
def create_campaign(
    body: CampaignIn,
    caller: Admin,
    repo: Repo,
    units: Units,
    log: Log,
    now: Now,
    conf: Config,
) -> CampaignOut:
    from functions.screenings.campaign_logic import check_units, check_window

    at = now()
    opens, closes = body.opens_at.astimezone(dt.UTC), body.closes_at.astimezone(dt.UTC)
    check_window(opens, closes, at)
    check_units(body.units, {str(u["unit_id"]) for u in units.units(caller.org_id)})
    campaign_id = str(uuid.uuid4())
    texts = {"zh-CN": body.consent_text.zh_cn, "en": body.consent_text.en}
    reminder = remind_at(opens, closes, conf.campaign_reminder_hours)
    campaign: dict[str, Any] = {
        "campaign_id": campaign_id,
        "org_id": caller.org_id,
        "title": {"zh-CN": body.title.zh_cn, "en": body.title.en},
        "instruments": list(body.instruments),
        "units": list(body.units),
        "opens_at": utc_iso(opens),
        "closes_at": utc_iso(closes),
        "remind_at": utc_iso(reminder),
        "consent_text": texts,
        "consent_version": consent_version(texts),
        "kind": body.kind,
        "created_at": utc_iso(at),
        "created_by": caller.user_id,
    }
    due = [
        due_sk(campaign["opens_at"], campaign_id, OPEN),
        due_sk(campaign["remind_at"], campaign_id, CLOSE),
    ]
    repo.create(campaign, due)
    log.append(
        caller.org_id,
        actor_id=caller.user_id,
        actor_role=caller.role,
        action="campaign.create",
        target_type="campaign",
        target_id=campaign_id,
        detail={"units": len(body.units), "kind": body.kind},
        at=at,
    )
    metrics.add_metric(name="CampaignCreated", unit="Count", value=1)
    return _out(campaign, utc_iso(at))


@app.get(
    "/orgs/{org_id}/campaigns",
    response_model=CampaignList,
    responses=ERRORS,
    summary="The organisation's campaigns, newest first (admin, counsellor)",
)
def list_campaigns(caller: Staff, repo: Repo, now: Now) -> CampaignList:
    stamp = utc_iso(now())
    found = sorted(repo.campaigns(caller.org_id), key=lambda c: c["created_at"], reverse=True)
    return CampaignList(campaigns=[_out(c, stamp) for c in found])


@app.get(
    "/orgs/{org_id}/campaigns/{id}",
    response_model=CampaignOut,
    responses=ERRORS,
    summary="One campaign (admin, counsellor)",
)
def get_campaign(caller: Staff, campaign_id: CampaignId, repo: Repo, now: Now) -> CampaignOut:
    return _out(_campaign(repo, caller.org_id, campaign_id), utc_iso(now()))


@app.put(
    "/orgs/{org_id}/campaigns/{id}/guardian-consents/{member_id}",
    response_model=GuardianConsentOut,
    responses=ERRORS,
    summary="Record a guardian's consent for a member under 14 (counsellor, admin)",
    description="No names are kept: the day it was obtained and how. Audited.",
)
def record_guardian_consent(
    body: GuardianConsentIn,
    caller: Staff,
    campaign_id: CampaignId,
    member_id: Annotated[str, Path(min_length=1, max_length=MAX_ID)],
    repo: Repo,
    units: Units,
    team: People,
    log: Log,
    now: Now,
) -> GuardianConsentOut:
    at = now()
    campaign = _campaign(repo, caller.org_id, campaign_id)
    entry = team.entry(caller.org_id, member_id)
    if (
        entry is None
        or not entry.active
        or entry.role != MEMBER
        or not _in_audience(units, campaign, entry)
    ):
        raise NotFound("No such member in this campaign's audience.")
    if body.obtained_on > (at + dt.timedelta(days=1)).date():
        raise InvalidInput(
            "obtained_on cannot be in the future.",
            errors=[
                {"location": ["body", "obtained_on"], "message": "In the future", "code": "date"}
            ],
        )
    record = {
        "obtained_on": body.obtained_on.isoformat(),
        "method": body.method,
        "recorded_by": caller.user_id,
        "recorded_at": utc_iso(at),
    }
    repo.record_guardian(caller.org_id, campaign_id, member_id, record)
    log.append(
        caller.org_id,
        actor_id=caller.user_id,
        actor_role=caller.role,
        action="campaign_guardian_consent.record",
        target_type="campaign",
        target_id=campaign_id,
        detail={"method": body.method},
        at=at,
        subject_id=member_id,
    )
    return GuardianConsentOut(
        campaign_id=campaign_id,
        member_id=member_id,
        obtained_on=record["obtained_on"],
        method=body.method,
        recorded_at=record["recorded_at"],
    )


@app.get(
    "/orgs/{org_id}/campaigns/{id}/followups",
    response_model=FollowupList,
    responses=ERRORS,
    summary="The campaign's borderline (临界) follow-up list (counsellor, admin)",
    description=(
        "Members whose result was in a moderate band, oldest first: their unit and bands, "
        "never their answers. Each member shown is an audit record naming them."
    ),
)
def followups(
    caller: Staff, campaign_id: CampaignId, repo: Repo, team: People, log: Log, now: Now
) -> FollowupList:
    _campaign(repo, caller.org_id, campaign_id)
    found = sorted(repo.followups(campaign_id), key=lambda f: (f["responded_at"], f["user_id"]))
    shown = []
    for item in found:
        entry = team.entry(caller.org_id, item["user_id"])
        shown.append(
            Followup(
                member_id=item["user_id"],
                display_name=entry.display_name if entry else None,
                unit_id=item.get("unit_id"),
                bands=item.get("bands") or {},
                responded_at=item["responded_at"],
            )
        )
    if shown:
        log.append_all(
            caller.org_id,
            [
                AuditEntry(
                    caller.user_id,
                    caller.role,
                    "campaign_followups.read",
                    "campaign",
                    campaign_id,
                    subject_id=f.member_id,
                )
                for f in shown
            ],
            at=now(),
        )
    return FollowupList(campaign_id=campaign_id, followups=shown)


@app.get(
    "/orgs/{org_id}/campaigns/{id}/stats",
    response_model=CampaignStats,
    responses=ERRORS,
    summary="Completion by unit and counts by tier (org admin)",
    description=(
        "The audience tree rolled up from each unit to the whole audience. A count of 1-4 "
        "people is null with suppressed: true, and so are the cells that would give it away."
    ),
)
def stats(caller: Admin, campaign_id: CampaignId, repo: Repo, units: Units) -> CampaignStats:
    from functions.screenings.campaign_stats import THRESHOLD, report

    campaign = _campaign(repo, caller.org_id, campaign_id)
    every = units.units(caller.org_id)
    tree = report(every, subtree(every, campaign["units"]), repo.tallies(campaign_id))
    return CampaignStats.model_validate(
        {"campaign_id": campaign_id, "threshold": THRESHOLD, "report": tree}
    )


# ---- members -------------------------------------------------------------------------------


def _state(items: dict[str, dict[str, Any]], campaign_id: str) -> str:
    if response_item_sk(campaign_id) in items:
        return "responded"
    consent = items.get(consent_item_sk(campaign_id))
    if consent is None:
        return "new"
    return "declined" if consent.get("decision") == DECLINE else "consented"


@app.get(
    "/me/campaigns",
    response_model=MyCampaigns,
    responses=ERRORS,
    summary="The open campaigns for the member's unit, with their own state",
)
def my_campaigns(caller: Member, repo: Repo, units: Units, now: Now) -> MyCampaigns:
    stamp = utc_iso(now())
    every = units.units(caller.org_id)
    mine = {str(i["sk"]): i for i in repo.member_items(caller.user_id)}
    shown = []
    for campaign in sorted(repo.campaigns(caller.org_id), key=lambda c: c["closes_at"]):
        if _status(campaign, stamp) != "open" or caller.unit_id is None:
            continue
        if caller.unit_id not in subtree(every, campaign["units"]):
            continue
        shown.append(
            MyCampaign.model_validate(campaign | {"state": _state(mine, campaign["campaign_id"])})
        )
    return MyCampaigns(campaigns=shown)


@app.post(
    "/me/campaigns/{id}/consent",
    status_code=201,
    response_model=ConsentOut,
    responses=WRITE_ERRORS,
    summary="Consent to a campaign, or decline it",
    description=(
        "`consent_version` is the one GET /me/campaigns showed; another is a 409 (the text "
        "changed). A member under 14 consents once a counsellor has recorded their "
        "guardian's consent (409 guardian-consent-required before). A decision is final: "
        "the same one again answers 200 with the first, another one 409."
    ),
)
def consent(
    body: ConsentIn,
    caller: Member,
    identity: Caller,
    campaign_id: CampaignId,
    repo: Repo,
    units: Units,
    now: Now,
    response: Response,
    accept_language: AcceptLanguage = None,
) -> ConsentOut:
    at = utc_iso(now())
    campaign = _open_for(repo, units, caller, campaign_id, at)
    if body.consent_version != campaign["consent_version"]:
        raise Conflict("The consent text has changed; show the current one and ask again.")
    guardian = False
    if body.under_14 and body.decision == ACCEPT:
        guardian = repo.guardian(campaign_id, caller.user_id) is not None
        if not guardian:
            raise GuardianConsentRequired
    record = {
        "campaign_id": campaign_id,
        "decision": body.decision,
        "consent_version": body.consent_version,
        "language": body.language or _lang(accept_language, identity),
        "at": at,
        "under_14": body.under_14,
        "guardian_consent": guardian,
    }
    try:
        repo.save_consent(caller.user_id, caller.org_id, str(caller.unit_id), record)
    except AlreadyDecided:
        first = repo.member_item(caller.user_id, consent_item_sk(campaign_id))
        if first is None or first.get("decision") != body.decision:
            raise Conflict("You have already answered this campaign's consent.") from None
        response.status_code = 200
        return ConsentOut.model_validate(first)
    metrics.add_metric(name=f"CampaignConsent_{body.decision}", unit="Count", value=1)
    return ConsentOut.model_validate(record)


@app.post(
    "/me/campaigns/{id}/responses",
    status_code=201,
    response_model=ResponseOut,
    responses=WRITE_ERRORS,
    summary="Answer a campaign's questionnaires (once)",
    description=(
        "`answers` holds exactly the campaign's instruments (PHQ-9: 9 items, GAD-7: 7, each "
        "0-3). `cssrs` only when PHQ-9 item 9 is above 0; without it the answer says "
        "`next_step: cssrs`. 409 without an accepted consent, or for a second response."
    ),
)
def respond(
    body: ResponseIn,
    caller: Member,
    identity: Caller,
    campaign_id: CampaignId,
    repo: Repo,
    units: Units,
    lines: Lines,
    now: Now,
) -> ResponseOut:
    from functions.screenings.campaign_logic import score_answers

    moment = now()
    at = utc_iso(moment)
    campaign = _open_for(repo, units, caller, campaign_id, at)
    # The consent and any earlier answer in one read (the transaction checks both again).
    mine = {str(i["sk"]): i for i in repo.member_items(caller.user_id, campaign_id)}
    agreed = mine.get(consent_item_sk(campaign_id))
    if agreed is None or agreed.get("decision") != ACCEPT:
        raise Conflict("Consent to the campaign first (a declined campaign takes no answers).")
    if response_item_sk(campaign_id) in mine:
        raise Conflict("You have already answered this campaign.")
    scored = score_answers(
        campaign["instruments"], body.answers.model_dump(exclude_none=True), body.cssrs
    )
    stored = scored | {"id": str(uuid.uuid4()), "campaign_id": campaign_id, "created_at": at}
    try:
        repo.save_response(caller.user_id, caller.org_id, str(caller.unit_id), stored)
    except AlreadyDecided:
        raise Conflict("You have already answered this campaign.") from None
    except NoConsent:
        raise Conflict("Consent to the campaign first.") from None
    level = scored["risk"]["level"]
    metrics.add_metric(name=f"CampaignResponse_{scored['tier']}", unit="Count", value=1)
    crisis = lines(identity, moment) if level in CRISIS_LEVELS else None
    return ResponseOut(
        campaign_id=campaign_id,
        responded_at=at,
        bands=scored["bands"],
        risk=RiskOut(level=level),
        support_requested=level != "none",
        next_step=scored["next_step"],
        crisis_resources=crisis,
    )


@app.get(
    "/me/campaigns/{id}/result",
    response_model=ResultOut,
    responses=ERRORS,
    summary="The member's own result: bands in plain words, and what they can do next",
    description="Readable after the campaign closes. 404 when the member has not answered.",
)
def result(
    caller: Member,
    identity: Caller,
    campaign_id: CampaignId,
    repo: Repo,
    lines: Lines,
    now: Now,
    accept_language: AcceptLanguage = None,
) -> ResultOut:
    from functions.screenings.campaign_logic import next_steps, summary

    stored = repo.member_item(caller.user_id, response_item_sk(campaign_id))
    if stored is None:
        raise NotFound("You have not answered this campaign.")
    lang = _lang(accept_language, identity)
    bands: dict[str, str] = stored.get("bands") or {}
    level = str(stored.get("risk_level") or "none")
    tier = str(stored.get("tier") or "general")
    return ResultOut(
        campaign_id=campaign_id,
        language=lang,
        responded_at=stored["created_at"],
        results=[
            InstrumentResult(instrument=name, band=band, summary=summary(name, band, lang))
            for name, band in sorted(bands.items(), key=lambda b: ("phq9", "gad7").index(b[0]))
        ],
        next_steps=next_steps(tier, lang),
        support_requested=level != "none",
        crisis_resources=lines(identity, now()) if level in CRISIS_LEVELS else None,
    )
