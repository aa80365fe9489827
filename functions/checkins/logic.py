"""Check-in decisions as plain functions: models in, models out, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from functions.checkins.models import MAX_DAYS_BACK, Checkin, CheckinIn, LatestBand, Summary
from shared.clock import check_not_future, days_back, local_day, utc_iso
from shared.errors import InvalidInput
from shared.risk import assess_checkin
from shared.scoring import INSTRUMENT_ITEM_COUNTS, InstrumentScore, score_instrument

SUMMARY_WINDOWS = (7, 30)


def build_checkin(payload: CheckinIn, time_zone: str, now: dt.datetime) -> Checkin:
    """Score, assess and date a check-in for the member's local day."""
    today = local_day(now, time_zone)
    day = check_not_future(payload.date or today, today)
    if day < days_back(today, MAX_DAYS_BACK):
        raise InvalidInput(f"A check-in can be at most {MAX_DAYS_BACK} days in the past.")
    scores: dict[str, InstrumentScore] = {
        name: score_instrument(name, items) for name, items in payload.instruments.items()
    }
    risk = assess_checkin(scores, payload.mood)
    stamp = utc_iso(now)
    return Checkin(
        **payload.model_dump(exclude={"date"}),
        date=day,
        scores=scores,
        risk=risk,
        time_zone=time_zone,
        created_at=stamp,
        updated_at=stamp,
    )


def summarise(items_newest_first: Iterable[dict[str, Any]], today: dt.date) -> Summary:
    """Streak, mood averages and latest bands from stored items, newest first.

    Stops reading as soon as nothing older can change the answer, so the caller
    can hand it a lazily paged query.
    """
    window_start = {n: days_back(today, n - 1) for n in SUMMARY_WINDOWS}
    moods: dict[int, list[int]] = {n: [] for n in SUMMARY_WINDOWS}
    latest: dict[str, LatestBand] = {}
    streak, expected, streak_open, checked_in_today = 0, today, True, False
    oldest_window = window_start[max(SUMMARY_WINDOWS)]
    band_horizon = days_back(today, MAX_DAYS_BACK)

    for item in items_newest_first:
        day = dt.date.fromisoformat(item["date"])
        if day > today:
            continue
        if day == today:
            checked_in_today = True
        if streak_open:
            if day == expected or (streak == 0 and day == days_back(today, 1)):
                streak += 1
                expected = days_back(day, 1)
            elif day < expected:
                streak_open = False
        for n in SUMMARY_WINDOWS:
            if day >= window_start[n]:
                moods[n].append(int(item["mood"]))
        for name, score in (item.get("scores") or {}).items():
            if name not in latest and day >= band_horizon:
                latest[name] = LatestBand(
                    band=score["band"], total=score["total"], positive=score["positive"], date=day
                )
        all_bands = len(latest) == len(INSTRUMENT_ITEM_COUNTS)
        if not streak_open and day < oldest_window and (all_bands or day < band_horizon):
            break

    def average(values: list[int]) -> float | None:
        return round(sum(values) / len(values), 2) if values else None

    return Summary(
        today=today,
        checked_in_today=checked_in_today,
        streak_days=streak,
        mood_avg_7d=average(moods[7]),
        mood_avg_30d=average(moods[30]),
        checkins_7d=len(moods[7]),
        checkins_30d=len(moods[30]),
        latest_bands=latest,
    )
