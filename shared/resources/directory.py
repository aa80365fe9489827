"""Finding resources: region fallback, language choice, filters, ranking, views.

A request names the most local region it knows ("CN-SC" for Sichuan). Entries for that
province, then the country, then the whole world ("*") apply. A national request ("CN")
does not include provincial entries ("CN-GD"): those serve that province only.

Ranking is deterministic: crisis lines first, then lines open now (open, then unknown,
then closed), then the most local region, then the English name, then the id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from shared.resources.hours import is_open
from shared.resources.model import (
    Audience,
    Contact,
    Cost,
    HoursMode,
    Kind,
    Lang,
    Resource,
    WeeklySpan,
)

GLOBAL = "*"
DEFAULT_LANG: Lang = "zh-CN"

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SUBDIVISION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
_QUERY_MAX = 100
_ACCEPT_LANGUAGE_MAX = 500
_OPEN_RANK: dict[bool | None, int] = {True: 0, None: 1, False: 2}


# --- regions -----------------------------------------------------------------------------


def region_chain(region: str | None) -> list[str]:
    """The regions that apply to a request, most local first: "CN-SC" -> CN-SC, CN, *."""
    code = (region or "").strip().upper()
    if _SUBDIVISION.fullmatch(code):
        return [code, code[:2], GLOBAL]
    if _COUNTRY.fullmatch(code):
        return [code, GLOBAL]
    return [GLOBAL]


def _locality(resource: Resource, chain: list[str]) -> int | None:
    """The position in `chain` of the resource's most local region; None when none applies."""
    positions = [chain.index(region) for region in resource.regions if region in chain]
    return min(positions) if positions else None


def matches_region(resource: Resource, region: str | None) -> bool:
    return _locality(resource, region_chain(region)) is not None


# --- language ----------------------------------------------------------------------------


def _supported(tag: str) -> Lang | None:
    primary = tag.strip().lower().split("-", 1)[0]
    if primary == "zh":  # zh, zh-CN, zh-Hans, zh-TW, zh-HK: Simplified is the closest we have
        return "zh-CN"
    if primary == "en":
        return "en"
    return None


def _accept_language(header: str) -> list[str]:
    """The language tags of an Accept-Language header, by q-value (highest first, stable)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:_ACCEPT_LANGUAGE_MAX].split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = -1.0
        if tag and 0 < quality <= 1:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def pick_lang(lang: str | None, accept_language: str | None = None) -> Lang:
    """The language to answer in.

    An explicit `lang` wins: any Chinese tag -> zh-CN, anything else -> en. Otherwise the
    Accept-Language entry with the highest q that we support decides; a header that names
    only other languages gets English, and no usable header gets zh-CN.
    """
    if lang and lang.strip():
        return _supported(lang) or "en"
    tags = [tag for tag in _accept_language(accept_language or "") if tag != "*"]
    for tag in tags:
        if supported := _supported(tag):
            return supported
    return "en" if tags else DEFAULT_LANG


# --- search and ranking -----------------------------------------------------------------


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _matches_query(resource: Resource, query: str) -> bool:
    needle = query.casefold()
    texts = [*resource.name.values(), *(resource.description or {}).values()]
    if any(needle in text.casefold() for text in texts):
        return True
    phone = resource.contact.phone
    if phone is None:
        return False
    if needle in phone:
        return True
    # "4001619995" or "400 161 9995" finds "400-161-9995".
    if re.fullmatch(r"[0-9+\- ]+", query) and (digits := _digits(query)):
        return digits in _digits(phone)
    return False


def _rank_key(resource: Resource, chain: list[str], at: datetime) -> tuple[int, int, int, str, str]:
    locality = _locality(resource, chain)
    return (
        0 if resource.crisis else 1,
        _OPEN_RANK[is_open(resource.hours, at)],
        len(chain) if locality is None else locality,
        resource.name["en"].casefold(),
        resource.id,
    )


def rank(resources: Iterable[Resource], region: str | None, at: datetime) -> list[Resource]:
    chain = region_chain(region)
    return sorted(resources, key=lambda resource: _rank_key(resource, chain, at))


def search(
    resources: Iterable[Resource],
    *,
    region: str | None,
    kind: Kind | None = None,
    audience: Audience | None = None,
    open_now: bool | None = None,
    q: str | None = None,
    at: datetime,
    own_org: str | None = None,
) -> list[Resource]:
    """The resources for `region` that pass every filter given, ranked.

    Entries of `own_org` (the caller's organisation) are kept whatever their region:
    a member's own campus centre must show even if their region is set more broadly.

    `audience` matches entries for that audience and entries for "everyone". `open_now=True`
    keeps only entries known to be open at `at` (False or None: no filter). `q` is a
    case-insensitive substring of either name, either description or the phone number.
    """
    query = (q or "").strip()[:_QUERY_MAX]
    found = [
        resource
        for resource in resources
        if (matches_region(resource, region) or (own_org and resource.org_id == own_org))
        and (kind is None or resource.kind == kind)
        and (audience is None or audience in resource.audiences or "everyone" in resource.audiences)
        and (open_now is not True or is_open(resource.hours, at) is True)
        and (not query or _matches_query(resource, query))
    ]
    return rank(found, region, at)


def crisis_short_list(
    resources: Iterable[Resource], region: str | None, at: datetime, limit: int = 5
) -> list[Resource]:
    """Up to `limit` crisis lines for `region`: 24/7 and open-now lines first, then local.

    Lines with unknown or closed hours are kept (after the open ones), so the list is never
    empty while any crisis line covers the region or the whole world.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    crisis = [resource for resource in resources if resource.crisis]
    return search(crisis, region=region, at=at)[:limit]


def stale(resources: Iterable[Resource], today: date, max_age_days: int = 365) -> list[Resource]:
    """Entries last verified more than `max_age_days` before `today`, oldest first."""
    old = [r for r in resources if (today - r.last_verified).days > max_age_days]
    return sorted(old, key=lambda r: (r.last_verified, r.id))


# --- views -------------------------------------------------------------------------------


class HoursView(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode: HoursMode
    time_zone: str | None
    weekly: list[WeeklySpan]
    note: str | None


class ResourceView(BaseModel):
    """A resource as a client sees it: texts in one language, plus whether it is open now."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    description: str | None
    kind: Kind
    contact: Contact
    regions: list[str]
    languages: list[str]
    audiences: list[Audience]
    hours: HoursView
    open_now: bool | None
    cost: Cost
    crisis: bool
    source: str
    last_verified: date
    org_id: str | None


def view(resource: Resource, lang: Lang, at: datetime) -> ResourceView:
    hours = resource.hours
    return ResourceView(
        id=resource.id,
        name=resource.name[lang],
        description=(resource.description or {}).get(lang),
        kind=resource.kind,
        contact=resource.contact,
        regions=list(resource.regions),
        languages=list(resource.languages),
        audiences=list(resource.audiences),
        hours=HoursView(
            mode=hours.mode,
            time_zone=hours.time_zone,
            weekly=list(hours.weekly),
            note=(hours.note or {}).get(lang),
        ),
        open_now=is_open(hours, at),
        cost=resource.cost,
        crisis=resource.crisis,
        source=resource.source,
        last_verified=resource.last_verified,
        org_id=resource.org_id,
    )
