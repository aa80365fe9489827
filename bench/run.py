"""`make bench`: cold import ratios and AWS calls per request, printed and written to results.json.

Exits 1 if any target is missed. See docs DESIGN.md §8 for what is measured and why.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench import calls, imports
from bench.calls import Target
from local.cloud import bring_up
from local.emulator import free_port

RESULTS = Path(__file__).resolve().parent / "results.json"


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def cold_imports() -> tuple[dict[str, Any], list[Target]]:
    print(f"== Cold import: {imports.ROUNDS} interleaved rounds, fresh interpreter per sample")
    floor, results = imports.measure()
    floor_min, floor_median = min(floor), statistics.median(floor)
    print(f"floor: import {imports.FLOOR}")
    print(f"{'module':<30} {'min':>10} {'median':>10} {'ratio':>7}  target")
    print(f"{'floor':<30} {ms(floor_min):>10} {ms(floor_median):>10}")
    targets = []
    for r in results:
        print(
            f"{r.module:<30} {ms(r.min_s):>10} {ms(r.median_s):>10} {r.ratio:7.3f}"
            f"  <= {r.target:.2f} {verdict(r.passed)}"
        )
        targets.append(
            Target(
                f"cold import {r.module} / floor (medians)",
                f"<= {r.target:.2f}",
                f"{r.ratio:.3f}",
                r.passed,
            )
        )
    data = {
        "rounds": imports.ROUNDS,
        "floor": {
            "modules": imports.FLOOR,
            "samples": floor,
            "min_s": floor_min,
            "median_s": floor_median,
        },
        "handlers": [r.to_json() for r in results],
    }
    return data, targets


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
    finally:
        emulator.stop()
    cold = [r for r in scenario.rows if r.phase == "cold"]
    warm = [r for r in scenario.rows if r.phase == "warm"]
    print("-- cold (first request of each container)")
    print_rows(cold)
    print("-- warm")
    print_rows(warm)
    return {"rows": [r.to_json() for r in scenario.rows]}, scenario.targets()


def main() -> int:
    started = time.perf_counter()
    import_data, targets = cold_imports()
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
