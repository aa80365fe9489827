"""Print one dependency group of pyproject.toml, one requirement per line.

`python local/requirements.py runtime|dev|emulator`: pyproject.toml stays the one
place where versions are pinned, for the dev venv, the emulator venv and the layer.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def requirements(group: str) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    if group == "runtime":
        return list(project["dependencies"])
    return list(project["optional-dependencies"][group])


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1])))
