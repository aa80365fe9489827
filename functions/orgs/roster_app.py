"""The roster function's app: invitations, people, training, supervisors, CSV imports."""

from __future__ import annotations

from functions.orgs import routes_imports, routes_people
from functions.orgs.routes_imports import CSV, MAX_CSV_BYTES
from shared.http import create_app

app = create_app("Organisation roster API", text_bodies={CSV: MAX_CSV_BYTES})
for part in (routes_people, routes_imports):
    app.include_router(part.router)
