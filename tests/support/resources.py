"""One valid raw resource-directory entry, shared by the resource tests."""

from __future__ import annotations

from typing import Any


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
