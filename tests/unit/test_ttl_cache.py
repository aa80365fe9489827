"""The one in-memory cache: fresh values without a load, stale ones loaded again, bounded size."""

from __future__ import annotations

import pytest

from shared.ttl_cache import TtlCache


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """Counts its calls and returns the next value each time."""

    def __init__(self, prefix: str = "v") -> None:
        self.calls = 0
        self.prefix = prefix

    def __call__(self) -> str:
        self.calls += 1
        return f"{self.prefix}{self.calls}"


def test_fresh_value_is_returned_without_loading() -> None:
    # Given a value loaded at t=0 with a 60 s ttl
    clock, load = Ticker(), Loader()
    cache: TtlCache[str, str] = TtlCache(60, monotonic=clock)
    cache.get("a", load)

    # When it is asked for again just before the ttl
    clock.now = 59.9
    value = cache.get("a", load)

    # Then the first value comes back and nothing was loaded again
    assert (value, load.calls) == ("v1", 1)


def test_value_is_loaded_again_once_the_ttl_has_passed() -> None:
    # Given a value loaded at t=0
    clock, load = Ticker(), Loader()
    cache: TtlCache[str, str] = TtlCache(60, monotonic=clock)
    cache.get("a", load)

    # When the ttl has passed
    clock.now = 60.0
    value = cache.get("a", load)

    # Then it was loaded a second time
    assert (value, load.calls) == ("v2", 2)


def test_put_value_is_served_without_loading() -> None:
    # Given a value this container made itself
    clock, load = Ticker(), Loader()
    cache: TtlCache[tuple[str, bytes], str] = TtlCache(300, monotonic=clock)
    cache.put(("user-a", b"edk"), "made-here")

    # When it is asked for
    value = cache.get(("user-a", b"edk"), load)

    # Then no load happened
    assert (value, load.calls) == ("made-here", 0)


def test_invalidate_drops_only_that_key() -> None:
    # Given two loaded keys
    load_a, load_b = Loader("a"), Loader("b")
    cache: TtlCache[str, str] = TtlCache(60, monotonic=Ticker())
    cache.get("a", load_a)
    cache.get("b", load_b)

    # When one is invalidated
    cache.invalidate("a")
    cache.get("a", load_a)
    cache.get("b", load_b)

    # Then only that one is loaded again
    assert (load_a.calls, load_b.calls) == (2, 1)


def test_least_recently_used_entry_goes_first_past_max_size() -> None:
    # Given a cache of two entries where "a" was used after "b"
    cache: TtlCache[str, str] = TtlCache(60, max_size=2, monotonic=Ticker())
    cache.put("a", "1")
    cache.put("b", "2")
    cache.get("a", Loader())

    # When a third entry comes in
    cache.put("c", "3")

    # Then "b" was dropped and "a" and "c" are kept
    assert len(cache) == 2
    assert (cache.peek("a"), cache.peek("b"), cache.peek("c")) == ("1", None, "3")


def test_peek_never_loads_and_ignores_stale_values() -> None:
    # Given a value that has gone stale
    clock = Ticker()
    cache: TtlCache[str, str] = TtlCache(10, monotonic=clock)
    cache.put("a", "1")
    clock.now = 10.0

    # When it is peeked at, and a missing key too
    # Then neither is there
    assert (cache.peek("a"), cache.peek("missing")) == (None, None)


def test_failed_load_caches_nothing() -> None:
    # Given a load that fails
    def broken() -> str:
        raise RuntimeError("table unavailable")

    cache: TtlCache[str, str] = TtlCache(60, monotonic=Ticker())
    with pytest.raises(RuntimeError):
        cache.get("a", broken)

    # When asked again with a working load
    load = Loader()
    value = cache.get("a", load)

    # Then that load ran
    assert (value, load.calls) == ("v1", 1)


@pytest.mark.parametrize(("ttl", "max_size"), [(-1, None), (60, 0)])
def test_nonsense_settings_are_refused(ttl: float, max_size: int | None) -> None:
    with pytest.raises(ValueError):
        TtlCache[str, str](ttl, max_size=max_size)
