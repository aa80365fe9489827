"""The organisations function's app: settings, units, roster, imports, rota, audit.

Each part of the API is a router in its own file (`routes_<part>.py`); the
dependencies they share are in `wiring.py`. Every route checks the caller's role and
organisation against the roster (shared/orgs/access.py).
"""

from __future__ import annotations

from functions.orgs import (
    routes_audit,
    routes_imports,
    routes_org,
    routes_people,
    routes_rota,
    routes_units,
)
from functions.orgs.routes_imports import CSV, MAX_CSV_BYTES
from shared.http import create_app

app = create_app("Organisations API", text_bodies={CSV: MAX_CSV_BYTES})
# /orgs/me before /orgs/{org_id}: the first route that matches answers.
for part in (routes_org, routes_units, routes_people, routes_imports, routes_rota, routes_audit):
    app.include_router(part.router)
