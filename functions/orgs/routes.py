"""The organisation function's app: settings, membership, units and supporters, audit log,
and the member's access log (`GET /me/access-log`, read from the audit table).

The organisations API is served by three functions, each building only its own
routes and models (cold start, docs/decisions.md 26): this one, the roster
(`roster_app.py`) and the rota (`rota_app.py`). Each part's routes are a router in
`routes_<part>.py`; what they share is in `wiring.py`. Every route checks the caller's
role and organisation against the roster before it reads the body, but the access log:
it shows any caller only their own records.
"""

from __future__ import annotations

from functions.orgs import access_log_routes, routes_audit, routes_org, routes_units
from shared.http import create_app

app = create_app("Organisations API")
# /orgs/me before /orgs/{org_id}: the first route that matches answers.
for part in (routes_org, routes_units, routes_audit, access_log_routes):
    app.include_router(part.router)
