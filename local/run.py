"""`make run`: the whole backend on this machine until Ctrl-C.

State lives in .local/state, so a second `make run` redeploys the current code
and keeps the data.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from typing import Any

from local.cloud import bring_up
from local.emulator import LOCAL_DIR
from local.stack import write
from local.timers import fast_mode
from local.token import id_token


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def banner(stack: dict[str, Any]) -> str:
    api = stack["api_url"]
    member = stack["demo_users"][0]
    token = id_token(stack, member["username"])
    users = "\n".join(
        f"  {u['username']:<16} {u['role']:<15} password {u['password']}  (org {u['org_id']})"
        for u in stack["demo_users"]
    )
    curl = (
        f'curl -s -X POST {api}/checkins -H "Authorization: {token}" '
        "-H 'Content-Type: application/json' "
        """-d '{"mood": 4, "emotions": ["calm"], "note": "first check-in"}'"""
    )
    timers = "\n".join(
        # Seconds where the parameter is a number of seconds; FollowUpDays is a list of days.
        f"  {name:<26} {value}{' s' if name.endswith('Seconds') else ''}"
        for name, value in sorted(stack.get("timers", {}).items())
    )
    scale = stack.get("sfn_wait_scale")
    timers_note = (
        "LOCAL_FAST_TIMERS=1: a few seconds each"
        if fast_mode()
        else "template defaults; LOCAL_FAST_TIMERS=1 makes them a few seconds"
    )
    return f"""
The local cloud is up.
  API        {api}
  health     curl -s {api}/health
  AWS        {stack["aws_endpoint_url"]} (region {stack["region"]}; details in .local/stack.json)

Demo users:
{users}

Workflow timers ({timers_note}; Step Functions wait scale {scale}):
{timers or "  (none in this template)"}

Organisations: demo-school (units school > grade-7 > class-7-1, class-7-2; rota covers every
hour) and demo-works; units and people with their ids are in .local/stack.json (demo_orgs).
Invite someone as admin-li: POST {api}/orgs/demo-school/invitations with
  {{"display_name": "Ms Chen", "email": "chen@example.com", "role": "counsellor"}}
The answer holds temporary_password (on AWS Cognito mails it instead); their first sign-in:
  make token USER=chen@example.com PASSWORD=<temporary_password> NEW_PASSWORD=<your choice>
Check an organisation's audit chain: make audit-verify ORG=demo-school

A fresh token: make token USER=<username>   (ID tokens last 60 minutes)
Create a check-in as {member["username"]}:

{curl}

Ctrl-C stops everything.
"""


def main() -> int:
    port = int(os.environ.get("LOCAL_PORT", "4566"))
    if _port_in_use(port):
        print(f"port {port} is in use: stop what runs there or set LOCAL_PORT.", file=sys.stderr)
        return 1
    emulator, stack = bring_up(port, state_dir=LOCAL_DIR / "state", fast_timers=fast_mode())

    def interrupted(*_: object) -> None:
        # Only unwind here: stopping inside the handler could deadlock on Popen.wait's lock.
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)  # even when started with SIGINT ignored
    signal.signal(signal.SIGTERM, interrupted)
    try:
        write(stack)
        print(banner(stack), flush=True)
        assert emulator.process is not None
        emulator.process.wait()
        print("the emulator exited on its own; see .local/ministack-*.log", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping the local cloud ...", flush=True)
        return 0
    finally:
        # A second Ctrl-C must not cut the clean-up short and leave workers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        emulator.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
