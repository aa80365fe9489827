"""Export the OpenAPI document of each HTTP function into docs/api/.

`python -m local.openapi` rewrites docs/api/<function>.json; a unit test fails when
the committed files drift from the code. Nothing here needs AWS or the environment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DOCS_API = Path(__file__).resolve().parent.parent / "docs" / "api"
# docs/api/<name>.json per HTTP function: its handler module and the module of its app.
FUNCTIONS: dict[str, tuple[str, str]] = {
    name: (f"functions.{name}.handler", f"functions.{name}.routes")
    for name in (
        "accounts",
        "checkins",
        "resources",
        "resource_admin",
        "journal",
        "orgs",
        "notifications",
        "screenings",
        "crisis",
        "peer",
        "stats",
        "appointments",
    )
} | {
    "orgs_roster": ("functions.orgs.roster_handler", "functions.orgs.roster_app"),
    "orgs_rota": ("functions.orgs.rota_handler", "functions.orgs.rota_app"),
    "crisis_members": ("functions.crisis.members_handler", "functions.crisis.members_app"),
    "crisis_help": ("functions.crisis.help_handler", "functions.crisis.help_app"),
    "campaigns": ("functions.screenings.campaigns_handler", "functions.screenings.campaign_routes"),
    "ping": ("functions.ping.handler", "functions.ping.spec"),
}


def export() -> dict[str, dict[str, Any]]:
    """The OpenAPI document of each HTTP function, by function name."""
    from importlib import import_module

    return {name: import_module(app).app.openapi() for name, (_, app) in FUNCTIONS.items()}


def render(document: dict[str, Any]) -> str:
    """The committed form of a document: stable key order, two-space indent, final newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> None:
    DOCS_API.mkdir(parents=True, exist_ok=True)
    for name, document in export().items():
        path = DOCS_API / f"{name}.json"
        path.write_text(render(document), encoding="utf-8")
        print(f"wrote {path.relative_to(DOCS_API.parent.parent)}")


if __name__ == "__main__":
    main()
