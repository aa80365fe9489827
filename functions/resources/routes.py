"""HTTP routes of the resources function: lookups, served from memory.

Org admins change their entries through the resource-admin function, so this
member-facing one can only read the table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from typing import Annotated, Literal

from fastapi import Depends, Header, Path, Query, Response
from pydantic import BaseModel

from functions.resources.cache import DirectoryCache
from functions.resources.models import ResourceList, StaleList
from shared import aws
from shared.clock import utc_iso
from shared.errors import InvalidInput, NotFound
from shared.http import create_app, problem_responses
from shared.identity import Identity
from shared.resources.access import require_org_admin, visible_scopes
from shared.resources.directory import ResourceView, pick_lang, search, stale, view
from shared.resources.model import Audience, Kind, Lang
from shared.resources.repository import ResourcesRepository, ResourcesStore
from shared.resources.safety import CrisisResources, crisis_resources
from shared.routing import Caller, Now
from shared.settings import BaseSettings, ResourcesSettings, settings

app = create_app("Resources API")
ERRORS = problem_responses(400, 401, 403, 404, 422)
STALE_AFTER_DAYS = 365
RegionParam = Annotated[
    str | None, Query(pattern=r"^(\*|[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?)$", description="e.g. CN-SC")
]
LangParam = Annotated[Literal["zh-CN", "en"] | None, Query(description="Overrides Accept-Language")]


@cache
def repository() -> ResourcesStore:
    return ResourcesRepository(aws.client("dynamodb"), settings(ResourcesSettings).resources_table)


@cache
def directory() -> DirectoryCache:
    return DirectoryCache(repository(), ttl=settings(ResourcesSettings).cache_seconds)


Directory = Annotated[DirectoryCache, Depends(directory)]
AcceptLanguage = Annotated[str | None, Header(alias="Accept-Language", max_length=256)]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", max_length=256)]


def chosen_lang(
    identity: Caller, lang: LangParam = None, accept_language: AcceptLanguage = None
) -> Lang:
    """`lang` if given, else the phone's Accept-Language, else the member's locale."""
    return pick_lang(lang, accept_language or identity.locale)


ChosenLang = Annotated[Lang, Depends(chosen_lang)]


def member_region(identity: Identity, region: str | None) -> str:
    return (region or identity.region or settings(BaseSettings).default_region).upper()


def cached_json(
    body: BaseModel, response: Response, if_none_match: str | None
) -> BaseModel | Response:
    """Attach a strong ETag; answer 304 with no body when the client already has it."""
    etag = '"' + hashlib.sha256(body.model_dump_json().encode()).hexdigest()[:32] + '"'
    if if_none_match and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(
            status_code=304, headers={"ETag": etag, "Cache-Control": "private, max-age=60"}
        )
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, max-age=60"
    return body


@app.get(
    "/resources",
    response_model=ResourceList,
    responses={304: {"description": "Not modified"}, **ERRORS},
    summary="Search the directory: crisis lines first, then open now, then the most local",
)
def list_resources(
    response: Response,
    identity: Caller,
    resources: Directory,
    now: Now,
    chosen: ChosenLang,
    region: RegionParam = None,
    kind: Kind | None = None,
    audience: Audience | None = None,
    open_now: bool | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    updated_since: dt.datetime | None = None,
    if_none_match: IfNoneMatch = None,
) -> BaseModel | Response:
    at = now()
    where = member_region(identity, region)
    found = search(
        resources.resources(visible_scopes(identity)),
        region=where,
        kind=kind,
        audience=audience,
        open_now=open_now,
        q=q,
        at=at,
        own_org=identity.org_id,
    )
    if updated_since is not None:
        if updated_since.tzinfo is None:
            raise InvalidInput("updated_since needs a time zone, e.g. 2026-11-01T00:00:00Z.")
        since = utc_iso(updated_since)
        found = [r for r in found if r.updated_at and r.updated_at > since]
    body = ResourceList(items=[view(r, chosen, at) for r in found], lang=chosen, region=where)
    return cached_json(body, response, if_none_match)


@app.get(
    "/resources/crisis",
    response_model=CrisisResources,
    responses=ERRORS,
    summary="The short list a crisis screen shows, with safe-messaging wording",
)
def crisis_list(
    identity: Caller,
    resources: Directory,
    now: Now,
    chosen: ChosenLang,
    region: RegionParam = None,
) -> CrisisResources:
    return crisis_resources(
        resources.resources(visible_scopes(identity)),
        member_region(identity, region),
        chosen,
        now(),
    )


@app.get(
    "/resources/stale",
    response_model=StaleList,
    responses=ERRORS,
    summary="Entries not verified for more than 365 days (org admins)",
)
def stale_resources(
    identity: Caller, resources: Directory, now: Now, chosen: ChosenLang
) -> StaleList:
    require_org_admin(identity)
    at = now()
    old = stale(resources.resources(visible_scopes(identity)), at.date(), STALE_AFTER_DAYS)
    return StaleList(items=[view(r, chosen, at) for r in old], max_age_days=STALE_AFTER_DAYS)


@app.get(
    "/resources/{id}",
    response_model=ResourceView,
    responses={304: {"description": "Not modified"}, **ERRORS},
    summary="One entry",
)
def get_resource(
    response: Response,
    identity: Caller,
    resources: Directory,
    now: Now,
    resource_id: Annotated[str, Path(alias="id", max_length=64)],
    chosen: ChosenLang,
    if_none_match: IfNoneMatch = None,
) -> BaseModel | Response:
    for resource in resources.resources(visible_scopes(identity)):
        if resource.id == resource_id:
            body = view(resource, chosen, now())
            return cached_json(body, response, if_none_match)
    raise NotFound("No such resource.")
