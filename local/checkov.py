"""`make lint`'s policy checks: checkov on template.yaml, offline, in a virtualenv of its own.

checkov pins many libraries (boto3 among them) that would hold the app's back, so
like the emulator it lives in .local/checkov-venv, with the version pinned in
pyproject.toml's `checkov` group; the venv is made on first use. It runs without
the network: no Prisma Cloud key, no download of policy metadata or of checks,
no package scan. Exit status: checkov's (non-zero when a check fails).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from local.requirements import ROOT, requirements
from local.template import TEMPLATE

CHECKOV_VENV = ROOT / ".local" / "checkov-venv"
CHECKOV = CHECKOV_VENV / "bin" / "checkov"

# Keep checkov local: no Bridgecrew/Prisma mapping or guideline download (also
# --skip-download), no SCA package scan, no PyPI version check.
OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "PYTHONWARNINGS": "ignore",
}


def ensure_checkov_venv() -> Path:
    """Create .local/checkov-venv with the pinned checkov (once; again when the pin moves)."""
    wanted = "\n".join(requirements("checkov"))
    stamp = CHECKOV_VENV / ".installed"
    if stamp.exists() and stamp.read_text() == wanted and CHECKOV.exists():
        return CHECKOV
    print(f"installing {wanted} into {CHECKOV_VENV} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
    python = CHECKOV_VENV / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *requirements("checkov")],
        check=True,
    )
    stamp.write_text(wanted)
    return CHECKOV


def command(template: Path = TEMPLATE, *extra: str) -> list[str]:
    return [
        str(ensure_checkov_venv()),
        "--file",
        str(template),
        "--framework",
        "cloudformation",
        "--quiet",
        "--compact",
        "--skip-download",
        *extra,
    ]


def run(template: Path = TEMPLATE, *extra: str) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("BC_API_KEY", "PRISMA_API_URL")}
    return subprocess.run(command(template, *extra), env=env | OFFLINE_ENV, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    """`python -m local.checkov [template] [checkov options]`."""
    args = list(sys.argv[1:] if argv is None else argv)
    template = Path(args.pop(0)) if args and not args[0].startswith("-") else TEMPLATE
    return run(template, *args)


if __name__ == "__main__":
    sys.exit(main())
