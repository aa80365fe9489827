"""Asking for a notification: `notify(recipient, category, params)` puts a request on SQS.

Any function that has something to tell a member (a reply, a follow-up, a counsellor
alert) calls `notify`; the sender Lambda (functions/notifications/sender.py) takes the
request from the queue, applies the member's preferences and quiet hours, writes the
inbox entry and pushes to their devices. Urgent requests (every counsellor alert, and
any request made with `urgent=True`) go to their own queue, so a backlog of reminders
never delays them.

A request holds ids and `params` only. `params` are the text inputs of a full
preview, such as a sender's display name or an announcement's title (see
shared/notifications/render.py); they must never carry a member's own words (a check-in
note, a journal entry, a message body) or anything about risk: the text of a push is
rendered from fixed templates on the sender's side.

No FastAPI or pydantic here: the sender and non-HTTP functions import it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from shared import aws
from shared.clock import utc_iso
from shared.notifications.render import CATEGORIES
from shared.settings import Settings, settings

URGENT_CATEGORIES = frozenset({"counsellor_alert"})
# Inbox sort keys embed the request id (functions/notifications/repository.py).
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_DELAY_SECONDS = 900
MAX_TTL_SECONDS = 86400  # SQS's longest DelaySeconds


class NotifySettings(Settings):
    notify_queue_url: str = ""
    notify_alerts_queue_url: str = ""


def is_urgent(request: Mapping[str, Any]) -> bool:
    return bool(request.get("urgent")) or request.get("category") in URGENT_CATEGORIES


class Queue:
    """The two notification queues behind one SQS client, each made on first use."""

    def __init__(
        self, sqs: Any = None, queue_url: str | None = None, alerts_queue_url: str | None = None
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._alerts_queue_url = alerts_queue_url

    def url_for(self, request: Mapping[str, Any]) -> str:
        """The alerts queue for an urgent request, else the ordinary one."""
        if is_urgent(request):
            url = self._alerts_queue_url or settings(NotifySettings).notify_alerts_queue_url
            name = "NOTIFY_ALERTS_QUEUE_URL"
        else:
            url = self._queue_url or settings(NotifySettings).notify_queue_url
            name = "NOTIFY_QUEUE_URL"
        if not url:
            raise RuntimeError(f"{name} is not set")
        return url

    def send(self, request: Mapping[str, Any], delay_seconds: int = 0) -> None:
        """Put `request` on its queue, to be received after `delay_seconds` (at most 900)."""
        if not 0 <= delay_seconds <= MAX_DELAY_SECONDS:
            raise ValueError(f"delay_seconds must be 0..{MAX_DELAY_SECONDS}")
        sqs = self._sqs if self._sqs is not None else aws.client("sqs")
        sqs.send_message(
            QueueUrl=self.url_for(request),
            MessageBody=json.dumps(dict(request), ensure_ascii=False, separators=(",", ":")),
            DelaySeconds=delay_seconds,
        )

    def retry_later(self, request: Mapping[str, Any], receipt_handle: str, seconds: int) -> None:
        """Keep a received request hidden for `seconds` before SQS offers it again."""
        sqs = self._sqs if self._sqs is not None else aws.client("sqs")
        sqs.change_message_visibility(
            QueueUrl=self.url_for(request), ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )


def build_request(
    recipient_id: str,
    category: str,
    params: Mapping[str, str] | None = None,
    *,
    request_id: str | None = None,
    ttl_seconds: int = 86400,
    urgent: bool = False,
    now: datetime | None = None,
    day: str | None = None,
) -> dict[str, Any]:
    """The request `notify` sends (pure); ValueError for anything the sender could not use.

    `day` (a reminder's member-local "YYYY-MM-DD"): the sender drops the reminder if the
    member has checked in on that day by the time it would go out.
    """
    if category not in CATEGORIES:
        raise ValueError(f"Unknown notification category; one of {', '.join(CATEGORIES)}.")
    if not isinstance(recipient_id, str) or not recipient_id:
        raise ValueError("recipient_id must be a non-empty string.")
    if params is not None and not all(
        isinstance(k, str) and isinstance(v, str) for k, v in params.items()
    ):
        raise ValueError("params must map strings to strings.")
    if request_id is None:
        request_id = uuid.uuid4().hex
    elif not isinstance(request_id, str) or REQUEST_ID.fullmatch(request_id) is None:
        raise ValueError("request_id must be 1-128 characters of [A-Za-z0-9_-].")
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int):
        raise ValueError("ttl_seconds must be a whole number of seconds.")
    if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        # The sender's per-device "sent" marks outlive any request by a day.
        raise ValueError("ttl_seconds must be from 1 to 86400 (a day).")
    if day is not None and (not isinstance(day, str) or DAY.fullmatch(day) is None):
        raise ValueError("day must be YYYY-MM-DD.")
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware.")
    request: dict[str, Any] = {
        "request_id": request_id,
        "recipient_id": recipient_id,
        "category": category,
        "params": dict(params or {}),
        "urgent": urgent or category in URGENT_CATEGORIES,
        "created_at": utc_iso(moment),
        "expires_at": int((moment + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    if day is not None:
        request["day"] = day
    return request


def notify(
    recipient_id: str,
    category: str,
    params: Mapping[str, str] | None = None,
    *,
    request_id: str | None = None,
    ttl_seconds: int = 86400,
    urgent: bool = False,
    now: datetime | None = None,
    queue: Queue | None = None,
) -> str:
    """Ask for `category` to reach `recipient_id`; the request id (give one to make it idempotent).

    The same request id delivered twice makes one inbox entry and one push per device.
    A request not delivered within `ttl_seconds` is dropped.
    """
    request = build_request(
        recipient_id,
        category,
        params,
        request_id=request_id,
        ttl_seconds=ttl_seconds,
        urgent=urgent,
        now=now,
    )
    (queue if queue is not None else _default_queue()).send(request)
    return str(request["request_id"])


@cache
def _default_queue() -> Queue:
    return Queue()
