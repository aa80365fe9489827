"""Start, check and stop the ministack emulator in its own virtualenv."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from local.requirements import ROOT, requirements

LOCAL_DIR = ROOT / ".local"
EMULATOR_VENV = LOCAL_DIR / "ministack-venv"
EMULATOR_PYTHON = EMULATOR_VENV / "bin" / "python"
REGION = "us-east-1"


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

    @property
    def scratch(self) -> Path:
        """Where this emulator unpacks Lambda code; removed when it stops."""
        return LOCAL_DIR / "tmp" / str(self.port)

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
        self.scratch.mkdir(parents=True, exist_ok=True)
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
            env |= {
                "PERSIST_STATE": "1",
                "STATE_DIR": str(state_dir),
                "S3_PERSIST": "1",
                "S3_DATA_DIR": str(state_dir / "s3"),
            }
        log_path = log_path or LOCAL_DIR / f"ministack-{self.port}.log"
        log = log_path.open("ab")
        # A new session, so Ctrl-C in the terminal reaches us first and we stop it cleanly.
        self.process = subprocess.Popen(
            [str(python), "-m", "ministack"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready()
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

    def stop(self, timeout: float = 15.0) -> None:
        """Stop ministack and every Lambda worker it spawned (they share its process group)."""
        if self.process is None or self.process.poll() is not None:
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):  # workers may outlive their parent briefly
            os.killpg(pgid, signal.SIGKILL)
        shutil.rmtree(self.scratch, ignore_errors=True)
