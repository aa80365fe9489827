"""Clinical scoring for the PHQ-2/PHQ-9, GAD-2/GAD-7 and the C-SSRS screener.

Pure functions, no I/O. The cut-offs follow docs/MISSION.md ("Clinical rules to
implement exactly"); change them only together with that document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import InvalidInput

InstrumentName = Literal["phq2", "phq9", "gad2", "gad7"]

INSTRUMENT_ITEM_COUNTS: dict[str, int] = {"phq2": 2, "phq9": 9, "gad2": 2, "gad7": 7}

ITEM_MIN = 0
ITEM_MAX = 3
# PHQ-2, GAD-2 and the first two items of the long forms share this cut-off.
SHORT_FORM_CUTOFF = 3
FURTHER_EVALUATION_CUTOFF = 10

# (lowest total of the band, band name), ascending.
PHQ9_BANDS: tuple[tuple[int, str], ...] = (
    (0, "minimal"),
    (5, "mild"),
    (10, "moderate"),
    (15, "moderately_severe"),
    (20, "severe"),
)
GAD7_BANDS: tuple[tuple[int, str], ...] = (
    (0, "minimal"),
    (5, "mild"),
    (10, "moderate"),
    (15, "severe"),
)


class InstrumentScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: InstrumentName
    total: int = Field(ge=0)
    band: str
    positive: bool
    flags: list[str] = Field(default_factory=list)


def _validate_items(instrument: str, items: Sequence[int]) -> list[int]:
    expected = INSTRUMENT_ITEM_COUNTS[instrument]
    # A str or a dict would slip through a plain len() check.
    if not isinstance(items, list | tuple):
        raise InvalidInput(f"{instrument} answers must be a list of {expected} integers")
    if len(items) != expected:
        raise InvalidInput(f"{instrument} needs exactly {expected} answers, got {len(items)}")
    for position, item in enumerate(items, start=1):
        # bool is a subclass of int; True must not count as a score of 1.
        if isinstance(item, bool) or not isinstance(item, int):
            raise InvalidInput(f"{instrument} item {position} must be an integer")
        if not ITEM_MIN <= item <= ITEM_MAX:
            raise InvalidInput(
                f"{instrument} item {position} must be between {ITEM_MIN} and {ITEM_MAX}"
            )
    return list(items)


def _band(total: int, bands: tuple[tuple[int, str], ...]) -> str:
    name = bands[0][1]
    for lowest, band in bands:
        if total >= lowest:
            name = band
    return name


def _score_short_form(instrument: InstrumentName, items: Sequence[int]) -> InstrumentScore:
    total = sum(_validate_items(instrument, items))
    positive = total >= SHORT_FORM_CUTOFF
    return InstrumentScore(
        instrument=instrument,
        total=total,
        band="positive" if positive else "negative",
        positive=positive,
    )


def score_phq2(items: Sequence[int]) -> InstrumentScore:
    return _score_short_form("phq2", items)


def score_gad2(items: Sequence[int]) -> InstrumentScore:
    return _score_short_form("gad2", items)


def score_phq9(items: Sequence[int]) -> InstrumentScore:
    values = _validate_items("phq9", items)
    total = sum(values)
    # Item 9 asks about self-harm; any answer above 0 needs follow-up whatever the total.
    item9_positive = values[8] > 0
    flags: list[str] = []
    if total >= FURTHER_EVALUATION_CUTOFF:
        flags.append("further_evaluation")
    if item9_positive:
        flags.append("item9_positive")
    if values[0] + values[1] >= SHORT_FORM_CUTOFF:
        flags.append("phq2_positive")
    return InstrumentScore(
        instrument="phq9",
        total=total,
        band=_band(total, PHQ9_BANDS),
        positive=total >= FURTHER_EVALUATION_CUTOFF or item9_positive,
        flags=flags,
    )


def score_gad7(items: Sequence[int]) -> InstrumentScore:
    values = _validate_items("gad7", items)
    total = sum(values)
    flags: list[str] = []
    if total >= FURTHER_EVALUATION_CUTOFF:
        flags.append("further_evaluation")
    if values[0] + values[1] >= SHORT_FORM_CUTOFF:
        flags.append("gad2_positive")
    return InstrumentScore(
        instrument="gad7",
        total=total,
        band=_band(total, GAD7_BANDS),
        positive=total >= FURTHER_EVALUATION_CUTOFF,
        flags=flags,
    )


_SCORERS: dict[str, Callable[[Sequence[int]], InstrumentScore]] = {
    "phq2": score_phq2,
    "phq9": score_phq9,
    "gad2": score_gad2,
    "gad7": score_gad7,
}


def score_instrument(name: str, items: Sequence[int]) -> InstrumentScore:
    scorer = _SCORERS.get(name)
    if scorer is None:
        raise InvalidInput(f"unknown instrument; expected one of {', '.join(sorted(_SCORERS))}")
    return scorer(items)
