"""Delivers notification requests from SQS: the inbox entry, then a push to each device (no HTTP).

A request (shared/notifications/notify.py) names a member, a category and the text
inputs of a full preview. For each one, `deliver`:
1. drops it once past `expires_at`;
2. drops it if the member turned the category off (safety and counsellor alerts
   cannot be turned off);
3. defers it while the member is in quiet hours (reminders, follow-ups, peer messages
   and announcements; never safety or counsellor alerts): the same request goes back
   on its queue with a delay of at most 15 minutes (SQS's limit), so it waits out the
   quiet period in hops;
4. renders the text in the member's lock-screen preview (counsellor alerts and safety
   are always generic), writes the inbox entry once per request id in the locale of the
   preferences, and pushes to every enabled device, each through its provider, in the
   device's own locale (the preferences', failing that; zh-CN failing both).

Exactly one inbox entry and at most one push per device for a request, however often
SQS delivers it: the inbox entry is keyed by the request id, and a device's push is
marked sent ("sent#<request_id>#<installation_id>") before it goes. A push the service
asks us to retry has its mark removed and fails the record, so SQS delivers it again
and only the devices not yet reached get it. (If the Lambda dies between the mark and
the push, that device misses this one push: at most once per device, by design.)
A token the service calls dead disables the device.

JPush credentials live in Secrets Manager (JPUSH_SECRET_ARN, the secret string
{"app_key": ..., "master_secret": ...}); they are read when the first JPush device is
pushed to and kept for the container. Without JPUSH_SECRET_ARN, JPush devices are skipped.

Powertools BatchProcessor reports failed records one by one, so one bad record never
replays the batch. A failed record is held back before SQS offers it again: 10 s,
doubling to 60 s for urgent requests and 15 minutes for the rest, until it expires or
the queue's maxReceiveCount moves it to the dead-letter queue (whose alarm pages
someone). Each failed try adds 1 to the metric `NotificationRetries`. A reminder held
back by quiet hours is dropped once the member has checked in on its day; a message
that is not a request at all is logged and dropped (retrying cannot mend it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.notifications.repository import SenderRepository, inbox_id
from shared import aws
from shared.clock import system_clock
from shared.notifications import render, schedule
from shared.notifications.notify import MAX_DELAY_SECONDS, Queue, is_urgent
from shared.notifications.providers import Device, Outcome, Provider, Push
from shared.observability import instrument, logger, metrics
from shared.settings import NotificationsSettings, settings

Result = Literal["delivered", "expired", "opted_out", "deferred", "checked_in", "malformed"]
DEFAULT_LOCALE = "zh-CN"

# The preference that turns a category off; absent: it cannot be turned off.
OPT_OUT = {
    "reminder": "reminders",
    "peer_message": "peer_messages",
    "follow_up": "follow_ups",
    "announcement": "announcements",
}
QUIET = frozenset({"reminder", "follow_up", "peer_message", "announcement"})
ALWAYS_GENERIC = frozenset({"counsellor_alert", "safety"})
# Repeated reminders replace each other on the device; everything else stands alone.
SHARED_COLLAPSE = {"reminder": "reminder"}

# Retries of a failed request: 10 s, 20 s, 40 s ... up to these ceilings.
FIRST_RETRY = 10
URGENT_RETRY_CEILING = 60
RETRY_CEILING = MAX_DELAY_SECONDS

# A batch whose every record failed is answered like any other (each one listed), so the
# retry delays set per record stand instead of the whole invocation erroring.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class PushesToRetry(Exception):
    """Some devices asked for the push again later: the record fails and SQS redelivers it."""

    def __init__(self, request_id: str, installation_ids: list[str]) -> None:
        super().__init__(f"request {request_id}: {len(installation_ids)} push(es) to retry")
        self.request_id = request_id
        self.installation_ids = installation_ids


@dataclass(frozen=True)
class Dependencies:
    repository: SenderRepository
    providers: Mapping[str, Provider]  # by device provider: "apns", "fcm", "jpush"
    queue: Queue
    clock: Callable[[], datetime]
    default_time_zone: str = "Asia/Shanghai"


_JPUSH_SECRET_KEYS = ("app_key", "master_secret")
JPUSH_API_URL = "https://api.jpush.cn"


class SenderSettings(NotificationsSettings):
    jpush_secret_arn: str = ""
    jpush_api_url: str = JPUSH_API_URL  # empty: JPush's own


class LazyProvider(Provider):
    """A provider built on its first push (and kept): its credentials are read only then."""

    def __init__(self, build: Callable[[], Provider]) -> None:
        self._build = build
        self._provider: Provider | None = None

    def send(self, device: Device, push: Push) -> Outcome:
        if self._provider is None:
            self._provider = self._build()  # a failed build is tried again next time
        return self._provider.send(device, push)


def jpush_credentials(secrets: Any, secret_arn: str) -> tuple[str, str]:
    """(app key, master secret) from the JPush secret; ValueError quoting nothing of it."""
    raw = secrets.get_secret_value(SecretId=secret_arn)["SecretString"]
    try:
        found = json.loads(raw)
    except ValueError:
        found = None
    pair = [found.get(k) if isinstance(found, dict) else None for k in _JPUSH_SECRET_KEYS]
    if not all(isinstance(v, str) and v for v in pair):
        raise ValueError("The JPush secret must be JSON with app_key and master_secret.")
    return str(pair[0]), str(pair[1])


def jpush_provider(secret_arn: str, api_url: str) -> Provider:
    from shared.notifications.jpush import JPushProvider

    app_key, master_secret = jpush_credentials(aws.client("secretsmanager"), secret_arn)
    return JPushProvider(app_key, master_secret, base_url=api_url)


@cache
def dependencies() -> Dependencies:
    """The production dependencies, built on first use."""
    from shared.notifications.sns_push import SnsProvider

    config = settings(SenderSettings)
    sns = LazyProvider(lambda: SnsProvider(aws.client("sns")))
    providers: dict[str, Provider] = {"apns": sns, "fcm": sns}
    if config.jpush_secret_arn:
        api_url = config.jpush_api_url or JPUSH_API_URL
        providers["jpush"] = LazyProvider(lambda: jpush_provider(config.jpush_secret_arn, api_url))
    return Dependencies(
        repository=SenderRepository(aws.client("dynamodb"), config.notifications_table),
        providers=providers,
        queue=Queue(),
        clock=system_clock,
        default_time_zone=config.default_time_zone,
    )


# --- decisions ---------------------------------------------------------------------------


def _quiet_hours(prefs: Mapping[str, Any]) -> schedule.QuietHours | None:
    start, end = prefs.get("quiet_start"), prefs.get("quiet_end")
    return schedule.QuietHours(start, end) if start and end else None


def deferral_seconds(now: datetime, prefs: Mapping[str, Any], zone: str) -> int | None:
    """How long to hold a quiet-hours category back (at most 900 s), or None to send now."""
    quiet = _quiet_hours(prefs)
    if quiet is None or not schedule.in_quiet_hours(now, quiet, zone):
        return None
    left = (schedule.quiet_hours_end(now, quiet, zone) - now).total_seconds()
    return max(1, min(MAX_DELAY_SECONDS, math.ceil(left)))


def _device(item: Mapping[str, Any]) -> Device:
    return Device(
        installation_id=str(item["installation_id"]),
        platform=item["platform"],
        provider=item["provider"],
        token=str(item["token"]),
        apns_environment=item.get("apns_environment"),
        endpoint_arn=item.get("endpoint_arn"),
    )


class Texts:
    """The request's text in each locale asked for, rendered once per locale."""

    def __init__(self, request: Mapping[str, Any], prefs: Mapping[str, Any]) -> None:
        category = str(request["category"])
        preview = "generic" if category in ALWAYS_GENERIC else prefs.get("lock_screen_preview")
        self._category = category
        self._preview: render.Preview = "full" if preview == "full" else "generic"
        self._params = request.get("params") or {}
        self._default_locale = str(prefs.get("locale") or DEFAULT_LOCALE)
        self._rendered: dict[str, render.Rendered] = {}

    def in_locale(self, locale: str | None = None) -> render.Rendered:
        """The text in `locale`, or in the preferences' locale when None."""
        wanted = locale or self._default_locale
        if wanted not in self._rendered:
            self._rendered[wanted] = render.render(
                self._category, wanted, self._preview, self._params
            )
        return self._rendered[wanted]


@dataclass(frozen=True)
class Outgoing:
    """What every device's push of one request shares; the text is the device's own."""

    request: Mapping[str, Any]
    texts: Texts
    ref: str  # the inbox entry's id
    badge: int  # the unread count
    now_epoch: int

    def push_for(self, device_item: Mapping[str, Any]) -> Push:
        category = str(self.request["category"])
        text = self.texts.in_locale(device_item.get("locale"))
        return Push(
            title=text.title,
            body=text.body,
            route=text.route,
            ref=self.ref,
            collapse_id=SHARED_COLLAPSE.get(category, f"{category}:{self.request['request_id']}"),
            badge=self.badge,
            urgent=category == "counsellor_alert" or bool(self.request.get("urgent")),
            ttl_seconds=max(0, int(self.request["expires_at"]) - self.now_epoch),
        )


# --- delivery ----------------------------------------------------------------------------


def deliver(request: Mapping[str, Any], deps: Dependencies, now: datetime) -> Result:
    """Deliver one request (see the module docstring); PushesToRetry if a push must go again."""
    user_id = str(request["recipient_id"])
    request_id = str(request["request_id"])
    category = str(request["category"])
    now_epoch = int(now.timestamp())
    log = {"request_id": request_id, "category": category}
    if now_epoch >= int(request["expires_at"]):
        logger.info("notification expired undelivered", extra=log)
        return "expired"
    prefs = deps.repository.preferences(user_id) or {}
    if OPT_OUT.get(category) in (prefs.get("opt_outs") or []):
        logger.info("notification category turned off", extra=log)
        return "opted_out"
    day = request.get("day")
    if category == "reminder" and day and str(prefs.get("last_checkin_day") or "") >= str(day):
        logger.info("reminder dropped: the member has checked in", extra=log)
        return "checked_in"
    zone = str(prefs.get("time_zone") or deps.default_time_zone)
    if category in QUIET:
        delay = deferral_seconds(now, prefs, zone)
        if delay is not None:
            deps.queue.send(request, delay_seconds=delay)
            logger.info("notification deferred for quiet hours", extra=log | {"delay": delay})
            return "deferred"
    texts = Texts(request, prefs)
    text = texts.in_locale()
    created_at = str(request["created_at"])
    entry = {
        "category": category,
        "title": text.title,
        "body": text.body,
        "route": text.route,
        "created_at": created_at,
    }
    added = deps.repository.add_inbox_entry(user_id, request_id, entry, request_id)
    outgoing = Outgoing(
        request,
        texts,
        inbox_id(created_at, request_id),
        deps.repository.unread_count(user_id),
        now_epoch,
    )
    retry = _push_to_devices(user_id, request_id, outgoing, deps)
    logger.info("notification delivered", extra=log | {"new_entry": added, "retry": len(retry)})
    if retry:
        raise PushesToRetry(request_id, retry)
    return "delivered"


def _push_to_devices(
    user_id: str, request_id: str, outgoing: Outgoing, deps: Dependencies
) -> list[str]:
    """Push to each enabled device not yet reached; the installation ids to try again."""
    retry: list[str] = []
    repo = deps.repository
    now_epoch = outgoing.now_epoch
    for item in repo.enabled_devices(user_id):
        device = _device(item)
        provider = deps.providers.get(device.provider)
        if provider is None:
            logger.warning("no provider configured", extra={"provider": device.provider})
            continue
        if device.provider in ("apns", "fcm") and not device.endpoint_arn:
            logger.warning("device has no SNS endpoint yet", extra={"provider": device.provider})
            continue
        if not repo.claim_sent(user_id, request_id, device.installation_id, now_epoch):
            continue  # a delivery before this one reached it
        try:
            outcome = provider.send(device, outgoing.push_for(item))
        except Exception:
            repo.release_sent(user_id, request_id, device.installation_id)
            raise
        if outcome == "retry":
            repo.release_sent(user_id, request_id, device.installation_id)
            retry.append(device.installation_id)
        elif outcome == "token_dead":
            repo.disable_device(user_id, device.installation_id, device.token)
            logger.info("device token dead: disabled", extra={"provider": device.provider})
    return retry


# --- the Lambda --------------------------------------------------------------------------


def backoff_seconds(receive_count: int, urgent: bool) -> int:
    """How long a request waits before its next try: doubling from 10 s, at most 60 s for
    an urgent one and 15 minutes for the rest (until its time-to-live, or the queue's
    maxReceiveCount moves it to the dead-letter queue)."""
    ceiling = URGENT_RETRY_CEILING if urgent else RETRY_CEILING
    return min(ceiling, FIRST_RETRY * 2 ** min(max(receive_count, 1) - 1, 16))


def record_handler(record: SQSRecord) -> Result:
    try:
        request = json.loads(record.body)
        int(request["expires_at"]), str(request["recipient_id"]), str(request["category"])
    except (ValueError, TypeError, KeyError):
        # A producer's bug (notify() builds only valid requests): retrying cannot help.
        logger.error("not a notification request: dropped", extra={"message_id": record.message_id})
        return "malformed"
    deps = dependencies()
    try:
        return deliver(request, deps, deps.clock().astimezone(UTC))
    except Exception:
        # A provider refusing pushes (or any failure) shows here before any queue alarm.
        metrics.add_metric(name="NotificationRetries", unit="Count", value=1)
        count = int(record.attributes.approximate_receive_count or 1)
        delay = backoff_seconds(count, is_urgent(request))
        try:
            deps.queue.retry_later(request, record.receipt_handle, delay)
        except Exception:  # SQS's own visibility timeout still brings it back
            logger.warning("could not set the retry delay", extra={"delay": delay})
        raise


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
