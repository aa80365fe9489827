"""The load benchmark's report: per-route percentiles, error rates and ratios to the echo
route, the crisis path's percentiles, and the goal; pure (no I/O but print)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.crisis_hops import nearest_rank
from bench.load_plan import EXPECTED, PING, ROUTES

PERCENTILES = (50, 95, 99)
CRISIS_GOAL_P99_S = 2.0
# What a request that got no HTTP answer is counted as (no status code).
TIMEOUT = "timeout"
TRANSPORT = "transport"


@dataclass(frozen=True)
class Sample:
    route: str
    status: int | str  # the HTTP status, or TIMEOUT / TRANSPORT
    seconds: float  # from leaving the client to its answer (the wait for a slot excluded)
    waited: float = 0.0  # waiting for a slot under the in-flight cap


def is_error(status: int | str) -> bool:
    """An error: an HTTP status of 400 or more, or no answer at all."""
    return not isinstance(status, int) or status >= 400


def is_server_error(status: int | str) -> bool:
    return isinstance(status, int) and status >= 500


@dataclass
class RouteStats:
    route: str
    count: int
    statuses: dict[str, int]
    errors: int
    server_errors: int
    unexpected: int  # answered below 400 but not with the route's expected status
    ms: dict[str, float] = field(default_factory=dict)  # "p50" -> milliseconds
    max_ms: float | None = None

    @property
    def error_rate(self) -> float:
        return self.errors / self.count if self.count else 0.0


def route_stats(route: str, samples: Sequence[Sample]) -> RouteStats:
    """Counts by status and the latency percentiles (nearest rank) of one route.

    Latencies are of every answer, errors included: a fast 4xx must not hide in a p99.
    """
    statuses = Counter(str(s.status) for s in samples)
    expected = EXPECTED.get(route)
    ms = (
        {
            f"p{p}": round(nearest_rank([s.seconds for s in samples], p) * 1000, 1)
            for p in PERCENTILES
        }
        if samples
        else {}
    )
    return RouteStats(
        route=route,
        count=len(samples),
        statuses=dict(sorted(statuses.items())),
        errors=sum(is_error(s.status) for s in samples),
        server_errors=sum(is_server_error(s.status) for s in samples),
        unexpected=sum(not is_error(s.status) and s.status != expected for s in samples),
        ms=ms,
        max_ms=round(max(s.seconds for s in samples) * 1000, 1) if samples else None,
    )


def by_route(samples: Iterable[Sample]) -> dict[str, RouteStats]:
    grouped: dict[str, list[Sample]] = {route: [] for route in ROUTES}
    for s in samples:
        grouped.setdefault(s.route, []).append(s)
    return {route: route_stats(route, found) for route, found in grouped.items()}


def ratios(stats: RouteStats, floor: RouteStats) -> dict[str, float | None]:
    """Each percentile as a multiple of the echo route's same percentile in the same run."""
    out: dict[str, float | None] = {}
    for key, value in stats.ms.items():
        base = floor.ms.get(key)
        out[key] = round(value / base, 2) if base else None
    return out


def crisis_summary(totals: Sequence[float]) -> dict[str, float] | None:
    """p50 and p99 (nearest rank) of the crisis runs' totals in seconds; None without runs."""
    if not totals:
        return None
    return {"p50": nearest_rank(totals, 50), "p99": nearest_rank(totals, 99)}


@dataclass(frozen=True)
class Goal:
    name: str
    measured: str
    passed: bool


def goals(
    stats: dict[str, RouteStats],
    crisis: dict[str, float] | None,
    crisis_failures: int,
    not_sent: int,
    warmup_server_errors: int = 0,
) -> list[Goal]:
    """The issue's goal (error rate 0, no 5xx, crisis p99 <= 2 s under load) and that the
    plan ran to the end inside its time bound. A 5xx during the warm-up is not timed but
    still fails "no 5xx"."""
    total = sum(s.count for s in stats.values())
    errors = sum(s.errors for s in stats.values())
    server = sum(s.server_errors for s in stats.values()) + warmup_server_errors
    p99 = crisis["p99"] if crisis else None
    crisis_measured = f"{p99:.2f} s" if p99 is not None else "no run measured"
    if crisis_failures:
        crisis_measured += f", {crisis_failures} run(s) failed"
    return [
        Goal("error rate 0", f"{errors} of {total} requests", errors == 0),
        Goal("no 5xx", f"{server}", server == 0),
        Goal(
            f"crisis p99 <= {CRISIS_GOAL_P99_S:.0f} s under load",
            crisis_measured,
            p99 is not None and p99 <= CRISIS_GOAL_P99_S and crisis_failures == 0,
        ),
        Goal("every planned request sent in time", f"{not_sent} not sent", not_sent == 0),
    ]


def _cell(value: float | None, width: int, fmt: str) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{fmt}}"


def table(stats: dict[str, RouteStats]) -> list[str]:
    """One line per route: count, errors, p50/p95/p99 in ms and as multiples of ping's."""
    floor = stats[PING]
    head = (
        f"{'route':<29} {'n':>5} {'err':>4} {'err %':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'p50×':>6} {'p95×':>6} {'p99×':>6}"
    )
    lines = [head, "-" * len(head)]
    for route, s in stats.items():
        r = ratios(s, floor)
        lines.append(
            f"{route:<29} {s.count:>5} {s.errors:>4} {s.error_rate * 100:>6.2f} "
            + " ".join(_cell(s.ms.get(f"p{p}"), 7, ".1f") for p in PERCENTILES)
            + " "
            + " ".join(_cell(r.get(f"p{p}"), 6, ".2f") for p in PERCENTILES)
        )
    return lines


def route_json(stats: RouteStats, floor: RouteStats) -> dict[str, Any]:
    return {
        "count": stats.count,
        "statuses": stats.statuses,
        "errors": stats.errors,
        "server_errors": stats.server_errors,
        "unexpected_status": stats.unexpected,
        "error_rate": round(stats.error_rate, 5),
        "ms": stats.ms,
        "max_ms": stats.max_ms,
        "ratio_to_ping": ratios(stats, floor),
    }
