"""The directory held in memory: a warm lookup makes no AWS call.

The directory is small (tens to hundreds of entries per scope), so each scope
is read whole and kept for `ttl` seconds. A write through this container drops
its own copy at once; other containers see it within `ttl`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Protocol

from shared.resources.model import Resource
from shared.ttl_cache import TtlCache


class ScopeReader(Protocol):
    def scope(self, scope: str) -> list[Resource]: ...


class DirectoryCache:
    def __init__(
        self, reader: ScopeReader, ttl: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._reader = reader
        self._scopes: TtlCache[str, list[Resource]] = TtlCache(ttl, monotonic=monotonic)

    def resources(self, scopes: list[str]) -> list[Resource]:
        found: list[Resource] = []
        for scope in scopes:
            found += self._scopes.get(scope, partial(self._reader.scope, scope))
        return found

    def invalidate(self, scope: str) -> None:
        self._scopes.invalidate(scope)
