"""The directory held in memory: a warm lookup makes no AWS call.

The directory is small (tens to hundreds of entries per scope), so each scope
is read whole and kept for `ttl` seconds. A write through this container drops
its own copy at once; other containers see it within `ttl`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from shared.resources.model import Resource


class ScopeReader(Protocol):
    def scope(self, scope: str) -> list[Resource]: ...


class DirectoryCache:
    def __init__(
        self, reader: ScopeReader, ttl: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._reader = reader
        self._ttl = ttl
        self._monotonic = monotonic
        self._scopes: dict[str, tuple[float, list[Resource]]] = {}

    def resources(self, scopes: list[str]) -> list[Resource]:
        now = self._monotonic()
        found: list[Resource] = []
        for scope in scopes:
            cached = self._scopes.get(scope)
            if cached is None or now - cached[0] >= self._ttl:
                cached = (now, self._reader.scope(scope))
                self._scopes[scope] = cached
            found += cached[1]
        return found

    def invalidate(self, scope: str) -> None:
        self._scopes.pop(scope, None)
