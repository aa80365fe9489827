"""Route dependencies every HTTP function shares: the clock and the caller.

FastAPI lives here, so only HTTP functions import this module. Tests replace the
clock with `app.dependency_overrides[clock]` and the caller with
`app.dependency_overrides[current_identity]`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.clock import Clock, system_clock
from shared.identity import Identity, current_identity


def clock() -> Clock:
    return system_clock


Now = Annotated[Clock, Depends(clock)]
Caller = Annotated[Identity, Depends(current_identity)]
