"""Every crisis signal and the severity it raises: the one table the product documents.

A signal rides on the item that carries it (a check-in, a journal entry, a screening,
a help request, a peer's concern) as a plain `risk.level`; that table's stream feeds the
risk intake, which opens or joins the member's case at that severity (DESIGN.md §1, §6).
This module says which signal raises which severity. Where a feature already judges a
signal (shared/risk.py for a check-in, shared/lexicon.py for text), this table is its
documentation and tests/unit/test_crisis_signals.py proves the two agree; the C-SSRS
screening and the sustained low mood are judged from here.

docs/signals.md is the rendering of this table: `python -m shared.crisis.signals`.

Plain data and the standard library only: a non-HTTP function (the intake) may read the
table without loading pydantic, so shared/risk.py's levels are imported for types only
and a test checks that SEVERITIES is its list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.risk import RiskLevel

# shared/risk.py's RISK_LEVELS without "none", lowest first.
SEVERITIES: tuple[RiskLevel, ...] = ("watch", "high", "imminent")
VERY_LOW_MOOD = 1  # as in shared/risk.py
WEEK = 7
DEFAULT_DAYS_IN_A_ROW = 3
DEFAULT_AVERAGE_DROP = 2.0

LOW_MOOD_RUN = "low_mood_run"
MOOD_AVERAGE_DROP = "mood_average_drop"

CHECKIN_ENGINE = "shared/risk.py"
LEXICON_ENGINE = "shared/lexicon.py"
THIS_MODULE = "shared/crisis/signals.py"


@dataclass(frozen=True)
class Signal:
    """One row: a signal, the severity it raises, and where it is found."""

    code: str
    severity: RiskLevel
    source: str
    summary: str  # a short phrase for the prose of docs/signals.md
    rule: str  # the rule in words, as the code applies it
    reason: str  # how it shows among a risk's (sealed) reasons
    detected_by: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.code}: severity must be one of {', '.join(SEVERITIES)}")


def _lexicon(level: RiskLevel) -> Signal:
    return Signal(
        code=f"lexicon_{level}",
        severity=level,
        source="journal text (peer messages with the peer feature)",
        summary=f"a lexicon phrase of level {level} in a member's own words",
        rule=(
            f"A phrase of level {level} in the zh/en lexicon (data/lexicon/risk_terms.json), "
            "neither negated, quoted nor excluded. Each phrase carries its own level; the "
            "text takes the highest."
        ),
        reason="lexicon:<entry id>",
        detected_by=(LEXICON_ENGINE,),
    )


SIGNALS: tuple[Signal, ...] = (
    # --- one check-in (shared/risk.py judges each on every check-in) ---
    Signal(
        code="phq9_item9_positive",
        severity="high",
        source="check-in",
        summary="PHQ-9 item 9 above 0",
        rule=(
            "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) above 0, "
            'whatever the total. The response offers the C-SSRS screener (`next_step: "cssrs"`).'
        ),
        reason="phq9_item9_positive",
        detected_by=(CHECKIN_ENGINE,),
    ),
    Signal(
        code="phq9_severe",
        severity="high",
        source="check-in",
        summary="a severe PHQ-9",
        rule="PHQ-9 total 20–27 (severe band).",
        reason="phq9_severe",
        detected_by=(CHECKIN_ENGINE,),
    ),
    Signal(
        code="phq9_moderately_severe",
        severity="watch",
        source="check-in",
        summary="a moderately severe PHQ-9",
        rule="PHQ-9 total 15–19 (moderately severe band).",
        reason="phq9_moderately_severe",
        detected_by=(CHECKIN_ENGINE,),
    ),
    Signal(
        code="gad7_severe",
        severity="watch",
        source="check-in",
        summary="a severe GAD-7",
        rule="GAD-7 total 15–21 (severe band).",
        reason="gad7_severe",
        detected_by=(CHECKIN_ENGINE,),
    ),
    Signal(
        code="phq2_positive",
        severity="watch",
        source="check-in",
        summary="a positive PHQ-2",
        rule="PHQ-2 (asked on its own) total 3 or more.",
        reason="phq2_positive",
        detected_by=(CHECKIN_ENGINE,),
    ),
    Signal(
        code="gad2_positive",
        severity="watch",
        source="check-in",
        summary="a positive GAD-2",
        rule="GAD-2 (asked on its own) total 3 or more.",
        reason="gad2_positive",
        detected_by=(CHECKIN_ENGINE,),
    ),
    Signal(
        code="very_low_mood",
        severity="watch",
        source="check-in",
        summary="a day's mood at 1",
        rule=f"The check-in's mood is {VERY_LOW_MOOD} (very bad).",
        reason="very_low_mood",
        detected_by=(CHECKIN_ENGINE,),
    ),
    # --- the C-SSRS screener: POST /screenings/cssrs, or a check-in that carries one ---
    Signal(
        code="cssrs_high",
        severity="imminent",
        source="C-SSRS screener",
        summary="the C-SSRS screener at high risk",
        rule=(
            "Yes to Q4 (intent) or Q5 (plan), or suicidal behaviour (Q6) within the past 3 months."
        ),
        reason="cssrs_high",
        detected_by=("shared/cssrs.py", CHECKIN_ENGINE, "functions/screenings"),
    ),
    Signal(
        code="cssrs_moderate",
        severity="high",
        source="C-SSRS screener",
        summary="the C-SSRS screener at moderate risk",
        rule="Yes to Q3 (thoughts with a method), or suicidal behaviour longer than 3 months ago.",
        reason="cssrs_moderate",
        detected_by=("shared/cssrs.py", CHECKIN_ENGINE, "functions/screenings"),
    ),
    Signal(
        code="cssrs_low",
        severity="watch",
        source="C-SSRS screener",
        summary="the C-SSRS screener at low risk",
        rule="Yes to Q1 (wish to be dead) and/or Q2 (suicidal thoughts) only.",
        reason="cssrs_low",
        detected_by=("shared/cssrs.py", CHECKIN_ENGINE, "functions/screenings"),
    ),
    # --- free text ---
    _lexicon("imminent"),
    _lexicon("high"),
    _lexicon("watch"),
    # --- several days of check-ins ---
    Signal(
        code=LOW_MOOD_RUN,
        severity="watch",
        source="mood history",
        summary=f"{DEFAULT_DAYS_IN_A_ROW} local days in a row at mood {VERY_LOW_MOOD}",
        rule=(
            f"Mood {VERY_LOW_MOOD} on `days_in_a_row` (default {DEFAULT_DAYS_IN_A_ROW}) local "
            "days in a row, ending on the day judged; a day without a check-in breaks the run."
        ),
        reason=LOW_MOOD_RUN,
        detected_by=(THIS_MODULE,),
    ),
    Signal(
        code=MOOD_AVERAGE_DROP,
        severity="watch",
        source="mood history",
        summary=f"a {WEEK}-day mood average down by {DEFAULT_AVERAGE_DROP:g} or more",
        rule=(
            f"The average mood of the {WEEK} local days ending on the day judged is "
            f"`average_drop` (default {DEFAULT_AVERAGE_DROP:g}) or more below that of the "
            f"{WEEK} days before. Days without a check-in are left out; each week needs one."
        ),
        reason=MOOD_AVERAGE_DROP,
        detected_by=(THIS_MODULE,),
    ),
    # --- people ---
    Signal(
        code="help_requested",
        severity="imminent",
        source="help button",
        summary='`POST /help` ("I need help now")',
        rule='`POST /help`: the member says "I need help now", with optional free text (sealed).',
        reason="help_requested",
        detected_by=("functions/crisis",),
    ),
    Signal(
        code="peer_concern",
        severity="watch",
        source="peer supporter",
        summary="a peer supporter's concern",
        rule=(
            "A peer supporter raises a concern about a member they support (`POST "
            "/peer/concerns`): watch by default. The supporter never learns whether a case "
            "exists."
        ),
        reason="peer_concern",
        detected_by=("functions/peer/concerns.py",),
    ),
    Signal(
        code="peer_concern_urgent",
        severity="high",
        source="peer supporter",
        summary="a peer supporter's urgent concern",
        rule=(
            "A peer supporter raises a concern marked `urgent` (they fear the member needs "
            "help today). The supporter never learns whether a case exists."
        ),
        reason="peer_concern_urgent",
        detected_by=("functions/peer/concerns.py",),
    ),
)

BY_CODE: dict[str, Signal] = {signal.code: signal for signal in SIGNALS}


def severity_of(code: str) -> RiskLevel:
    """The severity a signal raises; KeyError for a code the table does not know."""
    return BY_CODE[code].severity


# --- Sustained low mood -----------------------------------------------------------------


def _mood(moods_by_day: Mapping[date, int], day: date) -> int | None:
    value = moods_by_day.get(day)
    # bool is an int; True must not read as mood 1.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _days_ending(last: date, count: int) -> list[date]:
    return [last - timedelta(days=back) for back in range(count)]


def _average(moods_by_day: Mapping[date, int], last: date) -> Fraction | None:
    """The exact mean mood of the week ending on `last`, over the days with one."""
    moods = [m for day in _days_ending(last, WEEK) if (m := _mood(moods_by_day, day)) is not None]
    return Fraction(sum(moods), len(moods)) if moods else None


def sustained_low_mood(
    moods_by_day: Mapping[date, int],
    today: date,
    *,
    days_in_a_row: int = DEFAULT_DAYS_IN_A_ROW,
    average_drop: float = DEFAULT_AVERAGE_DROP,
) -> list[str]:
    """Reason codes of a sustained low mood on the member-local day `today`, table order.

    `moods_by_day` maps member-local days to that day's mood (1-5); days after `today`
    are not read. A missing day breaks a run of low moods and is left out of an average.
    """
    if isinstance(days_in_a_row, bool) or not isinstance(days_in_a_row, int) or days_in_a_row < 1:
        raise ValueError("days_in_a_row must be a whole number of days, at least 1")
    if not (math.isfinite(average_drop) and average_drop > 0):
        raise ValueError("average_drop must be a finite number of points above 0")
    reasons: list[str] = []
    run = _days_ending(today, days_in_a_row)
    if all(_mood(moods_by_day, day) == VERY_LOW_MOOD for day in run):
        reasons.append(LOW_MOOD_RUN)
    this_week = _average(moods_by_day, today)
    week_before = _average(moods_by_day, today - timedelta(days=WEEK))
    # Exact fractions: 10/3 - 4/3 is 2, not 1.9999999999999998.
    if (
        this_week is not None
        and week_before is not None
        and week_before - this_week >= Fraction(average_drop)
    ):
        reasons.append(MOOD_AVERAGE_DROP)
    return reasons


# --- docs/signals.md --------------------------------------------------------------------

GENERATED = (
    "<!-- Generated by `python -m shared.crisis.signals > docs/signals.md` from "
    "shared/crisis/signals.py: edit the table there, not here. -->"
)
INTRO = (
    "Each row is one sign that a member may need a counsellor, and the severity it raises: "
    "watch, high or imminent. A signal rides on the item that carries it (a check-in, a "
    "journal entry, a screening, a help request, a peer's concern): the item keeps its "
    "risk level in plain and its reasons sealed, and that table's stream feeds the risk "
    "intake, which opens the member's one open case or attaches the signal to it. When "
    "one item shows several signals, the highest severity counts; a later signal may "
    "raise a case's severity, never lower it.",
    "The response that carries a high or imminent signal answers with crisis lines at "
    "once, and never with scores, reasons or case details. A PHQ-9 item 9 above 0 also "
    'answers with `next_step: "cssrs"`, so the app offers the C-SSRS screener, whose '
    "tier has rows of its own (the chain in MISSION.md).",
)
COLUMNS = ("Signal", "Severity", "Source", "Rule", "Reason code", "Detected by")


def _cell(text: str) -> str:
    # A pipe would end the cell early.
    return text.replace("|", "\\|")


def _row(signal: Signal) -> str:
    cells = (
        f"`{signal.code}`",
        signal.severity,
        signal.source,
        signal.rule,
        f"`{signal.reason}`",
        ", ".join(f"`{where}`" if "/" in where else where for where in signal.detected_by),
    )
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render_markdown(signals: Iterable[Signal] = SIGNALS) -> str:
    """docs/signals.md: the table in prose (by severity) and as a markdown table."""
    rows = tuple(signals)
    lines = ["# Crisis signals", "", GENERATED, ""]
    for paragraph in INTRO:
        lines += [paragraph, ""]
    lines += ["## By severity", ""]
    for severity in reversed(SEVERITIES):
        summaries = [s.summary for s in rows if s.severity == severity]
        lines.append(f"- **{severity}**: " + ("; ".join(summaries) or "no signal") + ".")
    lines += ["", "## The table", ""]
    lines.append("| " + " | ".join(COLUMNS) + " |")
    lines.append("|" + "---|" * len(COLUMNS))
    lines += [_row(s) for s in rows]
    lines += [
        "",
        "## Parameters",
        "",
        f"- `days_in_a_row` (default {DEFAULT_DAYS_IN_A_ROW}) and `average_drop` (default "
        f"{DEFAULT_AVERAGE_DROP:g} points) tune the sustained low mood "
        "(`shared.crisis.signals.sustained_low_mood`). Days are the member's local days.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    print(render_markdown(), end="")


if __name__ == "__main__":
    main()
