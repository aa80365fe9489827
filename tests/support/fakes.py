"""In-memory stand-ins for the unit tier (never used by integration or stack tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from functions.checkins.models import Checkin
from shared.identity import Identity


def member(user_id: str = "user-a", zoneinfo: str | None = "Asia/Shanghai", org_id: str = "org-1") -> Identity:
    return Identity(
        user_id=user_id, username=user_id, roles=frozenset({"member"}), org_id=org_id, zoneinfo=zoneinfo
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
            (v for (u, _), v in self.items.items() if u == user_id), key=lambda i: i["date"], reverse=True
        )

    def page(
        self, user_id: str, first: dt.date, last: dt.date, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[Checkin], dict[str, Any] | None]:
        rows = [i for i in self._mine(user_id) if first.isoformat() <= i["date"] <= last.isoformat()]
        if start_key:
            rows = [i for i in rows if i["date"] < start_key["date"]]
        page = rows[:limit]
        more = len(rows) > limit
        last_key = {"user_id": user_id, "date": page[-1]["date"]} if more else None
        return [Checkin.model_validate(i) for i in page], last_key

    def newest_first(self, user_id: str, until: dt.date, page_size: int = 100) -> Any:
        return iter([i for i in self._mine(user_id) if i["date"] <= until.isoformat()])
