"""What a cold start must not load: pydantic.v1 (decision 26).

FastAPI imports pydantic.v1 only to refuse v1 models; shared/http.py marks it absent
so no HTTP function pays 0.08 G instructions for it. These tests fail if a handler
loads it after all, or if a dependency of the layer starts to need it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.template import functions, load

ROOT = Path(__file__).resolve().parents[2]


def test_no_http_handler_loads_pydantic_v1() -> None:
    # Given every HTTP handler of the template
    modules = [f.module for f in functions(load()) if f.http]
    # When a fresh interpreter imports them all
    script = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps({'v1': repr(sys.modules.get('pydantic.v1', 'unset'))}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    # Then pydantic.v1 is marked absent, never loaded
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"v1": "None"}
    assert len(modules) >= 8


def test_no_runtime_dependency_but_fastapi_mentions_pydantic_v1() -> None:
    # Given the installed runtime packages FastAPI, Starlette, Mangum, Powertools, boto3
    import aws_lambda_powertools
    import boto3
    import mangum
    import starlette

    roots = [
        Path(str(m.__file__)).parent for m in (aws_lambda_powertools, boto3, mangum, starlette)
    ]
    # When their sources are searched for an import of pydantic.v1
    users = [
        str(path)
        for root in roots
        for path in root.rglob("*.py")
        if "pydantic.v1" in (text := path.read_text(encoding="utf-8", errors="ignore"))
        or "pydantic import v1" in text
    ]
    # Then none imports it (FastAPI's own guarded checks are what the marker answers)
    assert users == []
