"""Build the two artifacts every function shares: the code and the dependency layer.

build/code   functions/ + shared/ + data/ (the Handler path picks the function)
build/layer  python/ with the pinned runtime dependencies, built for the Python
             that will run them: the emulator's interpreter locally, the template's
             Runtime (python3.11, x86_64) for AWS. Both are manylinux wheels.
`sam deploy` uploads these folders as they are; the local deploy zips them.
"""

from __future__ import annotations

import compileall
import hashlib
import platform
import py_compile
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from local.requirements import ROOT, requirements

BUILD = ROOT / "build"
CODE_DIR = BUILD / "code"
LAYER_DIR = BUILD / "layer"
CODE_PACKAGES = ("functions", "shared", "data")
AWS_PYTHON_VERSION = "3.11"


def compile_bytecode(folder: Path) -> None:
    """Ship bytecode beside the sources, so a cold start does not compile our modules.

    Lambda's /var/task is read-only: without it every cold start compiles every
    module it imports. Unchecked-hash .pyc files are used whatever the files'
    times after unzipping (decision 20).
    """
    compileall.compile_dir(
        folder,
        quiet=1,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )


def build_code() -> Path:
    if CODE_DIR.exists():
        shutil.rmtree(CODE_DIR)
    for package in CODE_PACKAGES:
        shutil.copytree(
            ROOT / package,
            CODE_DIR / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    compile_bytecode(CODE_DIR)
    return CODE_DIR


def build_layer(python_version: str = AWS_PYTHON_VERSION) -> Path:
    """pip-install the runtime pins into build/layer/python, skipped when nothing changed."""
    wanted = "\n".join([f"python={python_version}", *requirements("runtime")])
    stamp = LAYER_DIR / ".built"
    if stamp.exists() and stamp.read_text() == wanted:
        return LAYER_DIR
    print(f"building the dependency layer for Python {python_version} ...", flush=True)
    if LAYER_DIR.exists():
        shutil.rmtree(LAYER_DIR)
    machine = "aarch64" if platform.machine() in ("arm64", "aarch64") else "x86_64"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--target",
            str(LAYER_DIR / "python"),
            "--platform",
            f"manylinux2014_{machine}",
            "--implementation",
            "cp",
            "--python-version",
            python_version,
            "--only-binary=:all:",
            *requirements("runtime"),
        ],
        check=True,
    )
    stamp.write_text(wanted)
    return LAYER_DIR


def zip_dir(source: Path, target: Path) -> str:
    """Zip a folder reproducibly (fixed timestamps) and return its content hash."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in sorted(p for p in source.rglob("*") if p.is_file() and p.name != ".built"):
            info = zipfile.ZipInfo(str(path.relative_to(source)), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return hashlib.sha256(target.read_bytes()).hexdigest()[:16]


if __name__ == "__main__":
    build_code()
    build_layer(sys.argv[1] if len(sys.argv) > 1 else AWS_PYTHON_VERSION)
    print(f"built {CODE_DIR.relative_to(ROOT)} and {LAYER_DIR.relative_to(ROOT)}")
