"""Safe messaging for crisis responses (docs/MISSION.md: every crisis response carries
hotlines; no method details).

The message is short and warm, tells the person they are not alone, and points to the
lines listed with it and to emergency care. It never describes how anyone could harm
themselves. Emergency numbers (120 ambulance, 110 police in mainland China) are part of
the message, not directory entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shared.resources.directory import ResourceView, crisis_short_list, view
from shared.resources.fallback import CRISIS_MESSAGES as STATIC_MESSAGES
from shared.resources.model import LANGS, Lang, Resource

# One wording for the directory's crisis lists and the static fallback (fallback.py).
CRISIS_MESSAGES: dict[Lang, str] = {lang: STATIC_MESSAGES[lang] for lang in LANGS}

# When no crisis line covers the member's region (unknown or not yet in the directory),
# the response still carries lines: those of the region the app mostly serves.
FALLBACK_REGION = "CN"


def crisis_message(lang: Lang) -> str:
    return CRISIS_MESSAGES[lang]


class CrisisResources(BaseModel):
    model_config = ConfigDict(frozen=True)

    message: str
    lang: Lang
    resources: list[ResourceView]


def crisis_resources(
    resources: Iterable[Resource],
    region: str | None,
    lang: Lang,
    at: datetime,
    *,
    fallback_region: str | None = FALLBACK_REGION,
) -> CrisisResources:
    """The crisis message in `lang` with the short list of crisis lines for `region`.

    If no crisis line covers `region`, the lines of `fallback_region` are listed instead,
    so a crisis response is never without a number to call.
    """
    pool = list(resources)
    chosen = crisis_short_list(pool, region, at)
    if not chosen and fallback_region is not None:
        chosen = crisis_short_list(pool, fallback_region, at)
    return CrisisResources(
        message=crisis_message(lang),
        lang=lang,
        resources=[view(resource, lang, at) for resource in chosen],
    )
