"""Fixtures shared by every tier. The local cloud starts only if a test asks for it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def local_cloud() -> Iterator[dict[str, Any]]:
    """A throwaway emulator on a free port with template.yaml deployed and demo users seeded.

    TEST_STACK=<stack.json> runs the tests against a local cloud that is already up
    (`LOCAL_FAST_TIMERS=1 make run`, then `TEST_STACK=.local/stack.json pytest tests/stack/...`),
    for a quick loop while writing a stack test; CI never sets it.
    """
    reuse = os.environ.get("TEST_STACK")
    if reuse:
        from local.stack import read

        yield read(Path(reuse))
        return
    from local.cloud import bring_up
    from local.emulator import free_port

    # Workflow timers of a few seconds (local.timers.FAST_TIMERS), so erasure's
    # sweep can be watched to the end.
    emulator, stack = bring_up(free_port(), fast_timers=True)
    try:
        yield stack
    finally:
        emulator.stop()
