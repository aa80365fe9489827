"""Values kept in memory for a while: a warm request reads them without an AWS call.

One small class for every per-container cache (the resource directory, the
revocation list, the journal's data keys). An entry is fresh for `ttl` seconds
from the moment its load began; a stale or missing entry is loaded again on the
next `get`. With `max_size`, the least recently used entries are dropped first.

A Lambda container serves one request at a time, so there is no locking; a
`load` that raises leaves nothing new in the cache.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(
        self,
        ttl: float,
        *,
        max_size: int | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < 0:
            raise ValueError("ttl must not be negative")
        if max_size is not None and max_size < 1:
            raise ValueError("max_size must be at least 1")
        self._ttl = ttl
        self._max_size = max_size
        self._monotonic = monotonic
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    @property
    def ttl(self) -> float:
        return self._ttl

    def get(self, key: K, load: Callable[[], V]) -> V:
        """The fresh value for `key`, else `load()`'s, which is then kept."""
        now = self._monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self._ttl:
            self._entries.move_to_end(key)
            return entry[1]
        value = load()
        self._store(key, value, now)
        return value

    def peek(self, key: K) -> V | None:
        """The fresh value for `key` without loading it, or None."""
        entry = self._entries.get(key)
        if entry is None or self._monotonic() - entry[0] >= self._ttl:
            return None
        return entry[1]

    def put(self, key: K, value: V) -> None:
        """Keep `value` for `key` from now on (a value this container just made or wrote)."""
        self._store(key, value, self._monotonic())

    def invalidate(self, key: K) -> None:
        """Drop `key`: the next `get` loads it again."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        """Entries held, fresh or not yet dropped."""
        return len(self._entries)

    def _store(self, key: K, value: V, at: float) -> None:
        self._entries[key] = (at, value)
        self._entries.move_to_end(key)
        if self._max_size is not None:
            while len(self._entries) > self._max_size:
                self._entries.popitem(last=False)
