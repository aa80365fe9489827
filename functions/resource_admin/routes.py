"""HTTP routes of the resource-admin function: an org admin's own directory entries.

Kept apart from the member-facing lookups: it alone may write the resources
table, and lookups do not pay its cold start. The lookup function's memory
sees a change within its refresh (60 s).
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import Depends, Path, Response

from shared import aws
from shared.clock import Clock, utc_iso
from shared.errors import Conflict, InvalidInput, NotFound
from shared.http import create_app, problem_responses
from shared.resources.access import require_org_admin
from shared.resources.model import Resource
from shared.resources.repository import PUBLIC, ResourcesRepository, ResourcesStore, org_scope
from shared.routing import Caller, Now
from shared.settings import ResourcesSettings, settings


def org_admin_only(identity: Caller) -> None:
    """Every route here is an org admin's: anyone else gets 403 before the body is validated."""
    require_org_admin(identity)


app = create_app("Resource admin API", dependencies=[Depends(org_admin_only)])
ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422)
ResourceId = Annotated[str, Path(alias="id", max_length=64)]


@cache
def repository() -> ResourcesStore:
    return ResourcesRepository(aws.client("dynamodb"), settings(ResourcesSettings).resources_table)


Repo = Annotated[ResourcesStore, Depends(repository)]


def _stamped(resource: Resource, org_id: str, now: Clock) -> Resource:
    # The organisation comes from the token and the time from the server, never the body.
    return resource.model_copy(update={"org_id": org_id, "updated_at": utc_iso(now())})


@app.post(
    "/resources",
    status_code=201,
    response_model=Resource,
    responses=ERRORS,
    summary="Add an entry of the admin's organisation",
)
def create_resource(resource: Resource, identity: Caller, repo: Repo, now: Now) -> Resource:
    org_id = require_org_admin(identity)
    if any(r.id == resource.id for r in repo.scope(PUBLIC)):
        raise Conflict("A public entry already has this id; choose another.")
    stored = _stamped(resource, org_id, now)
    if not repo.put(org_scope(org_id), stored, exists=False):
        raise Conflict("Your organisation already has an entry with this id.")
    return stored


@app.put(
    "/resources/{id}",
    response_model=Resource,
    responses=ERRORS,
    summary="Replace an entry of the admin's organisation",
)
def replace_resource(
    resource: Resource, identity: Caller, repo: Repo, now: Now, resource_id: ResourceId
) -> Resource:
    org_id = require_org_admin(identity)
    if resource.id != resource_id:
        raise InvalidInput("The id in the body must match the id in the path.")
    stored = _stamped(resource, org_id, now)
    if not repo.put(org_scope(org_id), stored, exists=True):
        raise NotFound("Your organisation has no entry with this id.")
    return stored


@app.delete(
    "/resources/{id}",
    status_code=204,
    responses=ERRORS,
    summary="Remove an entry of the admin's organisation",
)
def delete_resource(identity: Caller, repo: Repo, resource_id: ResourceId) -> Response:
    org_id = require_org_admin(identity)
    if not repo.delete(org_scope(org_id), resource_id):
        raise NotFound("Your organisation has no entry with this id.")
    return Response(status_code=204)
