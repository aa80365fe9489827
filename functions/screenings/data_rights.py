"""The screenings feature's export and erase, run by the data-rights workflow (no HTTP).

Screening campaigns keep the member's consents, responses and guardian records in the
member's screenings partition (exported, answers opened) and a few items of theirs in the
campaigns' partitions of CampaignsTable (follow-up entry, responded/declined marker,
guardian record): erasure deletes those first, finding the campaigns from the member's
own items, then the member's partition. The campaigns' counters stay: they name no one.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from functions.screenings.campaign_repository import CampaignsRepository
from functions.screenings.repository import (
    PURPOSE,
    ScreeningKeys,
    ScreeningsRepository,
    ScreeningsSettings,
)
from shared import aws
from shared.data_rights import FeatureData, data_rights_handler, delete_partition, pick
from shared.settings import settings

# What leaves in an export: the member's own screenings, answers opened, never storage
# details (keys, the organisation, ciphertext).
EXPORTED = ("id", "instrument", "tier", "answers", "risk", "created_at")
# A campaign item of the member: a consent, a response (answers opened) or a guardian record.
CAMPAIGN_EXPORTED = (
    "campaign_id",
    "record",
    "decision",
    "consent_version",
    "language",
    "at",
    "under_14",
    "guardian_consent",
    "tier",
    "bands",
    "totals",
    "answers",
    "risk",
    "created_at",
    "obtained_on",
    "method",
    "recorded_at",
)


class ScreeningsData:
    feature = "screenings"

    def __init__(
        self,
        db: Any,
        table: str,
        repo: ScreeningsRepository,
        campaigns: CampaignsRepository | None = None,
    ) -> None:
        self._db = db
        self._table = table
        self._repo = repo
        self._campaigns = campaigns

    def export(self, user_id: str) -> dict[str, Any]:
        exported: dict[str, Any] = {
            "screenings": [pick(s, EXPORTED) for s in self._repo.every(user_id)]
        }
        if self._campaigns is not None:
            exported["campaigns"] = [
                pick(c, CAMPAIGN_EXPORTED) for c in self._campaigns.export(user_id)
            ]
        return exported

    def erase(self, user_id: str) -> int:
        erased = 0
        if self._campaigns is not None:  # first: the member's own items name the campaigns
            erased += self._campaigns.erase_campaign_side(user_id)
        # The "#key" item goes too: what a backup still holds can no longer be opened.
        return erased + delete_partition(self._db, self._table, "user_id", "sk", user_id)


@cache
def feature_data() -> FeatureData:
    from functions.screenings.campaign_keys import CampaignsSettings
    from shared.vault import vault_for

    db = aws.client("dynamodb")
    table = settings(ScreeningsSettings).screenings_table
    vault = vault_for(PURPOSE, ScreeningKeys(db, table))
    campaigns = CampaignsRepository(db, settings(CampaignsSettings).campaigns_table, table, vault)
    return ScreeningsData(db, table, ScreeningsRepository(db, table, vault), campaigns)


handler = data_rights_handler(feature_data)
