"""Instructions a fresh interpreter executes, counted by valgrind's callgrind tool.

`python -c "import <modules>"` runs under `valgrind --tool=callgrind` (user-space
instructions, event Ir, of the whole process); the count of `python -c "pass"` made the
same way is subtracted, leaving the cost of the import itself. With PYTHONHASHSEED fixed
and the code read from one snapshot the counts repeat to about 0.01 %, however busy the
machine is (docs DESIGN.md §8). That also lets a count be reused: a case whose inputs
(statement, environment, interpreter, packages, valgrind, and the snapshot's files it
loads) are unchanged since an earlier run is taken from bench/instructions-cache.tmp.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.imports import ImportFailed, error_tail

VALGRIND = "/usr/bin/valgrind"
INSTALL_HINT = "apt-get install valgrind"
BARE = "pass"
JOBS = 2  # callgrind runs at once; each keeps a core busy
TIMEOUT_S = 1200
OPTIONS = ("--tool=callgrind", "--dump-line=no", "-q")
CACHE = Path(__file__).resolve().parent / "instructions-cache.tmp"  # bench/*.tmp: git ignores it
MAX_ENTRIES = 200


def valgrind() -> str | None:
    """The valgrind executable, Debian's first."""
    return VALGRIND if Path(VALGRIND).is_file() else shutil.which("valgrind")


def missing_message() -> str:
    return (
        f"valgrind not found (looked for {VALGRIND} and on PATH): the cold-import headline "
        f"counts instructions with callgrind. Install it with `{INSTALL_HINT}`."
    )


def statement(modules: str) -> str:
    return BARE if modules == BARE else f"import {modules}"


def parse_total(text: str, event: str = "Ir") -> int:
    """The total of `event` in a callgrind out file ('summary:' or 'totals:' line)."""
    events: list[str] = []
    totals: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key == "events":
            events = rest.split()
        elif key in ("summary", "totals"):
            totals[key] = rest.split()
    if event not in events:
        raise ValueError(f"no {event} event in the callgrind output (events: {events})")
    values = totals.get("summary") or totals.get("totals")
    if not values:
        raise ValueError("no summary or totals line in the callgrind output")
    return int(values[events.index(event)])


def count(modules: str, code: Path, env: dict[str, str], executable: str) -> int:
    """Instructions (Ir) of `python -c "<statement>"` started in the code snapshot."""
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as out:
        out_file = Path(out) / "callgrind.out"
        result = subprocess.run(
            [
                executable,
                *OPTIONS,
                f"--callgrind-out-file={out_file}",
                sys.executable,
                "-c",
                statement(modules),
            ],
            cwd=code,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            raise ImportFailed(
                f"`{statement(modules)}` failed under callgrind:\n{error_tail(result.stderr)}"
            )
        return parse_total(out_file.read_text())


@dataclass
class Count:
    """One case's instructions, or why it has none; `cached` if no run was needed."""

    ir: int | None = None
    error: str | None = None
    cached: bool = False
    seconds: float = 0.0


def count_all(
    cases: dict[str, str],
    code: Path,
    env: dict[str, str],
    executable: str,
    cache: Cache,
    jobs: int = JOBS,
    report: Callable[[str, Count], None] | None = None,
) -> dict[str, Count]:
    """Counts for every case (modules -> cache key), at most `jobs` callgrind runs at a time.

    Cases are started in the order given: put the longest first.
    """

    def one(modules: str) -> tuple[str, Count]:
        started = time.perf_counter()
        known = cache.get(cases[modules])
        if known is not None:
            result = Count(ir=known, cached=True)
        else:
            try:
                result = Count(ir=count(modules, code, env, executable))
            except (ImportFailed, ValueError, OSError, subprocess.TimeoutExpired) as error:
                result = Count(error=str(error))
            result.seconds = time.perf_counter() - started
        if report:
            report(modules, result)
        return modules, result

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        counts = dict(pool.map(one, cases))
    for modules, result in counts.items():
        if result.ir is not None and not result.cached:
            cache.put(cases[modules], statement(modules), result.ir)
    cache.save()
    return counts


# A count depends only on what the probe reads, so an unchanged case need not run again.
def toolchain(executable: str) -> dict[str, Any]:
    """What the counts of every case depend on, beside the code: interpreter, packages, valgrind."""
    version = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    python = Path(sys.executable).resolve()
    return {
        "python": sys.version,
        "python_binary": [str(python), python.stat().st_size, python.stat().st_mtime_ns],
        "libc": platform.libc_ver(),
        "machine": platform.machine(),
        "valgrind": [version, *OPTIONS],
        "packages": sorted(
            f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()
        ),
    }


def snapshot_hashes(code: Path) -> dict[str, str]:
    return {
        str(path.relative_to(code)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(code.rglob("*"))
        if path.is_file()
    }


def cache_key(
    modules: str,
    env: dict[str, str],
    tools: dict[str, Any],
    code: Path,
    hashes: dict[str, str],
    loaded: list[str],
) -> str:
    """Everything `python -c "<statement>"` in the snapshot reads that could move its count:
    the files it loads, the listings of their folders, every data (non-.py) file."""
    folders = {str(Path(f).parent) for f in loaded} | {"."}
    inputs = {
        "statement": statement(modules),
        "env": env,
        "tools": tools,
        "listings": {d: sorted(p.name for p in (code / d).iterdir()) for d in sorted(folders)},
        "files": {
            name: digest
            for name, digest in hashes.items()
            if name in loaded or not name.endswith(".py")
        },
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


class Cache:
    """Counts by cache key, in a file git ignores; `enabled=False` recounts everything."""

    def __init__(self, path: Path = CACHE, *, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled
        self.entries: dict[str, dict[str, Any]] = {}
        if path.is_file():
            with contextlib.suppress(ValueError, OSError):
                self.entries = dict(json.loads(path.read_text()))

    def get(self, key: str) -> int | None:
        entry = self.entries.get(key) if self.enabled else None
        return int(entry["ir"]) if entry else None

    def put(self, key: str, statement: str, ir: int) -> None:
        self.entries.pop(key, None)
        self.entries[key] = {
            "statement": statement,
            "ir": ir,
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    def save(self) -> None:
        """Write the newest entries; a bench running beside this one cannot leave half a file."""
        kept = dict(list(self.entries.items())[-MAX_ENTRIES:])
        partial = self.path.with_name(f"{self.path.stem}.{os.getpid()}.tmp")
        with contextlib.suppress(OSError):
            partial.write_text(json.dumps(kept, indent=1) + "\n")
            partial.replace(self.path)
