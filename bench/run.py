"""`make bench`: cold import ratios and AWS calls per request, printed and written to results.json.

Exits 1 if any target is missed. See docs DESIGN.md §8 for what is measured and why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench import (
    calls,
    campaigns_appointments,
    cold,
    crisis_hops,
    notify_sender,
    peer_stats,
    reminders,
    roster_import,
)
from bench.calls import Target
from bench.cold import MissingTool, verdict
from local.cloud import bring_up
from local.emulator import free_port

RESULTS = Path(__file__).resolve().parent / "results.json"


def print_rows(rows: list[calls.Row]) -> None:
    print(f"{'endpoint':<44} {'status':>6} {'dynamodb':>8} {'other':>5}  operations")
    for row in rows:
        retries = "" if row.http_attempts == len(row.calls) else f"  ({row.http_attempts} attempts)"
        print(
            f"{row.endpoint:<44} {row.status:>6} {row.dynamodb_calls:>8} {row.other_calls:>5}  "
            f"{', '.join(row.operations) or '-'}{retries}"
        )


def aws_calls() -> tuple[dict[str, Any], list[Target]]:
    print("\n== AWS calls per request (handlers in-process, throwaway local cloud)")
    started = time.perf_counter()
    emulator, stack = bring_up(free_port())
    try:
        up = time.perf_counter() - started
        print(f"local cloud up in {up:.1f} s on {stack['aws_endpoint_url']}")
        scenario = calls.measure(stack)
        chunk, chunk_target = roster_import.chunk_writes(stack, scenario.recorder)
        print("\n== Roster import (1,000 rows over HTTP; the deployed queue worker enrols them)")
        end_to_end, import_target = roster_import.end_to_end(stack)
        print(f"{end_to_end['rows']} rows: {end_to_end['seconds']} s")
        print(f"one chunk of {chunk['chunk_rows']} rows: {chunk['operations']}")
        print(
            f"\n== Reminder sweep ({reminders.MEMBERS:,} members seeded, 1 % due; "
            "in-process, calls counted)"
        )
        sweep, sweep_targets = reminders.measure(stack)
        print(
            f"\n== Notification sender (a batch of {notify_sender.MEMBERS} requests in one "
            "invocation; in-process, calls counted)"
        )
        sender, sender_target = notify_sender.measure(stack, scenario.recorder)
        print(
            f"\n== Crisis follow-up ({crisis_hops.RUNS} runs after a cold one: an item-9 "
            "check-in answered → the counsellor's inbox entry, over HTTP)"
        )
        crisis, crisis_target = crisis_hops.measure(stack)
        print(
            f"\n== Peer network (the inbox page warm; stats for {peer_stats.STATS_SIZES[0]:,} "
            f"and {peer_stats.STATS_SIZES[1]:,} members; the projector's batch; in-process, "
            "calls counted)"
        )
        peer, peer_targets = peer_stats.measure(stack, scenario.recorder)
        print(
            "\n== Campaigns and appointments (booking warm; a campaign opened for "
            f"{campaigns_appointments.SCHOOL_MEMBERS:,} members; in-process, calls counted)"
        )
        issue12, issue12_targets = campaigns_appointments.measure(stack, scenario.recorder)
    finally:
        emulator.stop()
    cold = [r for r in scenario.rows if r.phase == "cold"]
    warm = [r for r in scenario.rows if r.phase == "warm"]
    print("-- cold (first request of each container)")
    print_rows(cold)
    print("-- warm")
    print_rows(warm)
    data = {
        "rows": [r.to_json() for r in scenario.rows],
        "import": {**end_to_end, **chunk},
        "reminder_sweep": sweep,
        "notification_sender": sender,
        "crisis_hops": crisis,
        "peer_network": peer,
        "campaigns_appointments": issue12,
    }
    return data, [
        *scenario.targets(),
        chunk_target,
        import_target,
        *sweep_targets,
        sender_target,
        crisis_target,
        *peer_targets,
        *issue12_targets,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--cold-only",
        action="store_true",
        help="measure the cold imports only, print them, leave results.json alone",
    )
    parser.add_argument(
        "--recount",
        action="store_true",
        help="run every cold-import case under callgrind, even those counted before",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        import_data, targets = cold.measure(recount=args.recount)
    except MissingTool as error:
        print(f"\nFAIL: {error}", file=sys.stderr)
        return 1
    if args.cold_only:
        passed = all(t.passed for t in targets)
        print(f"\n{verdict(passed)}: cold imports only, {time.perf_counter() - started:.0f} s")
        return 0 if passed else 1
    calls_data, call_targets = aws_calls()
    targets += call_targets
    print("\n== Targets")
    for t in targets:
        print(f"{verdict(t.passed)}  {t.name}: {t.measured} (target {t.expected})")
    passed = all(t.passed for t in targets)
    elapsed = time.perf_counter() - started
    results = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "elapsed_s": round(elapsed, 1),
        "cold_import": import_data,
        "aws_calls": calls_data,
        "targets": [t.to_json() for t in targets],
        "passed": passed,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"\n{verdict(passed)}: {sum(t.passed for t in targets)}/{len(targets)} targets met "
        f"in {elapsed:.0f} s; written to {RESULTS.relative_to(Path.cwd())}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
