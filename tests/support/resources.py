"""Shared by the resource tests: one valid raw directory entry and an in-memory table."""

from __future__ import annotations

from typing import Any

from shared.resources.model import Resource
from shared.resources.repository import ResourcesStore


def raw_entry(rid: str = "cn-test-line", **overrides: Any) -> dict[str, Any]:
    """A valid raw directory entry (a public, always-open, free CN crisis hotline).

    Each keyword in `overrides` replaces the top-level key of that name.
    """
    raw: dict[str, Any] = {
        "id": rid,
        "name": {"zh-CN": "测试热线", "en": "Test line"},
        "kind": "hotline",
        "contact": {"phone": "12356"},
        "regions": ["CN"],
        "languages": ["zh"],
        "audiences": ["everyone"],
        "hours": {"mode": "always"},
        "cost": "free",
        "crisis": True,
        "source": "https://example.org/",
        "last_verified": "2026-11-01",
    }
    raw.update(overrides)
    return raw


class FakeResourcesRepository:
    """Same contract as ResourcesRepository (`ResourcesStore`), kept in a dict."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Resource] = {}
        self.reads = 0

    def scope(self, scope: str) -> list[Resource]:
        self.reads += 1
        return [r for (s, _), r in self.items.items() if s == scope]

    def put(self, scope: str, resource: Resource, *, exists: bool | None = None) -> bool:
        present = (scope, resource.id) in self.items
        if exists is not None and present != exists:
            return False
        self.items[(scope, resource.id)] = resource
        return True

    def delete(self, scope: str, resource_id: str) -> bool:
        return self.items.pop((scope, resource_id), None) is not None


# mypy fails here if the fake drifts from the contract the routes are typed against.
_: ResourcesStore = FakeResourcesRepository()
