"""The statistics API: a unit's figures with its descendants, for org admins and counsellors.

`GET /orgs/{org_id}/stats?from=&to=&unit=` and two saved views of it, the weekly
watch-list report (`/stats/weekly?week=YYYY-Www`) and the monthly summary
(`/stats/monthly?month=YYYY-MM`). Every route checks the caller against the roster
first (another organisation: 404; a member or peer supporter: 403). The DynamoDB calls
do not grow with the number of members: the caller's roster entry (cached), one Query of
the unit tree and one Query of the counters (each with its pages).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Annotated

from fastapi import Depends, Path, Query

from functions.stats import logic
from functions.stats.config import StatsSettings
from functions.stats.keys import DAY, parse_month, parse_week, whole_period
from functions.stats.models import StatsReport
from functions.stats.repository import OrgsReader, StatsStore
from shared import aws
from shared.errors import InvalidInput, NotFound
from shared.http import create_app, problem_responses
from shared.orgs.access import require_role
from shared.orgs.roster import RosterEntry
from shared.routing import Caller
from shared.settings import settings
from shared.suppression import THRESHOLD

MAX_ORG_ID = 64
MAX_UNIT_ID = 64
MAX_RANGE_DAYS = 92
READERS = ("org_admin", "counsellor")
ERRORS = problem_responses(400, 401, 403, 404, 422)

app = create_app("Statistics API")


@cache
def stats_store() -> StatsStore:
    return StatsStore(aws.client("dynamodb"), settings(StatsSettings).stats_table)


@cache
def orgs_reader() -> OrgsReader:
    return OrgsReader(aws.client("dynamodb"), settings(StatsSettings).orgs_table)


OrgId = Annotated[str, Path(max_length=MAX_ORG_ID, description="The organisation's id")]


def stats_reader(org_id: OrgId, identity: Caller) -> RosterEntry:
    """The caller, if the roster makes them an admin or counsellor of `org_id`."""
    return require_role(identity, org_id, READERS)


Reader = Annotated[RosterEntry, Depends(stats_reader)]
Store = Annotated[StatsStore, Depends(stats_store)]
Orgs = Annotated[OrgsReader, Depends(orgs_reader)]
UnitQuery = Annotated[
    str | None,
    Query(max_length=MAX_UNIT_ID, description="The unit to report on (default: the whole org)"),
]


def build_report(
    org_id: str,
    first: dt.date,
    last: dt.date,
    unit: str | None,
    store: StatsStore,
    orgs: OrgsReader,
) -> StatsReport:
    if last < first:
        raise InvalidInput("`to` must not be before `from`.")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(f"A range can be at most {MAX_RANGE_DAYS} days.")
    period = whole_period(first, last)
    units = orgs.units(org_id)
    if unit is not None and not any(u.get("unit_id") == unit for u in units):
        raise NotFound("No such unit.")
    rows = store.rows(org_id, first, last, period)
    single_day = first == last
    tree = logic.report(units, rows, unit, exact_members=single_day or period is not None)
    if tree is None:
        raise NotFound("No such unit.")
    kind = "day" if single_day else "range" if period is None else period.split("#")[0]
    names = {DAY: "day", "w": "week", "m": "month", "day": "day", "range": "range"}
    return StatsReport.model_validate(
        {
            "org_id": org_id,
            "from": first,
            "to": last,
            "period": names[kind],
            "threshold": THRESHOLD,
            "members_exact": single_day or period is not None,
            "unit": tree,
        }
    )


@app.get(
    "/orgs/{org_id}/stats",
    response_model=StatsReport,
    response_model_by_alias=True,
    responses=ERRORS,
    summary="Participation, mood, risk tiers and cases by unit, with small numbers suppressed",
)
def stats(
    caller: Reader,
    store: Store,
    orgs: Orgs,
    first: Annotated[dt.date, Query(alias="from", description="First local day, YYYY-MM-DD")],
    last: Annotated[dt.date, Query(alias="to", description="Last local day (included)")],
    unit: UnitQuery = None,
) -> StatsReport:
    return build_report(caller.org_id, first, last, unit, store, orgs)


@app.get(
    "/orgs/{org_id}/stats/weekly",
    response_model=StatsReport,
    response_model_by_alias=True,
    responses=ERRORS,
    summary="The weekly watch-list report: the stats of one ISO week (Monday to Sunday)",
)
def weekly(
    caller: Reader,
    store: Store,
    orgs: Orgs,
    week: Annotated[str, Query(max_length=8, description="ISO week, e.g. 2026-W48")],
    unit: UnitQuery = None,
) -> StatsReport:
    try:
        first, last = parse_week(week)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    return build_report(caller.org_id, first, last, unit, store, orgs)


@app.get(
    "/orgs/{org_id}/stats/monthly",
    response_model=StatsReport,
    response_model_by_alias=True,
    responses=ERRORS,
    summary="The monthly summary: the stats of one calendar month",
)
def monthly(
    caller: Reader,
    store: Store,
    orgs: Orgs,
    month: Annotated[str, Query(max_length=7, description="Month, e.g. 2026-11")],
    unit: UnitQuery = None,
) -> StatsReport:
    try:
        first, last = parse_month(month)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    return build_report(caller.org_id, first, last, unit, store, orgs)
