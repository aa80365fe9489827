"""HTTP routes of the notifications function: devices, preferences and the inbox.

Registering a device also keeps its SNS endpoint (APNs and FCM) and hands its push token
over from any other device item holding it (a shared or handed-on phone), so a token
reaches one account only. SNS failures answer as problems: a token SNS refuses is 422,
anything else 503 "try again", never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Annotated, Any

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import Depends, Path, Query, Response

from functions.notifications.logic import (
    MAX_DEVICES,
    PlatformApps,
    PushEndpoints,
    default_preferences,
    device_fields,
    may_add_device,
    preferences_item,
    stale_endpoints,
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
    token_pk,
)
from shared import aws
from shared.clock import utc_iso, zone
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import Conflict, DomainError, InvalidInput, NotFound
from shared.http import create_app, problem_responses
from shared.identity import Identity
from shared.notifications.sns_push import is_passing, sns_error_code, token_refused
from shared.observability import logger
from shared.routing import Caller, Now
from shared.settings import BaseSettings, NotificationsSettings, settings
from shared.signing_keys import SigningKeys, signing_keys

app = create_app("Notifications API")
ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422)
DEVICE_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 503)

InstallationId = Annotated[
    str, Path(pattern=INSTALLATION_ID_PATTERN, description="Made by the app, 8-64 [A-Za-z0-9_-]")
]
NotificationId = Annotated[str, Path(alias="id", max_length=200, description="An inbox entry's id")]


class DeviceSettings(NotificationsSettings):
    """SNS platform applications; an empty ARN: that platform is not set up here."""

    apns_platform_app_arn: str = ""
    apns_sandbox_platform_app_arn: str = ""
    fcm_platform_app_arn: str = ""


class PushServiceUnavailable(DomainError):
    status = 503
    type_slug = "push-service-unavailable"
    title = "The push service could not be reached"


@cache
def repository() -> NotificationsStore:
    table = settings(NotificationsSettings).notifications_table
    return NotificationsRepository(aws.client("dynamodb"), table)


@cache
def push_endpoints() -> PushEndpoints:
    config = settings(DeviceSettings)
    apps = PlatformApps(
        apns=config.apns_platform_app_arn,
        apns_sandbox=config.apns_sandbox_platform_app_arn,
        fcm=config.fcm_platform_app_arn,
    )
    return PushEndpoints(apps, sns=lambda: aws.client("sns"))


def cursor_secret() -> SigningKeys:
    return signing_keys(settings(NotificationsSettings).cursor_secret_arn)


Repo = Annotated[NotificationsStore, Depends(repository)]
Endpoints = Annotated[PushEndpoints, Depends(push_endpoints)]


def member_zone(identity: Identity) -> str:
    """The zone on the caller's token (checked when it was read), else the deployment default."""
    return identity.zoneinfo or settings(BaseSettings).default_time_zone


# --- devices -------------------------------------------------------------------------------


@contextmanager
def sns_problems() -> Iterator[None]:
    """SNS failures while registering, as problems that say nothing SNS said."""
    try:
        yield
    except ClientError as error:
        if token_refused(error):
            refused = {
                "location": ["body", "token"],
                "message": "Refused by the push service; register the platform's current token.",
                "code": "token_refused",
            }
            raise InvalidInput("The push service refused this token.", errors=[refused]) from None
        code = sns_error_code(error)
        if is_passing(error):
            logger.warning("SNS busy while registering a device", extra={"sns_error": code})
        else:  # our configuration or permissions: an operator must look
            logger.error("SNS refused a device registration", extra={"sns_error": code})
        raise PushServiceUnavailable("The push service is busy; try again shortly.") from None
    except BotoCoreError as error:
        logger.warning("SNS unreachable", extra={"error_type": type(error).__name__})
        raise PushServiceUnavailable("The push service is busy; try again shortly.") from None


def retire_endpoints(
    push: PushEndpoints, repo: NotificationsStore, replaced: list[dict[str, Any]]
) -> None:
    """Delete the SNS endpoints of replaced device items that no other item pushes through.

    Best effort: the device items are already right, and an endpoint left behind is
    adopted by the next registration of its token.
    """
    for item in replaced:
        if repo.endpoint_used_elsewhere(item):
            continue
        try:
            push.delete(str(item["endpoint_arn"]))
        except (ClientError, BotoCoreError) as error:
            logger.warning("SNS endpoint left behind", extra={"error_type": type(error).__name__})


@app.put(
    "/devices/{installation_id}",
    response_model=Device,
    responses=DEVICE_ERRORS,
    summary=f"Register or update this device (at most {MAX_DEVICES} a member)",
)
def put_device(
    payload: DeviceIn,
    installation_id: InstallationId,
    identity: Caller,
    repo: Repo,
    push: Endpoints,
    now: Now,
) -> Device:
    user_id = identity.user_id
    previous = repo.device(user_id, installation_id)
    if not may_add_device(previous is not None, repo.device_count(user_id) if not previous else 0):
        raise Conflict(f"At most {MAX_DEVICES} devices; remove one you no longer use.")
    fields = device_fields(payload)
    with sns_problems():
        wiring = push.wire(fields, previous, installation_id)
    # Only now, with the token accepted: no other account is pushed to with it any more.
    taken = repo.take_token(user_id, installation_id, token_pk(payload.provider, payload.token))
    if taken:
        logger.info("push token taken over from other devices", extra={"devices": len(taken)})
    stored = repo.put_device(
        user_id,
        installation_id,
        fields,
        utc_iso(now()),
        endpoint_arn=wiring.endpoint_arn,
        disabled_reason=wiring.disabled_reason,
    )
    retire_endpoints(push, repo, stale_endpoints([previous, *taken], wiring.endpoint_arn))
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
def delete_device(
    installation_id: InstallationId, identity: Caller, repo: Repo, push: Endpoints
) -> Response:
    deleted = repo.delete_device(identity.user_id, installation_id)
    if deleted is None:
        raise NotFound("No such device.")
    retire_endpoints(push, repo, stale_endpoints([deleted], None))
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
    unread = repo.unread_count(identity.user_id)  # read first: see correct_unread
    items, last_key = repo.inbox_page(
        identity.user_id, limit, decode_cursor(cursor, scope, secret), int(now().timestamp())
    )
    if cursor is None and last_key is None:
        # The whole inbox is on this page: an entry that expired unread (after 90 days)
        # must not keep the badge up. Only if the counter did not move meanwhile.
        actual = sum(1 for i in items if not i.get("read_at"))
        if actual != unread and repo.correct_unread(identity.user_id, unread, actual):
            unread = actual
    return InboxPage(
        items=[to_inbox_entry(i) for i in items],
        next_cursor=encode_cursor(last_key, scope, secret),
        unread_count=unread,
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
