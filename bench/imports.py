"""Cold import cost of each HTTP handler module, as a ratio to the framework floor.

Each sample is one fresh interpreter that times a single import statement with
time.perf_counter, so interpreter start-up is left out. Handler and floor
samples are interleaved (and their order rotated each round) so drift in the
machine's load hits them alike; the verdict uses the ratio of medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import Any

from local.requirements import ROOT

HANDLER_MODULES = (
    "functions.accounts.handler",
    "functions.checkins.handler",
    "functions.resources.handler",
    "functions.resource_admin.handler",
    "functions.journal.handler",
)
FLOOR = "boto3, fastapi, mangum, aws_lambda_powertools"
TARGET_RATIO = 1.15
ROUNDS = 20
# What template.yaml gives the functions: importing a handler must not need any of it.
FUNCTION_ENV = (
    "ACCOUNTS_TABLE",
    "USER_POOL_ID",
    "CHECKINS_TABLE",
    "IDEMPOTENCY_TABLE",
    "CURSOR_SECRET_ARN",
    "DEFAULT_TIME_ZONE",
    "DEFAULT_REGION",
    "RESOURCES_TABLE",
    "JOURNAL_TABLE",
    "JOURNAL_KEY_ID",
    "REVOKED_TABLE",
    "TRACE_AWS_CALLS",
)
_MARK = "BENCH_IMPORT_SECONDS="
_PROBE = (
    "import time\n"
    "start = time.perf_counter()\n"
    "import {modules}\n"
    "elapsed = time.perf_counter() - start\n"
    f"print('{_MARK}' + repr(elapsed))\n"
)


@dataclass
class ImportResult:
    module: str
    samples: list[float]
    floor_samples: list[float]
    target: float = TARGET_RATIO

    @property
    def min_s(self) -> float:
        return min(self.samples)

    @property
    def median_s(self) -> float:
        return statistics.median(self.samples)

    @property
    def floor_median_s(self) -> float:
        return statistics.median(self.floor_samples)

    @property
    def ratio(self) -> float:
        return self.median_s / self.floor_median_s

    @property
    def passed(self) -> bool:
        return self.ratio <= self.target

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "min_s": self.min_s,
            "median_s": self.median_s,
            "ratio_of_medians": self.ratio,
            "ratio_of_mins": self.min_s / min(self.floor_samples),
            "passed": self.passed,
        }


def probe_env() -> dict[str, str]:
    """This environment without the functions' variables, and with bytecode caching allowed."""
    drop = {*FUNCTION_ENV, "PYTHONDONTWRITEBYTECODE"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def time_import(modules: str, env: dict[str, str]) -> float:
    """Seconds that `import <modules>` takes in a fresh interpreter started in the project root."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(modules=modules)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"`import {modules}` failed in a fresh interpreter:\n{result.stderr}")
    for line in result.stdout.splitlines():
        if line.startswith(_MARK):
            return float(line.removeprefix(_MARK))
    raise RuntimeError(f"`import {modules}` printed no timing:\n{result.stdout}")


def measure(rounds: int = ROUNDS) -> tuple[list[float], list[ImportResult]]:
    """Floor samples and one result per handler module, all from the same interleaved run."""
    env = probe_env()
    cases = [FLOOR, *HANDLER_MODULES]
    for modules in cases:  # warm-up: compile and cache bytecode, warm the file cache
        time_import(modules, env)
    samples: dict[str, list[float]] = {modules: [] for modules in cases}
    for round_no in range(rounds):
        shift = round_no % len(cases)
        for modules in cases[shift:] + cases[:shift]:
            samples[modules].append(time_import(modules, env))
    floor = samples[FLOOR]
    return floor, [ImportResult(m, samples[m], floor) for m in HANDLER_MODULES]
