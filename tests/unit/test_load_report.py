"""`make load`'s pure parts: the seeded plan, the people it needs, and the report's maths."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter

import pytest

from bench.load_people import MEMBER, SUPPORTER, unit_id, wanted_load
from bench.load_plan import (
    CHECKIN,
    INBOX,
    JOURNAL,
    LOGIN,
    PEER_INBOX,
    PING,
    START_SPREAD,
    THINK_S,
    make_plan,
    ping_times,
    planned_requests,
)
from bench.load_report import (
    TIMEOUT,
    Sample,
    by_route,
    crisis_summary,
    goals,
    ratios,
    route_stats,
    table,
)
from functions.checkins.logic import build_checkin
from functions.checkins.models import CheckinIn
from functions.journal.models import EntryIn
from shared.lexicon import assess_text

SEED, MEMBERS, SUPPORTERS, SECONDS = 13, 200, 20, 120.0


@pytest.fixture(scope="module")
def plan() -> list:
    return make_plan(SEED, MEMBERS, SUPPORTERS, SECONDS)


# ---------------------------------------------------------------- the plan


def test_the_same_seed_gives_the_same_plan_and_another_seed_another(plan: list) -> None:
    assert make_plan(SEED, MEMBERS, SUPPORTERS, SECONDS) == plan
    assert make_plan(SEED + 1, MEMBERS, SUPPORTERS, SECONDS) != plan


def test_every_member_signs_in_first_then_checks_in_writes_and_reads_once(plan: list) -> None:
    # Then each member has one session, opened by the sign-in
    assert sorted(s.member for s in plan) == list(range(MEMBERS))
    for s in plan:
        routes = [step.route for step in s.steps]
        expected = [LOGIN, CHECKIN, JOURNAL, INBOX] + ([PEER_INBOX] if s.supporter else [])
        # And one check-in each: a second one the same day would answer 200, not 201
        assert routes == expected


def test_one_supporter_per_unit_and_every_unit_has_members(plan: list) -> None:
    supporters = [s for s in plan if s.supporter]
    assert len(supporters) == SUPPORTERS
    assert sorted(s.unit for s in supporters) == list(range(SUPPORTERS))
    members_per_unit = Counter(s.unit for s in plan if not s.supporter)
    assert set(members_per_unit) == set(range(SUPPORTERS))
    assert min(members_per_unit.values()) >= 1


def test_the_plan_is_bounded_in_requests_and_in_time(plan: list) -> None:
    # Then it sends one request a step: four a member, one more a supporter
    counts = planned_requests(plan, pings=7)
    assert counts == {
        LOGIN: MEMBERS,
        CHECKIN: MEMBERS,
        JOURNAL: MEMBERS,
        INBOX: MEMBERS,
        PEER_INBOX: SUPPORTERS,
        PING: 7,
    }
    # And sessions start within the spread, sorted, with thinking inside the bounds
    assert [s.start_s for s in plan] == sorted(s.start_s for s in plan)
    assert all(0 <= s.start_s <= SECONDS * START_SPREAD for s in plan)
    thinks = [step.think_s for s in plan for step in s.steps[1:]]
    assert all(THINK_S[0] <= t <= THINK_S[1] for t in thinks)
    assert max(s.start_s + sum(x.think_s for x in s.steps) for s in plan) < SECONDS


def test_only_members_share_and_some_of_them_do(plan: list) -> None:
    shared = [s for s in plan if s.steps[1].body and s.steps[1].body["share_with_supporter"]]
    assert not any(s.supporter for s in shared)
    assert 0.3 * MEMBERS < len(shared) < 0.9 * MEMBERS


def test_the_plan_bodies_are_requests_the_api_accepts(plan: list) -> None:
    # Given each body as the app would send it (JSON)
    for s in plan:
        checkin, journal = s.steps[1].body, s.steps[2].body
        # Then the routes' own models take them (no 422 in the load)
        CheckinIn.model_validate_json(json.dumps(checkin))
        EntryIn.model_validate_json(json.dumps(journal))
    client_ids = [s.steps[2].body["client_id"] for s in plan]
    assert len(set(client_ids)) == len(client_ids)


def test_the_plan_raises_no_risk_signal(plan: list) -> None:
    # The crisis path is measured on its own: the load must open no case
    now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
    for s in plan:
        checkin = CheckinIn.model_validate_json(json.dumps(s.steps[1].body))
        assert build_checkin(checkin, "Asia/Shanghai", now).risk.level == "none"
        journal = s.steps[2].body
        assert assess_text(f"{journal['title']}\n{journal['body']}").level == "none"


def test_the_people_are_made_in_the_plans_order_and_units(plan: list) -> None:
    people = wanted_load("abc123", MEMBERS, SUPPORTERS)
    for s in plan:
        person = people[s.member]
        assert person.role == (SUPPORTER if s.supporter else MEMBER)
        assert person.unit_id == unit_id("abc123", s.unit)
    assert len({p.username for p in people}) == MEMBERS


def test_a_plan_needs_a_supporter_per_unit() -> None:
    with pytest.raises(ValueError, match="supporters"):
        make_plan(SEED, 10, 0, SECONDS)


def test_pings_are_spread_evenly_over_the_window() -> None:
    times = ping_times(10.0, 0.4)
    assert len(times) == 25
    assert times[0] == 0.0 and times[-1] == 9.6
    assert all(round(b - a, 3) == 0.4 for a, b in itertools.pairwise(times))


# ---------------------------------------------------------------- the report


def samples(route: str, statuses: list[int | str], ms: list[float]) -> list[Sample]:
    return [Sample(route, st, m / 1000) for st, m in zip(statuses, ms, strict=True)]


def test_a_routes_percentiles_are_nearest_rank_and_its_statuses_counted() -> None:
    # Given 100 check-ins of 1..100 ms: one 500, one 409, one timeout, one 200 (a resend)
    statuses: list[int | str] = [201] * 100
    statuses[10], statuses[20], statuses[30], statuses[40] = 500, 409, TIMEOUT, 200
    stats = route_stats(CHECKIN, samples(CHECKIN, statuses, [float(n) for n in range(1, 101)]))

    # Then p50 is the 50th smallest, p95 the 95th, p99 the 99th
    assert stats.ms == {"p50": 50.0, "p95": 95.0, "p99": 99.0}
    # And the errors are the 4xx, the 5xx and the unanswered; a 200 is only unexpected
    assert stats.statuses == {"200": 1, "201": 96, "409": 1, "500": 1, "timeout": 1}
    assert (stats.errors, stats.server_errors, stats.unexpected) == (3, 1, 1)
    assert stats.error_rate == pytest.approx(0.03)


def test_ratios_are_each_percentile_over_the_pings_same_one() -> None:
    ping = route_stats(PING, samples(PING, [200] * 100, [10.0] * 98 + [40.0, 40.0]))
    inbox = route_stats(INBOX, samples(INBOX, [200] * 100, [25.0] * 98 + [80.0, 80.0]))

    assert ratios(inbox, ping) == {"p50": 2.5, "p95": 2.5, "p99": 2.0}
    assert ratios(ping, ping) == {"p50": 1.0, "p95": 1.0, "p99": 1.0}
    # And a route without answers has nothing to compare
    assert ratios(route_stats(PEER_INBOX, []), ping) == {}


def test_by_route_lists_every_route_even_one_that_sent_nothing() -> None:
    stats = by_route(samples(PING, [200, 200], [5.0, 7.0]))
    assert list(stats) == [LOGIN, CHECKIN, JOURNAL, INBOX, PEER_INBOX, PING]
    assert stats[JOURNAL].count == 0 and stats[JOURNAL].ms == {}
    lines = table(stats)
    ping_line = next(line for line in lines if line.startswith(PING))
    assert ping_line.split()[-3:] == ["1.00", "1.00", "1.00"]


def test_crisis_percentiles_of_the_runs_totals() -> None:
    assert crisis_summary([]) is None
    totals = [0.3 + n / 100 for n in range(20)]  # 0.30 .. 0.49
    assert crisis_summary(totals) == {"p50": pytest.approx(0.39), "p99": pytest.approx(0.49)}


def clean_run() -> list[Sample]:
    return samples(PING, [200] * 10, [5.0] * 10) + samples(CHECKIN, [201] * 5, [9.0] * 5)


def test_the_goal_is_met_by_a_clean_run() -> None:
    checks = goals(by_route(clean_run()), {"p50": 0.4, "p99": 1.9}, 0, not_sent=0)
    assert all(g.passed for g in checks)


@pytest.mark.parametrize(
    ("extra", "crisis", "failures", "not_sent", "failed"),
    [
        (samples(JOURNAL, [422], [3.0]), {"p99": 1.0}, 0, 0, {"error rate 0"}),
        (samples(JOURNAL, [503], [3.0]), {"p99": 1.0}, 0, 0, {"error rate 0", "no 5xx"}),
        (samples(JOURNAL, [TIMEOUT], [3.0]), {"p99": 1.0}, 0, 0, {"error rate 0"}),
        ([], {"p99": 2.01}, 0, 0, {"crisis p99 <= 2 s under load"}),
        ([], None, 0, 0, {"crisis p99 <= 2 s under load"}),
        ([], {"p99": 1.0}, 1, 0, {"crisis p99 <= 2 s under load"}),
        ([], {"p99": 1.0}, 0, 3, {"every planned request sent in time"}),
    ],
)
def test_the_goal_fails_on_any_error_a_slow_crisis_or_an_unfinished_plan(
    extra: list[Sample], crisis: dict | None, failures: int, not_sent: int, failed: set[str]
) -> None:
    checks = goals(by_route(clean_run() + extra), crisis, failures, not_sent)
    assert {g.name for g in checks if not g.passed} == failed


def test_a_5xx_during_the_warm_up_fails_the_goal_though_it_is_not_timed() -> None:
    checks = goals(by_route(clean_run()), {"p50": 0.4, "p99": 1.9}, 0, 0, 1)
    verdict = {g.name: g.passed for g in checks}
    assert verdict["no 5xx"] is False
    assert verdict["error rate 0"] is True
