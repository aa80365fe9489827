"""HTTP routes of the screenings function: the C-SSRS screener.

A check-in with PHQ-9 item 9 above 0 answers `next_step: "cssrs"`, and the app offers
this screener at once (the chain in MISSION.md). Each screening is stored as its own
item with its risk level in plain; the table's stream carries it to the risk intake.
The response carries crisis lines at once when the risk is high or imminent.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Annotated

from fastapi import Depends

from functions.screenings.logic import build_screening, member_view
from functions.screenings.models import ScreeningOut
from functions.screenings.repository import (
    PURPOSE,
    ScreeningKeys,
    ScreeningsRepository,
    ScreeningsSettings,
    ScreeningsStore,
)
from shared import aws
from shared.cssrs import CssrsAnswers
from shared.http import create_app, problem_responses
from shared.observability import metrics
from shared.risk import CRISIS_LEVELS
from shared.routing import Caller, Now
from shared.settings import settings

app = create_app("Screenings API")

ERRORS = problem_responses(400, 401, 403, 413, 415, 422)


@cache
def repository() -> ScreeningsStore:
    from shared.crisis.signal_seal import signal_sealer
    from shared.vault import vault_for

    db = aws.client("dynamodb")
    table = settings(ScreeningsSettings).screenings_table
    vault = vault_for(PURPOSE, ScreeningKeys(db, table))
    return ScreeningsRepository(db, table, vault, signal_sealer())


Repo = Annotated[ScreeningsStore, Depends(repository)]


@app.post(
    "/screenings/cssrs",
    status_code=201,
    response_model=ScreeningOut,
    responses=ERRORS,
    summary="Take the C-SSRS screener",
    description=(
        "Q3-Q5 only when Q2 is yes; Q6 always, and q6_within_3_months only when Q6 is yes. "
        "Answers that break this skip logic are a 422 naming the fields."
    ),
)
def post_cssrs(answers: CssrsAnswers, identity: Caller, repo: Repo, now: Now) -> ScreeningOut:
    at = now()
    screening = build_screening(answers, str(uuid.uuid4()), at)
    repo.save(identity.user_id, identity.org_id, screening.model_dump(mode="json"))
    level = screening.risk.level
    metrics.add_metric(name="ScreeningSaved", unit="Count", value=1)
    if level != "none":
        metrics.add_metric(name=f"ScreeningRisk_{level}", unit="Count", value=1)
    lines = None
    if level in CRISIS_LEVELS:
        from shared.resources.for_member import crisis_lines  # only a risky screening pays

        lines = crisis_lines(identity, at)
    return member_view(screening, lines)
