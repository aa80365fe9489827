"""Bring up a whole local cloud: emulator, deployed template, demo users, stack.json.

Used by `make run` (persistent, on LOCAL_PORT) and by the test suite (throwaway,
on a free port) alike, so both run exactly the same deployment.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, TextIO

from local.deploy import aws_client, deploy
from local.emulator import REGION, Emulator, ensure_emulator_venv
from local.push import start_local_push
from local.seed import seed_users
from local.seed_orgs import seed_orgs
from local.seed_resources import seed as seed_resources
from local.stack import STACK_NAME, describe
from local.timers import (
    SFN_WAIT_SCALE,
    SFN_WAIT_SCALE_KEY,
    template_parameters,
    timer_parameters,
    timers_in_force,
)


def emulator_python_version() -> str:
    python = ensure_emulator_venv()
    out = subprocess.run(
        [str(python), "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def bring_up(
    port: int,
    *,
    state_dir: Path | None = None,
    parameters: dict[str, str] | None = None,
    fast_timers: bool = False,
    log: TextIO = sys.stdout,
) -> tuple[Emulator, dict[str, Any]]:
    """Start the emulator, deploy the current code, seed the demo users; return the stack.

    `fast_timers` deploys local.timers.FAST_TIMERS (those the template declares);
    otherwise the timer parameters get the template's defaults. `parameters` win.
    """
    version = emulator_python_version()
    declared = template_parameters()
    deployed = {**timer_parameters(declared, fast=fast_timers), **(parameters or {})}
    emulator = Emulator(port).start(state_dir=state_dir)
    try:
        emulator.configure({SFN_WAIT_SCALE_KEY: SFN_WAIT_SCALE})
        push = start_local_push(emulator.endpoint, REGION, STACK_NAME)
        emulator.companions.append(push.stop)
        deployed = {**push.parameters, **deployed}
        outputs = deploy(emulator.endpoint, REGION, STACK_NAME, version, deployed)
        users = seed_users(emulator.endpoint, REGION, outputs["UserPoolId"])
        stack = describe(
            emulator.endpoint,
            REGION,
            outputs,
            users,
            timers=timers_in_force(declared, deployed),
            sfn_wait_scale=SFN_WAIT_SCALE,
        )
        stack["jpush_double_url"] = push.double.url
        stack["demo_orgs"] = seed_orgs(emulator.endpoint, REGION, stack["tables"], users)
        dynamodb = aws_client("dynamodb", emulator.endpoint, REGION)
        if seed_resources(dynamodb, stack["tables"]["resources"], out=log) != 0:
            raise RuntimeError("data/resources/ has invalid entries (listed above)")
        return emulator, stack
    except BaseException:
        emulator.stop()
        raise
