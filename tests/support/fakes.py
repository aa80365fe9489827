"""In-memory stand-ins for the unit tier (never used by integration or stack tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from functions.checkins.models import Checkin
from shared.identity import Identity, Role


class Caller:
    """The identity the next request is made as; tests change it between requests."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def __call__(self) -> Identity:
        return self.identity


class MovableClock:
    """A clock the test sets by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def member(
    user_id: str = "user-a",
    zoneinfo: str | None = "Asia/Shanghai",
    org_id: str = "org-1",
    *,
    locale: str | None = None,
    roles: tuple[Role, ...] = ("member",),
) -> Identity:
    return Identity(
        user_id=user_id,
        username=user_id,
        roles=frozenset(roles),
        org_id=org_id,
        zoneinfo=zoneinfo,
        locale=locale,
    )


class FakeCheckinsRepository:
    """Same contract as CheckinsRepository, kept in a dict."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def save(self, user_id: str, org_id: str | None, checkin: Checkin) -> tuple[Checkin, bool]:
        key = (user_id, checkin.date.isoformat())
        old = self.items.get(key)
        if old:
            checkin = checkin.model_copy(update={"created_at": old["created_at"]})
        self.items[key] = checkin.model_dump(mode="json") | {"user_id": user_id, "org_id": org_id}
        return checkin, old is None

    def get(self, user_id: str, day: dt.date) -> Checkin | None:
        item = self.items.get((user_id, day.isoformat()))
        return Checkin.model_validate(item) if item else None

    def _mine(self, user_id: str) -> list[dict[str, Any]]:
        return sorted(
            (v for (u, _), v in self.items.items() if u == user_id),
            key=lambda i: i["date"],
            reverse=True,
        )

    def page(
        self,
        user_id: str,
        first: dt.date,
        last: dt.date,
        limit: int,
        start_key: dict[str, Any] | None,
    ) -> tuple[list[Checkin], dict[str, Any] | None]:
        rows = [
            i for i in self._mine(user_id) if first.isoformat() <= i["date"] <= last.isoformat()
        ]
        if start_key:
            rows = [i for i in rows if i["date"] < start_key["date"]]
        page = rows[:limit]
        more = len(rows) > limit
        last_key = {"user_id": user_id, "date": page[-1]["date"]} if more else None
        return [Checkin.model_validate(i) for i in page], last_key

    def newest_first(self, user_id: str, until: dt.date, page_size: int = 100) -> Any:
        return iter([i for i in self._mine(user_id) if i["date"] <= until.isoformat()])


class FakeAccountsRepository:
    """Same contract as AccountsRepository: profiles in a dict, Cognito updates in a list."""

    def __init__(self) -> None:
        self.profiles: dict[str, dict[str, Any]] = {}
        # (username, attributes) of every update that would reach Cognito; like the real
        # repository, an empty attribute set sends nothing.
        self.mirrored: list[tuple[str, dict[str, str]]] = []

    def get(self, user_id: str) -> dict[str, Any] | None:
        profile = self.profiles.get(user_id)
        return dict(profile) if profile is not None else None

    def create(self, profile: dict[str, Any]) -> dict[str, Any]:
        existing = self.profiles.get(profile["user_id"])
        if existing is not None:
            return dict(existing)
        self.profiles[profile["user_id"]] = dict(profile)
        return dict(profile)

    def update(
        self, user_id: str, changes: dict[str, Any], defaults: dict[str, Any]
    ) -> dict[str, Any]:
        profile = dict(self.profiles.get(user_id) or {"user_id": user_id})
        for field, value in defaults.items():
            if field not in changes:
                profile.setdefault(field, value)
        for field, value in changes.items():
            if value is None:
                profile.pop(field, None)
            else:
                profile[field] = value
        self.profiles[user_id] = profile
        return dict(profile)

    def mirror_to_token(self, username: str, attributes: dict[str, str]) -> None:
        if attributes:
            self.mirrored.append((username, dict(attributes)))


class FakeMemberData:
    """Same contract as functions.accounts.member_data.MemberData, in memory."""

    def __init__(self) -> None:
        self.checkin_items: dict[str, list[dict[str, Any]]] = {}
        self.journal_items: dict[str, list[dict[str, Any]]] = {}
        self.retention: dict[str, int | None] = {}
        self.erased: list[str] = []

    def checkins(self, user_id: str) -> list[dict[str, Any]]:
        return list(self.checkin_items.get(user_id, []))

    def journal_entries(self, user_id: str) -> list[dict[str, Any]]:
        return list(self.journal_items.get(user_id, []))

    def erase(self, user_id: str) -> int:
        self.erased.append(user_id)
        return len(self.checkin_items.pop(user_id, [])) + len(self.journal_items.pop(user_id, []))

    def set_journal_retention(self, user_id: str, days: int | None) -> None:
        self.retention[user_id] = days
