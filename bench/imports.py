"""Cold import of each handler module: the conditions every probe runs in, and wall-clock time.

Every probe is a fresh interpreter that imports one handler module (or a floor) from
a snapshot of the code package, the way Lambda starts a container:
- the snapshot is taken once per run, so edits made meanwhile do not move the numbers;
- the project's code is imported from the bytecode the code package ships
  (local/package.py compiles it, unchecked-hash, as for Lambda), and so are the
  dependencies (the layer has theirs);
- the environment is a short fixed list with PYTHONHASHSEED=0 and none of the variables
  template.yaml gives the functions: importing a handler must not need them.

The headline (bench/instructions.py) counts instructions. The wall-clock medians here
are reported beside it: each sample times a single import statement with
time.perf_counter (interpreter start-up left out), handler and floor samples are
interleaved, their order rotated each round, so drift in the machine's load hits them alike.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from local.package import CODE_PACKAGES, compile_bytecode
from local.requirements import ROOT

# The framework each kind of function must load (DESIGN.md §8): stream and queue
# consumers must use Powertools BatchProcessor, whose package loads asyncio (decision 19).
FLOORS = {
    "http": "boto3, fastapi, mangum, aws_lambda_powertools",
    "non-http": "boto3, aws_lambda_powertools",
    "stream": "boto3, aws_lambda_powertools, aws_lambda_powertools.utilities.batch",
}
TARGETS = {"http": 1.15, "non-http": 1.10, "stream": 1.10}
ROUNDS = 5
HASH_SEED = "0"
_MARK = "BENCH_IMPORT_SECONDS="
_PROBE = (
    "import time\n"
    "start = time.perf_counter()\n"
    "import {modules}\n"
    "elapsed = time.perf_counter() - start\n"
    f"print('{_MARK}' + repr(elapsed))\n"
)
_LOADED = "BENCH_LOADED="
_CHECK = (
    "import os, sys\n"
    "import {modules}\n"
    "root = os.getcwd() + os.sep\n"
    "for module in list(sys.modules.values()):\n"
    "    path = os.path.abspath(getattr(module, '__file__', None) or os.sep)\n"
    "    if path.startswith(root):\n"
    f"        print('{_LOADED}' + path.removeprefix(root))\n"
)


class ImportFailed(RuntimeError):
    """An import that raised in a fresh interpreter; the message ends with its error."""


@contextlib.contextmanager
def code_snapshot() -> Iterator[Path]:
    """A copy of the code package (functions/, shared/, data/), compiled as the package is."""
    folder = Path(tempfile.mkdtemp(prefix="bench-code-"))
    try:
        for package in CODE_PACKAGES:
            if (ROOT / package).is_dir():
                shutil.copytree(
                    ROOT / package,
                    folder / package,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
        compile_bytecode(folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def module_exists(code: Path, module: str) -> bool:
    path = code.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def probe_env(withheld: set[str]) -> dict[str, str]:
    """A fixed environment: same counts from a shell or from make, nothing the functions get."""
    env = {
        "PATH": os.defpath,
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": HASH_SEED,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
    }
    return {k: v for k, v in env.items() if k not in withheld}


def error_tail(stderr: str, lines: int = 4) -> str:
    """The end of a failed probe's stderr, without valgrind's own '==pid==' lines."""
    kept = [line for line in stderr.splitlines() if line.strip() and not line.startswith("==")]
    return "\n".join(kept[-lines:])


def _run(script: str, code: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def check_import(modules: str, code: Path, env: dict[str, str]) -> list[str]:
    """Import once in a fresh interpreter; return the snapshot's files it loaded (sorted)."""
    result = _run(_CHECK.format(modules=modules), code, env)
    if result.returncode != 0:
        raise ImportFailed(f"`import {modules}` failed:\n{error_tail(result.stderr)}")
    return sorted(
        line.removeprefix(_LOADED)
        for line in result.stdout.splitlines()
        if line.startswith(_LOADED)
    )


def time_import(modules: str, code: Path, env: dict[str, str]) -> float:
    """Seconds that `import <modules>` takes in a fresh interpreter started in the snapshot."""
    result = _run(_PROBE.format(modules=modules), code, env)
    if result.returncode != 0:
        raise ImportFailed(f"`import {modules}` failed:\n{error_tail(result.stderr)}")
    for line in result.stdout.splitlines():
        if line.startswith(_MARK):
            return float(line.removeprefix(_MARK))
    raise ImportFailed(f"`import {modules}` printed no timing:\n{result.stdout}")


def measure(
    cases: list[str], code: Path, env: dict[str, str], rounds: int = ROUNDS
) -> dict[str, list[float]]:
    """Wall-clock samples of `import <case>` for each case, from one interleaved run."""
    samples: dict[str, list[float]] = {modules: [] for modules in cases}
    for round_no in range(rounds):
        shift = round_no % len(cases)
        for modules in cases[shift:] + cases[:shift]:
            samples[modules].append(time_import(modules, code, env))
    return samples
