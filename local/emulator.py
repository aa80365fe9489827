"""Start, check and stop the ministack emulator in its own virtualenv."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from local.requirements import ROOT, requirements

LOCAL_DIR = ROOT / ".local"
EMULATOR_VENV = LOCAL_DIR / "ministack-venv"
EMULATOR_PYTHON = EMULATOR_VENV / "bin" / "python"
REGION = "us-east-1"
SCRATCH_ROOT = LOCAL_DIR / "tmp"
# The emulator's files (persisted state with KMS keys and secrets, unpacked Lambda
# code, its log) are its owner's only: dirs 0700, files 0600.
PRIVATE_UMASK = 0o077
# Stopping: ministack gets this long after SIGTERM to save its state, then the
# whole process tree is SIGKILLed; whatever the number of warm Lambda workers.
STOP_GRACE_SECONDS = 2.0


def ensure_emulator_venv() -> Path:
    """Create .local/ministack-venv with the pinned ministack (once; re-run when the pin moves)."""
    wanted = "\n".join(requirements("emulator"))
    stamp = EMULATOR_VENV / ".installed"
    if stamp.exists() and stamp.read_text() == wanted:
        return EMULATOR_PYTHON
    print(f"installing the emulator ({wanted}) into {EMULATOR_VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(EMULATOR_VENV)], check=True)
    subprocess.run(
        [str(EMULATOR_PYTHON), "-m", "pip", "install", "-q", *requirements("emulator")],
        check=True,
    )
    stamp.write_text(wanted)
    return EMULATOR_PYTHON


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Emulator:
    port: int
    process: subprocess.Popen[bytes] | None = None
    # What runs beside the emulator and stops with it (the JPush double).
    companions: list[Callable[[], None]] = field(default_factory=list)

    @property
    def scratch(self) -> Path:
        """Where this emulator unpacks Lambda code; removed when it stops."""
        return SCRATCH_ROOT / str(self.port)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, state_dir: Path | None = None, log_path: Path | None = None) -> Emulator:
        python = ensure_emulator_venv()
        env = {
            **os.environ,
            "GATEWAY_PORT": str(self.port),
            "BIND_HOST": "127.0.0.1",
            "MINISTACK_REGION": REGION,
            "LOG_LEVEL": "WARNING",
            "LAMBDA_EXECUTOR": "local",
            "TMPDIR": str(self.scratch),
        }
        # A crashed run's unpacked code, and what an interrupted clean-up left behind.
        _discard(self.scratch, *SCRATCH_ROOT.glob(".trash-*"))
        self.scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
        if state_dir is not None:
            make_private(state_dir)
            env |= {
                "PERSIST_STATE": "1",
                "STATE_DIR": str(state_dir),
                "S3_PERSIST": "1",
                "S3_DATA_DIR": str(state_dir / "s3"),
            }
        log_path = log_path or LOCAL_DIR / f"ministack-{self.port}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = os.fdopen(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        with log:
            # A new session, so Ctrl-C in the terminal reaches us first and we stop it
            # cleanly; umask 077, so what it writes (state, keys, code) is ours alone.
            self.process = subprocess.Popen(
                [str(python), "-m", "ministack"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                umask=PRIVATE_UMASK,
            )
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"ministack exited early (code {self.process.returncode})")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_ministack/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"ministack did not answer on {self.endpoint} in {timeout:.0f}s")

    def configure(self, settings: dict[str, object]) -> None:
        request = urllib.request.Request(
            f"{self.endpoint}/_ministack/config",
            data=json.dumps(settings).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop ministack and every process it spawned: about 2 s, at most `grace` + 2 s.

        Lambda workers hold no state, so they are SIGKILLed at once. ministack gets
        SIGTERM and `grace` seconds to save its state (PERSIST_STATE writes on
        shutdown only); then whatever is left in its process group, its session or
        below it in the process tree (a worker's child may have a session of its
        own) is SIGKILLed. The unpacked code, ~100 MB and ~5,000 files per warm
        worker, is moved aside and deleted in the background: deleting it in place
        is what made stopping take minutes once many workers were warm.
        """
        while self.companions:
            self.companions.pop()()
        process = self.process
        if process is not None and process.poll() is None:
            _stop_tree(process, grace)
        _discard(self.scratch)


def make_private(folder: Path) -> None:
    """Create `folder` (0700) or make what is already in it its owner's only."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in (folder, *folder.rglob("*")):
        if path.is_symlink():
            continue
        path.chmod(0o700 if path.is_dir() else 0o600)


# --- stopping a process tree -------------------------------------------------------


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    pgid: int
    sid: int
    started: str  # start time since boot: tells a process from a later one with its pid


def process_table() -> dict[int, ProcessInfo]:
    """Every live (not zombie) process: from /proc on Linux, from `ps` elsewhere."""
    table: dict[int, ProcessInfo] = {}
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            state, ppid, pgid, sid = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
            if state not in ("Z", "X"):
                table[int(entry.name)] = ProcessInfo(int(entry.name), ppid, pgid, sid, fields[19])
        return table
    out = subprocess.run(
        ["ps", "-A", "-o", "pid=,ppid=,pgid=,stat=,lstart="],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in out.splitlines():
        parts = line.split(None, 4)
        if len(parts) == 5 and not parts[3].startswith("Z"):
            pid, ppid, pgid = int(parts[0]), int(parts[1]), int(parts[2])
            table[pid] = ProcessInfo(pid, ppid, pgid, -1, parts[4])
    return table


def process_tree(root: int, table: dict[int, ProcessInfo] | None = None) -> dict[int, ProcessInfo]:
    """`root`, its descendants, and every process in its process group or session."""
    table = process_table() if table is None else table
    children: dict[int, list[int]] = {}
    for p in table.values():
        children.setdefault(p.ppid, []).append(p.pid)
    found: set[int] = set()
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        todo.extend(children.get(pid, ()))
    found.update(p.pid for p in table.values() if p.pgid == root or p.sid == root)
    return {pid: table[pid] for pid in found if pid in table}


def _kill(procs: dict[int, ProcessInfo], sig: signal.Signals) -> None:
    """Signal each process that is still the one we listed (not a reused pid)."""
    now = process_table()
    for pid, p in procs.items():
        if pid in now and now[pid].started == p.started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)


def _wait_gone(procs: dict[int, ProcessInfo], deadline: float) -> dict[int, ProcessInfo]:
    """Wait until none of `procs` lives (zombies count as gone); return those still alive."""
    while True:
        now = process_table()
        alive = {pid: p for pid, p in procs.items() if pid in now and now[pid].started == p.started}
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.02)


def _stop_tree(process: subprocess.Popen[bytes], grace: float) -> None:
    root = process.pid
    workers = process_tree(root)
    workers.pop(root, None)
    _kill(workers, signal.SIGKILL)  # stateless: no reason to wait for each to wind down
    with contextlib.suppress(ProcessLookupError):
        os.killpg(root, signal.SIGTERM)  # start_new_session: its group id is its pid
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)  # ministack saves its state (PERSIST_STATE) and exits
    # Whatever is left, including workers spawned meanwhile or moved to a session of
    # their own (then still found below ministack, or by the list taken before).
    rest = {**workers, **process_tree(root)}
    rest.pop(root, None)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(root, signal.SIGKILL)
    _kill(rest, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=1.0)
    _wait_gone(rest, time.monotonic() + 1.0)


def _discard(*folders: Path) -> None:
    """Remove folders without waiting: renamed aside now, deleted by a detached `rm`.

    `sh` puts `rm` in the background and exits at once, so nothing is left to reap;
    the new session keeps it out of reach of the terminal's Ctrl-C.
    """
    doomed: list[str] = []
    for folder in folders:
        if not folder.exists():
            continue
        trash = folder
        if not folder.name.startswith(".trash-"):
            trash = folder.with_name(f".trash-{folder.name}-{uuid.uuid4().hex[:8]}")
            try:
                folder.rename(trash)
            except OSError:
                trash = folder
        doomed.append(str(trash))
    if doomed:
        subprocess.run(
            ["sh", "-c", 'rm -rf -- "$@" &', "sh", *doomed],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            check=False,
        )
