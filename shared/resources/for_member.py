"""Crisis lines for one member, for any function whose response carries a risk.

Read from the directory bundled with the code (not the resources table or
function), so the lines reach a member at risk even when another feature is down.
Callers import this only when a risk is high or imminent: ordinary requests do not
pay for the directory at cold start.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.identity import Identity
from shared.resources.directory import pick_lang
from shared.resources.loader import bundled_resources
from shared.resources.safety import crisis_resources
from shared.settings import BaseSettings, settings


def crisis_lines(identity: Identity, at: dt.datetime) -> dict[str, Any]:
    """The crisis message and lines for the member's region, in their language."""
    region = identity.region or settings(BaseSettings).default_region
    lines = crisis_resources(bundled_resources(), region, pick_lang(None, identity.locale), at)
    return lines.model_dump(mode="json")
