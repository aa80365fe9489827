"""`make load`: a bounded evening load on the local API, with the crisis path timed under it.

200 members (20 of them peer supporters) each sign in, check in, write a journal entry and
read their inbox; supporters then read the peer inbox (bench/load_plan.py, a fixed seed).
GET /ping, a signed-in echo function of the same stack, is called all through the run:
every route's p50/p95/p99 is reported as a multiple of its own (DESIGN.md §8). Meanwhile
one member at a time posts an item-9 check-in and the time to the counsellor's inbox
entry is taken (bench/load_crisis.py). Goal: error rate 0, no 5xx, crisis p99 <= 2 s.
Prints a table, writes bench/load.json, exits 1 if the goal is missed.

Bounded: one request per planned step; steps not started when the window closes are not
sent (and counted); requests in flight are capped (--concurrency). The stack is a
throwaway local cloud brought up here, or TEST_STACK=<stack.json> for one already up.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import platform
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from botocore.exceptions import ClientError

from bench.crisis_hops import COLD_DEADLINE_S, DEADLINE_S, summary
from bench.load_client import ROUTE_CALLS, LoadClient
from bench.load_crisis import LoadProbe, tokens_of
from bench.load_people import ZONE, Person, enrol, run_tag, wanted_extra, wanted_load
from bench.load_plan import (
    CHECKIN,
    JOURNAL,
    LOGIN,
    PEER_INBOX,
    PING,
    Session,
    journal_body,
    make_plan,
    ping_times,
    planned_requests,
)
from bench.load_report import Sample, by_route, crisis_summary, goals, route_json, table
from local.token import id_token

RESULTS = Path(__file__).resolve().parent / "load.json"
WARM_BURSTS = 2
# ministack 1.5.33 (core/lambda_runtime.py, Worker._drain_stderr_bounded) holds an
# invocation's answer until its handler's output has been quiet for 5 ms, or for 50 ms when
# the handler wrote nothing: a silent handler (GET /ping, and routes that log nothing on
# success) carries about 50 ms that AWS would not add.
EMULATOR_NOTE = (
    "ministack 1.5.33 waits 50 ms after an invocation whose handler wrote no output "
    "(5 ms after the last line otherwise): GET /ping writes nothing, so the floor carries it, "
    "as does any route that logs nothing on success"
)
PEER_DEPTH = 2


@dataclass
class Cast:
    load: list[Person]  # in the plan's order
    warm: list[Person]  # warm-up members; their tokens also call the echo route
    warm_supporter: Person
    crisis: list[Person]


@dataclass
class Outcome:
    samples: list[Sample] = field(default_factory=list)
    not_sent: int = 0
    crisis_runs: list[dict[str, Any]] = field(default_factory=list)
    crisis_failures: list[str] = field(default_factory=list)
    crisis_cold: dict[str, Any] | None = None
    warmup_errors: dict[str, int] = field(default_factory=dict)
    warmup_s: float = 0.0
    warm_http_s: float = 0.0  # of which starting the API functions (the crisis run beside)
    peak_in_flight: dict[str, int] = field(default_factory=dict)
    peer_items_seen: int = 0
    load_s: float = 0.0


def cast(stack: dict[str, Any], args: argparse.Namespace) -> Cast:
    tag = run_tag()
    load = wanted_load(tag, args.members, args.supporters)
    warm = wanted_extra(tag, "w", max(1, args.warm_depth))
    supporter = wanted_extra(tag, "ws", 1, role="peer_supporter")
    crisis = wanted_extra(tag, "c", args.crisis_runs + 1)  # one more: the cold run
    people = enrol(stack, tag, [*load, *warm, *supporter, *crisis])
    n, w = len(load), len(warm)
    return Cast(people[:n], people[n : n + w], people[n + w], people[n + w + 1 :])


# ---------------------------------------------------------------- warm-up


def past_day(days_back: int) -> str:
    """A member-local day before today: warm-up check-ins leave today's to the load."""
    return (dt.datetime.now(ZoneInfo(ZONE)).date() - dt.timedelta(days=days_back)).isoformat()


def warm_body(route: str, member: int, burst: int) -> dict[str, Any] | None:
    if route == CHECKIN:
        return {"mood": 4, "emotions": ["calm"], "date": past_day(1 + burst)}
    if route == JOURNAL:
        return journal_body(random.Random(f"warm-{member}-{burst}"))
    return None


async def warm_up(
    client: LoadClient, people: Cast, tokens: list[str], depth: int, out: Outcome
) -> None:
    """Start the functions' containers before anything is measured: each API route once,
    then `depth` at once (twice; the second finds them warm). A cold start costs 2-4 s of
    the two cores, one after another, so the depth is what the load reaches per function
    (the peer inbox: its 20 supporters), not the in-flight cap."""
    supporter = await client.login(people.warm_supporter.username, people.warm_supporter.password)

    async def one(route: str, member: int, burst: int) -> None:
        token = supporter if route == PEER_INBOX else tokens[member]
        answer = await client.call(route, token or "", warm_body(route, member, burst))
        if answer is None or answer.status_code >= 400:
            key = f"{route} {answer.status_code if answer is not None else 'no answer'}"
            out.warmup_errors[key] = out.warmup_errors.get(key, 0) + 1

    for route in ROUTE_CALLS:
        await one(route, 0, 0)
    for burst in range(1, WARM_BURSTS + 1):
        for route in ROUTE_CALLS:
            width = min(depth, PEER_DEPTH) if route == PEER_INBOX else depth
            await asyncio.gather(*(one(route, m, burst) for m in range(width)))


# ---------------------------------------------------------------- the load


async def run_session(
    client: LoadClient, s: Session, person: Person, t0: float, deadline: float, out: Outcome
) -> int:
    """One member's evening; how many of its steps were not sent (window closed, or the
    sign-in failed so nothing after it could be)."""
    await asyncio.sleep(max(0.0, t0 + s.start_s - time.monotonic()))
    token: str | None = None
    for index, step in enumerate(s.steps):
        await asyncio.sleep(step.think_s)
        if time.monotonic() >= deadline:
            return len(s.steps) - index
        if step.route == LOGIN:
            token = await client.login(person.username, person.password)
            if token is None:
                return len(s.steps) - index - 1
        else:
            answer = await client.call(step.route, token or "", step.body)
            if step.route == PEER_INBOX and answer is not None and answer.status_code == 200:
                # Shared check-ins that reached a supporter: the roster setup works.
                out.peer_items_seen += len(answer.json()["items"])
    return 0


async def pings(client: LoadClient, times: list[float], tokens: list[str], t0: float) -> None:
    """The echo route on a fixed clock beside the load (not after each answer, so it waits
    for slots as the load's requests do); every time is inside the window."""
    sent: list[asyncio.Task[Any]] = []
    for at, token in zip(times, itertools.cycle(tokens)):
        await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))
        sent.append(asyncio.create_task(client.call(PING, token)))
    await asyncio.gather(*sent)


def crisis_loop(probe: LoadProbe, runs: int, window_s: float, t0: float, out: Outcome) -> None:
    """Crisis runs spread over the window, one at a time (in a thread)."""
    spacing = window_s * 0.9 / runs
    for i in range(runs):
        time.sleep(max(0.0, t0 + i * spacing - time.monotonic()))
        if time.monotonic() >= t0 + window_s:
            out.crisis_failures.append(f"{runs - i} run(s) not started before the window closed")
            return
        try:
            out.crisis_runs.append(probe.run(DEADLINE_S).to_json())
        except (RuntimeError, httpx.HTTPError, ClientError) as error:
            out.crisis_failures.append(f"run {i + 1}: {error}")


async def drive(stack: dict[str, Any], people: Cast, args: argparse.Namespace) -> Outcome:
    out = Outcome()
    client = LoadClient(stack, args.concurrency, args.timeout)
    crisis_tokens = tokens_of(people.crisis, lambda u, p: id_token(stack, u, p))
    api = httpx.Client(base_url=stack["api_url"] + "/", timeout=args.timeout)
    probe = LoadProbe(stack, api, crisis_tokens)
    try:
        began = time.monotonic()
        tokens = [await client.login(p.username, p.password) or "" for p in people.warm]
        # The crisis path's functions (intake, steps, sender) start meanwhile: one
        # unmeasured run, as bench/crisis_hops.py's cold one.
        cold = asyncio.create_task(asyncio.to_thread(probe.run, COLD_DEADLINE_S))
        await warm_up(client, people, tokens, args.warm_depth, out)
        out.warm_http_s = time.monotonic() - began
        try:
            out.crisis_cold = (await cold).to_json()
        except (RuntimeError, httpx.HTTPError, ClientError) as error:
            out.crisis_failures.append(f"cold run: {error}")
        out.warmup_s = time.monotonic() - began
        print(f"warm-up done in {out.warmup_s:.0f} s; the load runs for {args.seconds:.0f} s ...")

        plan = make_plan(args.seed, args.members, args.supporters, args.seconds)
        client.recording = True
        t0 = time.monotonic()
        deadline = t0 + args.seconds
        sessions = [run_session(client, s, people.load[s.member], t0, deadline, out) for s in plan]
        crisis = asyncio.to_thread(crisis_loop, probe, args.crisis_runs, args.seconds, t0, out)
        results = await asyncio.gather(
            *sessions, pings(client, ping_times(args.seconds, args.ping_every), tokens, t0), crisis
        )
        out.load_s = time.monotonic() - t0
        out.not_sent = sum(r for r in results if isinstance(r, int))
        out.samples = client.samples
        out.peak_in_flight = dict(sorted(client.peak.items()))
    finally:
        await client.close()
        probe.close()
        api.close()
    return out


# ---------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "note": (
            "client, emulator (ministack) and every Lambda process share this machine on "
            "loopback: compare the ratios to GET /ping, not the milliseconds"
        ),
        "emulator_note": EMULATOR_NOTE,
    }


def report(
    args: argparse.Namespace, out: Outcome, stack_kind: str, timing: dict[str, float]
) -> tuple[dict[str, Any], bool]:
    stats = by_route(out.samples)
    totals = [r["total_s"] for r in out.crisis_runs]
    crisis = crisis_summary(totals)
    warm_5xx = sum(
        n for key, n in out.warmup_errors.items() if key.rsplit(" ", 1)[-1].startswith("5")
    )
    checks = goals(stats, crisis, len(out.crisis_failures), out.not_sent, warm_5xx)
    plan = make_plan(args.seed, args.members, args.supporters, args.seconds)
    waits = sorted(s.waited for s in out.samples)
    print("\n" + "\n".join(table(stats)))
    print(
        "ratios: each percentile over GET /ping's same percentile in this run "
        "(nearest rank; login is the emulator's Cognito, no API)"
    )
    print(f"note: {EMULATOR_NOTE}")
    print(
        f"most in flight per route: {out.peak_in_flight} (cap {args.concurrency}, warm depth "
        f"{args.warm_depth}); supporters' inbox reads showed {out.peer_items_seen} shared days"
    )
    if crisis:
        print(
            f"crisis (item-9 check-in answered → counsellor inbox entry), {len(totals)} runs "
            f"under load: p50 {crisis['p50']:.2f} s, p99 {crisis['p99']:.2f} s"
        )
    for failure in out.crisis_failures:
        print(f"crisis: {failure}")
    if out.warmup_errors:
        print(f"warm-up answers >= 400 (not counted): {out.warmup_errors}")
    print("\n== Goal")
    for g in checks:
        print(f"{'PASS' if g.passed else 'FAIL'}  {g.name}: {g.measured}")
    passed = all(g.passed for g in checks)
    data = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seed": args.seed,
        "members": args.members,
        "supporters": args.supporters,
        "concurrency": args.concurrency,
        "window_s": args.seconds,
        "ping_every_s": args.ping_every,
        "stack": stack_kind,
        **{k: round(v, 1) for k, v in timing.items()},
        "warmup_s": round(out.warmup_s, 1),
        "warmup_api_functions_s": round(out.warm_http_s, 1),
        "warm_depth": args.warm_depth,
        "peak_in_flight": out.peak_in_flight,
        "peer_inbox_items_seen": out.peer_items_seen,
        "load_s": round(out.load_s, 1),
        "planned": planned_requests(plan, len(ping_times(args.seconds, args.ping_every))),
        "not_sent": out.not_sent,
        "percentiles": "nearest rank; latency from taking a slot to the answer",
        "slot_wait_ms": {
            "p50": round(waits[len(waits) // 2] * 1000, 1) if waits else None,
            "max": round(waits[-1] * 1000, 1) if waits else None,
        },
        "routes": {route: route_json(s, stats[PING]) for route, s in stats.items()},
        "crisis": {
            "runs": len(totals),
            "goal_p99_s": 2.0,
            "total_s": crisis,
            "hops": summary(out.crisis_runs) if out.crisis_runs else None,
            "cold": out.crisis_cold,
            "failures": out.crisis_failures,
            "per_run": out.crisis_runs,
        },
        "warmup_errors": out.warmup_errors,
        "goals": [g.__dict__ for g in checks],
        "passed": passed,
        "machine": machine(),
    }
    return data, passed


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--seed", type=int, default=13, help="the plan's seed (default 13)")
    parser.add_argument("--members", type=int, default=200, help="members (default 200)")
    parser.add_argument(
        "--supporters", type=int, default=20, help="of them peer supporters, one a unit (20)"
    )
    parser.add_argument(
        "--seconds", type=float, default=120.0, help="the load window (default 120)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=8, help="requests in flight at most (default 8)"
    )
    parser.add_argument(
        "--warm-depth",
        type=int,
        default=4,
        help="containers started per function before the load (default 4)",
    )
    parser.add_argument(
        "--ping-every", type=float, default=0.4, help="seconds between GET /ping (0.4)"
    )
    parser.add_argument(
        "--crisis-runs", type=int, default=20, help="crisis runs under load (default 20)"
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="client timeout in seconds (120)"
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="where to write the results (bench/load.json)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.monotonic()
    reuse = os.environ.get("TEST_STACK")
    emulator = None
    if reuse:
        from local.stack import read

        stack, kind = read(Path(reuse)), "TEST_STACK (a stack already up)"
    else:
        from local.cloud import bring_up
        from local.emulator import free_port

        print("bringing up a throwaway local cloud (emulator, deploy, demo data) ...", flush=True)
        emulator, stack = bring_up(free_port())
        kind = "throwaway local cloud"
    try:
        up = time.monotonic() - started
        print(f"stack ready in {up:.0f} s; enrolling people ...", flush=True)
        people = cast(stack, args)
        enrolled = time.monotonic() - started - up
        print(f"{len(people.load)} members + warm-up and crisis members in {enrolled:.0f} s")
        out = asyncio.run(drive(stack, people, args))
    finally:
        if emulator is not None:
            emulator.stop()
    timing = {"bring_up_s": up, "enrol_s": enrolled, "wall_s": time.monotonic() - started}
    data, passed = report(args, out, kind, timing)
    args.out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(
        f"\n{'PASS' if passed else 'FAIL'}: written to {args.out} "
        f"in {timing['wall_s']:.0f} s (bring-up {up:.0f} s)"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
