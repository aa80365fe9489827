"""The crisis feature's second HTTP function: a member's records (the safety plan, the
care plan, guardian contacts). Apart from the cases API so neither pays the other's
cold start (decision 30)."""

from __future__ import annotations

from functions.crisis.member_records_routes import router
from shared.http import create_app

app = create_app("Crisis member records API")
app.include_router(router)
