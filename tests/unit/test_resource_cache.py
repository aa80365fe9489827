"""The in-memory directory: warm lookups read nothing, and it refreshes after its TTL."""

from __future__ import annotations

from typing import Any

from functions.resources.cache import DirectoryCache


class CountingReader:
    def __init__(self) -> None:
        self.reads: list[str] = []

    def scope(self, scope: str) -> list[Any]:  # stands in for Resource objects
        self.reads.append(scope)
        return [f"{scope}-entry-{len(self.reads)}"]


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_warm_lookup_reads_nothing() -> None:
    # Given a cache that has loaded both scopes once
    reader, clock = CountingReader(), Ticker()
    cache = DirectoryCache(reader, ttl=60, monotonic=clock)
    cache.resources(["public", "org#a"])

    # When the same scopes are asked for within the TTL
    clock.now = 59.9
    again = cache.resources(["public", "org#a"])

    # Then no further read happened and the same entries come back
    assert reader.reads == ["public", "org#a"]
    assert again == ["public-entry-1", "org#a-entry-2"]


def test_scope_is_read_again_once_the_ttl_has_passed() -> None:
    # Given a loaded scope
    reader, clock = CountingReader(), Ticker()
    cache = DirectoryCache(reader, ttl=60, monotonic=clock)
    cache.resources(["public"])

    # When the TTL has passed
    clock.now = 60.0
    cache.resources(["public"])

    # Then it was read a second time
    assert reader.reads == ["public", "public"]


def test_invalidate_drops_only_that_scope() -> None:
    # Given two loaded scopes
    reader = CountingReader()
    cache = DirectoryCache(reader, ttl=60, monotonic=Ticker())
    cache.resources(["public", "org#a"])

    # When one organisation's scope is invalidated after a write
    cache.invalidate("org#a")
    cache.resources(["public", "org#a"])

    # Then only that scope is read again
    assert reader.reads == ["public", "org#a", "org#a"]


def test_another_organisations_scope_is_never_returned() -> None:
    # Given a cache holding organisation b's entries
    reader = CountingReader()
    cache = DirectoryCache(reader, ttl=60, monotonic=Ticker())
    cache.resources(["org#b"])

    # When a member of organisation a looks up
    seen = cache.resources(["public", "org#a"])

    # Then nothing of b is in the answer
    assert not any(str(entry).startswith("org#b") for entry in seen)
