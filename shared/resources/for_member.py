"""Crisis lines for one member, for any function whose response carries a risk.

Read from the directory bundled with the code (not the resources table or
function), so the lines reach a member at risk even when another feature is down.
Callers import this only when a risk is high or imminent: ordinary requests do not
pay for the directory at cold start.

Crisis lines never fail: if the list cannot be built (a broken data file, a bug) or
comes out empty, the member gets the static lines of `shared.resources.fallback`,
and the `CrisisLinesFallback` metric tells the team (the log names only the error's
type, never the member or their text).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from shared.identity import Identity
from shared.observability import logger, metrics
from shared.resources.fallback import static_crisis_lines

FALLBACK_METRIC = "CrisisLinesFallback"


def crisis_lines(identity: Identity, at: dt.datetime) -> dict[str, Any]:
    """The crisis message and lines for the member's region, in their language; never raises."""
    region = identity.region
    try:
        # Imported here so that even a module that fails to import falls back.
        from shared.resources.directory import pick_lang
        from shared.resources.loader import bundled_resources
        from shared.resources.safety import crisis_resources
        from shared.settings import BaseSettings, settings

        region = region or settings(BaseSettings).default_region
        lang = pick_lang(None, identity.locale)
        lines = crisis_resources(bundled_resources(), region, lang, at)
        if not lines.resources:
            raise LookupError("no crisis line for the region nor the fallback region")
        return lines.model_dump(mode="json")
    except Exception as error:
        _report_fallback(error)
        return static_crisis_lines(region, identity.locale)


def _report_fallback(error: Exception) -> None:
    with contextlib.suppress(Exception):  # reporting must not cost the member their lines
        logger.error(
            "crisis lines fell back to the static list",
            extra={"error_type": type(error).__name__},
        )
    with contextlib.suppress(Exception):
        metrics.add_metric(name=FALLBACK_METRIC, unit="Count", value=1)
