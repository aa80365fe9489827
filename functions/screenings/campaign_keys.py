"""Keys, settings and timing of screening campaigns (stdlib only: the announcer imports it).

CampaignsTable (`pk`, `sk`, TTL `expires_at`):

    pk                   sk                                     what
    org#<org>            campaign#<campaign>                    the definition (titles, units,
                                                                window, consent texts and version)
    due                  <due at UTC ISO>#<campaign>#open|close the announcer's work: the opening
                                                                notice, the reminder before closing
    campaign#<campaign>  audience#<unit>                        members of the unit notified at
                                                                opening (`members`)
    campaign#<campaign>  count#<unit>                           counters by the member's unit:
                                                                responded, declined, tier_high,
                                                                tier_borderline, tier_general
    campaign#<campaign>  followup#<member>                      a borderline result: unit, bands,
                                                                responded_at (no answers)
    campaign#<campaign>  member#<member>                        responded or declined (the
                                                                reminder skips them)
    campaign#<campaign>  guardian#<member>                      a guardian's consent recorded by a
                                                                counsellor (date, method; no names)

ScreeningsTable, the member's partition (`user_id`): `campaign#<campaign>#consent`,
`campaign#<campaign>#response`, `campaign#<campaign>#guardian`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from shared.settings import BaseSettings

DUE_PK = "due"
OPEN, CLOSE = "open", "close"
CAMPAIGN = "campaign#"
TIERS = ("high", "borderline", "general")
COUNTERS = ("responded", "declined", *(f"tier_{t}" for t in TIERS))
LANGS = ("zh-CN", "en")


class CampaignsSettings(BaseSettings):
    campaigns_table: str
    screenings_table: str = ""
    orgs_table: str = ""
    audit_table: str = ""
    roster_cache_seconds: float = 60.0
    campaign_reminder_hours: float = 24.0


def org_pk(org_id: str) -> str:
    return f"org#{org_id}"


def campaign_sk(campaign_id: str) -> str:
    return f"{CAMPAIGN}{campaign_id}"


def campaign_pk(campaign_id: str) -> str:
    return f"{CAMPAIGN}{campaign_id}"


def due_sk(due_at: str, campaign_id: str, kind: str) -> str:
    return f"{due_at}#{campaign_id}#{kind}"


def audience_sk(unit_id: str) -> str:
    return f"audience#{unit_id}"


def count_sk(unit_id: str) -> str:
    return f"count#{unit_id}"


def followup_sk(user_id: str) -> str:
    return f"followup#{user_id}"


def member_sk(user_id: str) -> str:
    return f"member#{user_id}"


def guardian_sk(user_id: str) -> str:
    return f"guardian#{user_id}"


# The member's own items in ScreeningsTable.
def member_item_prefix(campaign_id: str) -> str:
    return f"{CAMPAIGN}{campaign_id}#"


def consent_item_sk(campaign_id: str) -> str:
    return f"{member_item_prefix(campaign_id)}consent"


def response_item_sk(campaign_id: str) -> str:
    return f"{member_item_prefix(campaign_id)}response"


def guardian_item_sk(campaign_id: str) -> str:
    return f"{member_item_prefix(campaign_id)}guardian"


def campaign_of_member_sk(sk: str) -> str | None:
    """The campaign id of a member's `campaign#<id>#<what>` item, else None."""
    if not sk.startswith(CAMPAIGN):
        return None
    campaign_id, sep, _ = sk[len(CAMPAIGN) :].rpartition("#")
    return campaign_id if sep and campaign_id else None


def consent_version(texts: dict[str, str]) -> str:
    """A short hash of both consent texts: a member consents to the text they were shown."""
    body = json.dumps([texts[lang] for lang in LANGS], ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def remind_at(opens_at: datetime, closes_at: datetime, hours: float) -> datetime:
    """`hours` before closing; the window's midpoint when the window is not longer."""
    before = timedelta(hours=hours)
    if closes_at - opens_at <= before:
        return opens_at + (closes_at - opens_at) / 2
    return closes_at - before


def request_id(campaign_id: str, user_id: str, kind: str) -> str:
    """The same id for the same campaign, member and notice: a re-run sends nothing twice
    (the sender is idempotent per request id), and the id names neither."""
    digest = hashlib.sha256(f"{campaign_id}|{user_id}|{kind}".encode()).hexdigest()[:40]
    return f"campaign-{digest}"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
