"""The crisis signals table: what the issue asks of it, agreement with the engines that
judge signals (shared/risk.py, shared/cssrs.py, shared/lexicon.py), and docs/signals.md."""

from __future__ import annotations

import typing
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from shared import risk
from shared.crisis.signals import (
    BY_CODE,
    CHECKIN_ENGINE,
    LEXICON_ENGINE,
    SEVERITIES,
    SIGNALS,
    VERY_LOW_MOOD,
    Signal,
    main,
    render_markdown,
    severity_of,
)
from shared.cssrs import CssrsAnswers, CssrsTier, score_cssrs
from shared.lexicon import REASON_PREFIX, HitLevel, assess_text, load_lexicon
from shared.risk import RISK_LEVELS, assess_checkin
from shared.scoring import (
    InstrumentScore,
    score_gad2,
    score_gad7,
    score_phq2,
    score_phq9,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "signals.md"

# --- What the issue names, at the severity it names ------------------------------------


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        ("phq9_item9_positive", "high"),
        ("phq9_severe", "high"),
        ("phq9_moderately_severe", "watch"),
        ("gad7_severe", "watch"),
        ("cssrs_high", "imminent"),
        ("cssrs_moderate", "high"),
        ("cssrs_low", "watch"),
        ("lexicon_imminent", "imminent"),
        ("lexicon_high", "high"),
        ("lexicon_watch", "watch"),
        ("low_mood_run", "watch"),
        ("mood_average_drop", "watch"),
        ("help_requested", "imminent"),
        ("peer_concern", "watch"),
        ("peer_concern_urgent", "high"),
    ],
)
def test_each_signal_of_the_issue_raises_its_severity(code: str, severity: str) -> None:
    # Given a signal the issue names / When the table is asked / Then it has that severity
    assert severity_of(code) == severity


def test_an_unknown_signal_has_no_severity() -> None:
    # Given a code no row has / When its severity is asked / Then the lookup refuses
    with pytest.raises(KeyError):
        severity_of("horoscope_bad")


def test_codes_are_unique() -> None:
    # Given the table / When its codes are listed / Then none repeats (BY_CODE would hide one)
    codes = [s.code for s in SIGNALS]
    assert len(codes) == len(set(codes)) == len(BY_CODE)


def test_a_row_cannot_raise_no_severity() -> None:
    # Given a row / When its severity is "none" / Then it is refused: a signal always raises one
    with pytest.raises(ValueError, match="severity"):
        replace(SIGNALS[0], severity="none")


# --- Agreement with shared/risk.py -----------------------------------------------------


def test_severities_are_the_risk_engines_levels_above_none() -> None:
    # Given the risk engine's levels / When compared with the table's / Then they are one list
    assert RISK_LEVELS[1:] == SEVERITIES
    assert VERY_LOW_MOOD == risk.VERY_LOW_MOOD


def test_every_checkin_rule_of_the_risk_engine_is_a_row_at_the_same_severity() -> None:
    # Given every rule shared/risk.py applies to a check-in (read from its rule list)
    rules = {(rule.reason, rule.level) for rule in risk._RULES}
    # When the table's rows said to be judged there are listed
    rows = {(s.code, s.severity) for s in SIGNALS if CHECKIN_ENGINE in s.detected_by}
    # Then the two agree, both ways, and each reason is the row's reason code
    assert rows == rules
    assert all(BY_CODE[code].reason == code for code, _ in rules)


def cssrs(**answers: Any) -> Any:
    return score_cssrs(CssrsAnswers(**answers))


# One check-in per row that shows that signal and nothing else.
CHECKIN_EXAMPLES: dict[str, dict[str, Any]] = {
    "phq9_item9_positive": {"scores": [score_phq9([0] * 8 + [1])]},
    "phq9_severe": {"scores": [score_phq9([3, 3, 3, 3, 3, 3, 2, 0, 0])]},  # 20
    "phq9_moderately_severe": {"scores": [score_phq9([3, 3, 3, 3, 3, 0, 0, 0, 0])]},  # 15
    "gad7_severe": {"scores": [score_gad7([3, 3, 3, 3, 3, 0, 0])]},  # 15
    "phq2_positive": {"scores": [score_phq2([2, 1])]},
    "gad2_positive": {"scores": [score_gad2([1, 2])]},
    "very_low_mood": {"mood": 1},
    "cssrs_high": {"cssrs": cssrs(q1=True, q2=True, q3=True, q4=True, q5=False, q6=False)},
    "cssrs_moderate": {"cssrs": cssrs(q1=True, q2=False, q6=True, q6_within_3_months=False)},
    "cssrs_low": {"cssrs": cssrs(q1=True, q2=False, q6=False)},
}


def assess(example: dict[str, Any]) -> risk.Risk:
    scores: list[InstrumentScore] = example.get("scores", [])
    return assess_checkin(
        {s.instrument: s for s in scores}, example.get("mood"), example.get("cssrs")
    )


@pytest.mark.parametrize(
    "row", [s for s in SIGNALS if CHECKIN_ENGINE in s.detected_by], ids=lambda s: s.code
)
def test_a_checkin_showing_one_signal_gets_the_rows_severity(row: Signal) -> None:
    # Given a check-in that shows only this row's signal (a new row needs an example here)
    example = CHECKIN_EXAMPLES[row.code]
    # When the risk engine assesses it
    assessed = assess(example)
    # Then the level is the row's severity, for the row's reason alone
    assert (assessed.level, assessed.reasons) == (row.severity, [row.reason])


@pytest.mark.parametrize(
    ("items", "level"),
    [
        ([3, 3, 3, 3, 2, 0, 0, 0, 0], "none"),  # 14: moderate
        ([3, 3, 3, 3, 3, 0, 0, 0, 0], "watch"),  # 15: the table's lowest moderately severe
        ([3, 3, 3, 3, 3, 3, 1, 0, 0], "watch"),  # 19: its highest
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], "high"),  # 20: the lowest severe
    ],
)
def test_the_phq9_band_edges_are_where_the_rules_say(items: list[int], level: str) -> None:
    # Given a PHQ-9 at a band edge the table's rules name (item 9 at 0)
    # When assessed / Then its level changes exactly at 15 and 20
    assert assess({"scores": [score_phq9(items)]}).level == level


@pytest.mark.parametrize(("items", "level"), [([3, 3, 3, 3, 2, 0, 0], "none"), ([3] * 7, "watch")])
def test_the_gad7_severe_edge_is_where_the_rule_says(items: list[int], level: str) -> None:
    # Given a GAD-7 of 14, or of 21 / When assessed / Then only the severe band (15-21) is watch
    assert assess({"scores": [score_gad7(items)]}).level == level


# --- Agreement with shared/cssrs.py and shared/lexicon.py --------------------------------


@pytest.mark.parametrize("tier", [t for t in typing.get_args(CssrsTier) if t != "none"])
def test_every_cssrs_tier_above_none_has_its_row(tier: str) -> None:
    # Given a tier the screener can return / When the table is asked for it
    row = BY_CODE[f"cssrs_{tier}"]
    # Then the row exists and the screenings function is among those that judge it
    assert row.source == "C-SSRS screener"
    assert "functions/screenings" in row.detected_by


def test_lexicon_rows_are_one_per_level_at_that_level_with_the_lexicons_reasons() -> None:
    # Given the levels a lexicon entry can have
    levels = set(typing.get_args(HitLevel))
    # When the lexicon rows are listed
    rows = [s for s in SIGNALS if LEXICON_ENGINE in s.detected_by]
    # Then each level has one row raising that very level, reported as the lexicon reports it
    assert {(s.code, s.severity) for s in rows} == {(f"lexicon_{lv}", lv) for lv in levels}
    assert all(s.reason.startswith(REASON_PREFIX) for s in rows)


@pytest.mark.parametrize("level", typing.get_args(HitLevel))
def test_a_lexicon_phrase_alone_raises_its_rows_severity(level: str) -> None:
    # Given the bundled lexicon's phrases of this level, each written alone
    entries = [e for e in load_lexicon().entries if e.level == level]
    assessed = [(e, assess_text(e.patterns[0])) for e in entries]
    # When one matches its own entry only
    alone = [r for e, r in assessed if r.reasons == [f"{REASON_PREFIX}{e.id}"]]
    # Then its level is the table's severity for that level
    assert alone
    assert {r.level for r in alone} == {severity_of(f"lexicon_{level}")}


# --- docs/signals.md ---------------------------------------------------------------------


def test_committed_docs_equal_the_rendering() -> None:
    # Given docs/signals.md / When the table is rendered now / Then they are identical
    committed = DOCS.read_text(encoding="utf-8")
    assert committed == render_markdown(), "run `python -m shared.crisis.signals > docs/signals.md`"


def test_main_prints_the_rendering(capsys: pytest.CaptureFixture[str]) -> None:
    # Given / When the module is run / Then it prints exactly the rendering
    main()
    assert capsys.readouterr().out == render_markdown()


def test_the_rendering_has_a_table_row_per_signal_and_each_in_the_prose() -> None:
    # Given the rendering
    text = render_markdown()
    # When its table rows are read
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    # Then there is one per signal, in table order, and each summary is under its severity
    assert [line.split("`")[1] for line in rows] == [s.code for s in SIGNALS]
    for signal in SIGNALS:
        [prose] = [ln for ln in text.splitlines() if ln.startswith(f"- **{signal.severity}**")]
        assert signal.summary in prose


def test_a_pipe_in_a_rule_does_not_break_the_table() -> None:
    # Given a row whose rule holds a pipe
    row = replace(SIGNALS[0], rule="a | b")
    # When rendered / Then the pipe is escaped and the row keeps six cells
    [line] = [ln for ln in render_markdown([row]).splitlines() if ln.startswith("| `")]
    assert "a \\| b" in line
    assert line.replace("\\|", "").count("|") == 7
