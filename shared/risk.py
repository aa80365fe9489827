"""Risk engine for a single check-in.

Turns the scores of one check-in (PHQ-2/9, GAD-2/7, an optional C-SSRS result and the
day's mood) into a risk level with stable reason codes. Each rule in `_RULES` adds its
reason; the level is the highest any rule reaches.

Only what one check-in shows is judged here. A sustained low mood across several days
and lexicon hits in journal entries or peer messages are assessed elsewhere, and their
results can be combined with this one through `max_level`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:  # types only: the journal uses Risk without loading the scales
    from shared.cssrs import CssrsResult
    from shared.scoring import InstrumentScore

RiskLevel = Literal["none", "watch", "high", "imminent"]
RISK_LEVELS: tuple[RiskLevel, ...] = ("none", "watch", "high", "imminent")

VERY_LOW_MOOD = 1
# Risk levels whose response carries crisis lines at once, before any workflow step.
CRISIS_LEVELS: tuple[RiskLevel, ...] = ("high", "imminent")


def max_level(a: RiskLevel, b: RiskLevel) -> RiskLevel:
    return a if RISK_LEVELS.index(a) >= RISK_LEVELS.index(b) else b


class Risk(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    level: RiskLevel
    reasons: list[str] = Field(default_factory=list)
    recommended_screener: Literal["cssrs"] | None = None

    @field_validator("reasons")
    @classmethod
    def _sorted_unique(cls, reasons: list[str]) -> list[str]:
        # Stored and compared as data, so the order must not depend on rule order.
        return sorted(set(reasons))


@dataclass(frozen=True)
class _CheckIn:
    scores: Mapping[str, InstrumentScore]
    mood: int | None
    cssrs: CssrsResult | None

    def band(self, instrument: str) -> str | None:
        score = self.scores.get(instrument)
        return score.band if score else None

    def positive(self, instrument: str) -> bool:
        score = self.scores.get(instrument)
        return bool(score and score.positive)

    def item9_positive(self) -> bool:
        score = self.scores.get("phq9")
        return bool(score and "item9_positive" in score.flags)

    def cssrs_tier(self) -> str | None:
        return self.cssrs.tier if self.cssrs else None


@dataclass(frozen=True)
class _Rule:
    reason: str
    level: RiskLevel
    applies: Callable[[_CheckIn], bool]


_RULES: tuple[_Rule, ...] = (
    _Rule("phq9_item9_positive", "high", lambda c: c.item9_positive()),
    _Rule("phq9_severe", "high", lambda c: c.band("phq9") == "severe"),
    _Rule("phq9_moderately_severe", "watch", lambda c: c.band("phq9") == "moderately_severe"),
    _Rule("gad7_severe", "watch", lambda c: c.band("gad7") == "severe"),
    _Rule("phq2_positive", "watch", lambda c: c.positive("phq2")),
    _Rule("gad2_positive", "watch", lambda c: c.positive("gad2")),
    _Rule("cssrs_high", "imminent", lambda c: c.cssrs_tier() == "high"),
    _Rule("cssrs_moderate", "high", lambda c: c.cssrs_tier() == "moderate"),
    _Rule("cssrs_low", "watch", lambda c: c.cssrs_tier() == "low"),
    # bool is an int; True must not read as mood 1.
    _Rule(
        "very_low_mood",
        "watch",
        lambda c: not isinstance(c.mood, bool) and c.mood == VERY_LOW_MOOD,
    ),
)


def assess_checkin(
    scores: dict[str, InstrumentScore],
    mood: int | None,
    cssrs: CssrsResult | None = None,
) -> Risk:
    for key, score in scores.items():
        # A PHQ-9 filed under "gad7" would be judged by the wrong rules.
        if key != score.instrument:
            raise ValueError(f"score filed under {key!r} is a {score.instrument} score")
    checkin = _CheckIn(scores=scores, mood=mood, cssrs=cssrs)
    level: RiskLevel = "none"
    reasons: list[str] = []
    for rule in _RULES:
        if rule.applies(checkin):
            level = max_level(level, rule.level)
            reasons.append(rule.reason)
    # Chain: PHQ-9 item 9 > 0 -> offer the C-SSRS, unless this check-in already has one.
    recommend = checkin.item9_positive() and cssrs is None
    return Risk(level=level, reasons=reasons, recommended_screener="cssrs" if recommend else None)
