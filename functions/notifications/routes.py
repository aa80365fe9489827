"""HTTP routes of the notifications function: devices, preferences and the inbox."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import Depends, Path, Query, Response

from functions.notifications.logic import (
    MAX_DEVICES,
    default_preferences,
    device_fields,
    may_add_device,
    preferences_item,
    to_device,
    to_inbox_entry,
    to_preferences,
)
from functions.notifications.models import (
    INSTALLATION_ID_PATTERN,
    Device,
    DeviceIn,
    DeviceList,
    InboxPage,
    Preferences,
    PreferencesIn,
)
from functions.notifications.repository import (
    NotificationsRepository,
    NotificationsStore,
    inbox_sk,
)
from shared import aws
from shared.clock import utc_iso, zone
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import Conflict, NotFound
from shared.http import create_app, problem_responses
from shared.identity import Identity
from shared.routing import Caller, Now
from shared.settings import BaseSettings, NotificationsSettings, settings
from shared.signing_keys import SigningKeys, signing_keys

app = create_app("Notifications API")
ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422)

InstallationId = Annotated[
    str, Path(pattern=INSTALLATION_ID_PATTERN, description="Made by the app, 8-64 [A-Za-z0-9_-]")
]
NotificationId = Annotated[str, Path(alias="id", max_length=200, description="An inbox entry's id")]


@cache
def repository() -> NotificationsStore:
    table = settings(NotificationsSettings).notifications_table
    return NotificationsRepository(aws.client("dynamodb"), table)


def cursor_secret() -> SigningKeys:
    return signing_keys(settings(NotificationsSettings).cursor_secret_arn)


Repo = Annotated[NotificationsStore, Depends(repository)]


def member_zone(identity: Identity) -> str:
    """The zone on the caller's token (checked when it was read), else the deployment default."""
    return identity.zoneinfo or settings(BaseSettings).default_time_zone


# --- devices -------------------------------------------------------------------------------


@app.put(
    "/devices/{installation_id}",
    response_model=Device,
    responses=ERRORS,
    summary=f"Register or update this device (at most {MAX_DEVICES} a member)",
)
def put_device(
    payload: DeviceIn, installation_id: InstallationId, identity: Caller, repo: Repo, now: Now
) -> Device:
    known = repo.device(identity.user_id, installation_id) is not None
    if not may_add_device(known, 0 if known else repo.device_count(identity.user_id)):
        raise Conflict(f"At most {MAX_DEVICES} devices; remove one you no longer use.")
    stored = repo.put_device(
        identity.user_id, installation_id, device_fields(payload), utc_iso(now())
    )
    return to_device(stored)


@app.get("/devices", response_model=DeviceList, responses=ERRORS, summary="The caller's devices")
def list_devices(identity: Caller, repo: Repo) -> DeviceList:
    return DeviceList(items=[to_device(d) for d in repo.devices(identity.user_id)])


@app.delete(
    "/devices/{installation_id}",
    status_code=204,
    responses=ERRORS,
    summary="Stop pushing to this device (on sign-out)",
)
def delete_device(installation_id: InstallationId, identity: Caller, repo: Repo) -> Response:
    if not repo.delete_device(identity.user_id, installation_id):
        raise NotFound("No such device.")
    return Response(status_code=204)


# --- preferences ---------------------------------------------------------------------------


@app.get(
    "/me/notification-preferences",
    response_model=Preferences,
    responses=ERRORS,
    summary="The caller's notification preferences (the defaults if never set)",
)
def get_preferences(identity: Caller, repo: Repo) -> Preferences:
    item = repo.preferences(identity.user_id)
    return to_preferences(item) if item else default_preferences(member_zone(identity))


@app.put(
    "/me/notification-preferences",
    response_model=Preferences,
    responses=ERRORS,
    summary="Replace the caller's notification preferences",
)
def put_preferences(payload: PreferencesIn, identity: Caller, repo: Repo, now: Now) -> Preferences:
    time_zone = zone(payload.time_zone).key if payload.time_zone else member_zone(identity)
    item = preferences_item(identity.user_id, payload, time_zone, identity.locale, now())
    repo.put_preferences(identity.user_id, item)
    return to_preferences(item)


# --- inbox ---------------------------------------------------------------------------------


@app.get(
    "/notifications", response_model=InboxPage, responses=ERRORS, summary="The inbox, newest first"
)
def list_notifications(
    identity: Caller,
    repo: Repo,
    now: Now,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> InboxPage:
    scope = f"notifications|{identity.user_id}"
    secret = cursor_secret()
    items, last_key = repo.inbox_page(
        identity.user_id, limit, decode_cursor(cursor, scope, secret), int(now().timestamp())
    )
    return InboxPage(
        items=[to_inbox_entry(i) for i in items],
        next_cursor=encode_cursor(last_key, scope, secret),
        unread_count=repo.unread_count(identity.user_id),
    )


@app.post(
    "/notifications/read-all",
    status_code=204,
    responses=ERRORS,
    summary="Mark every inbox entry read",
)
def read_all(identity: Caller, repo: Repo, now: Now) -> Response:
    repo.mark_all_read(identity.user_id, utc_iso(now()))
    return Response(status_code=204)


@app.post(
    "/notifications/{id}/read",
    status_code=204,
    responses=ERRORS,
    summary="Mark one inbox entry read (again is harmless)",
)
def read_one(notification_id: NotificationId, identity: Caller, repo: Repo, now: Now) -> Response:
    sk = inbox_sk(notification_id)
    if sk is None or not repo.mark_read(identity.user_id, sk, utc_iso(now())):
        raise NotFound("No such notification.")
    return Response(status_code=204)
