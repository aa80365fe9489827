"""The rota function's app: the weekly duty rota, overrides, and who is on duty now."""

from __future__ import annotations

from functions.orgs import routes_rota
from shared.http import create_app

app = create_app("Organisation duty rota API")
app.include_router(routes_rota.router)
