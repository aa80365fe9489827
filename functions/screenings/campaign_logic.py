"""Campaign decisions as plain functions (no I/O): a definition checked, a response scored
and tiered exactly as a check-in is scored and assessed, and the member's result worded.

Tiers (MISSION.md): **high** (高危) when the risk engine says high or imminent, any band is
severe, PHQ-9 item 9 is above 0 or the C-SSRS tier is high; **borderline** (临界) when not
high and any band is moderate or moderately severe; **general** (一般) otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from shared.cssrs import CssrsAnswers, score_cssrs
from shared.errors import InvalidInput
from shared.risk import CRISIS_LEVELS, assess_checkin
from shared.scoring import InstrumentScore, score_instrument

MAX_WINDOW = dt.timedelta(days=90)
BORDERLINE_BANDS = ("moderate", "moderately_severe")


def check_window(opens_at: dt.datetime, closes_at: dt.datetime, now: dt.datetime) -> None:
    issues = []
    if opens_at >= closes_at:
        issues.append(("closes_at", "closes_at must be after opens_at"))
    elif closes_at - opens_at > MAX_WINDOW:
        issues.append(("closes_at", "a campaign runs for at most 90 days"))
    if closes_at <= now:
        issues.append(("closes_at", "closes_at must be in the future"))
    if issues:
        raise InvalidInput(
            "The campaign's window is not valid.",
            errors=[
                {"location": ["body", field], "message": message, "code": "invalid_window"}
                for field, message in issues
            ],
        )


def check_units(units: Sequence[str], known: Collection[str]) -> None:
    missing = [i for i, unit in enumerate(units) if unit not in known]
    if missing:
        raise InvalidInput(
            "Some units are not units of this organisation.",
            errors=[
                {"location": ["body", "units", str(i)], "message": "No such unit", "code": "unit"}
                for i in missing
            ],
        )


def _instrument_issue(name: str, message: str) -> dict[str, Any]:
    return {"location": ["body", "answers", name], "message": message, "code": "instrument"}


def score_answers(
    instruments: Sequence[str], answers: Mapping[str, Any], cssrs: CssrsAnswers | None
) -> dict[str, Any]:
    """The scored response: totals, bands, risk (as `assess_checkin` gives it) and tier.

    The answers must hold exactly the campaign's instruments; a C-SSRS only with a PHQ-9
    whose item 9 is above 0 (the chain that offers it).
    """
    issues = [_instrument_issue(n, "Missing instrument") for n in instruments if n not in answers]
    issues += [
        _instrument_issue(n, "Not an instrument of this campaign")
        for n in answers
        if n not in instruments
    ]
    if issues:
        raise InvalidInput("Answer exactly the campaign's instruments.", errors=issues)
    scores: dict[str, InstrumentScore] = {n: score_instrument(n, answers[n]) for n in instruments}
    item9 = "item9_positive" in (scores["phq9"].flags if "phq9" in scores else [])
    if cssrs is not None and not item9:
        raise InvalidInput(
            "The C-SSRS is offered only after PHQ-9 item 9 above 0.",
            errors=[{"location": ["body", "cssrs"], "message": "Not offered", "code": "cssrs"}],
        )
    cssrs_result = score_cssrs(cssrs) if cssrs is not None else None
    risk = assess_checkin(scores, None, cssrs_result)
    bands = {n: s.band for n, s in scores.items()}
    high = (
        risk.level in CRISIS_LEVELS
        or "severe" in bands.values()
        or item9
        or (cssrs_result is not None and cssrs_result.tier == "high")
    )
    if high:
        tier = "high"
    elif any(b in BORDERLINE_BANDS for b in bands.values()):
        tier = "borderline"
    else:
        tier = "general"
    stored_answers: dict[str, Any] = {n: list(answers[n]) for n in instruments}
    if cssrs is not None:
        stored_answers["cssrs"] = cssrs.model_dump(exclude_none=True)
    return {
        "totals": {n: s.total for n, s in scores.items()},
        "bands": bands,
        "risk": risk.model_dump(mode="json"),
        "tier": tier,
        "answers": stored_answers,
        "next_step": "cssrs" if risk.recommended_screener == "cssrs" else None,
        "cssrs_tier": cssrs_result.tier if cssrs_result else None,
    }


# ---- what the member reads: plain words, never a diagnosis ----------------------------------

_TOPIC = {
    "phq9": {"en": "low mood", "zh-CN": "情绪低落"},
    "gad7": {"en": "worry and nervousness", "zh-CN": "紧张和担忧"},
}
_LEVEL = {
    "minimal": {"en": "little or no {topic}", "zh-CN": "几乎没有{topic}"},
    "mild": {"en": "mild {topic}", "zh-CN": "轻微的{topic}"},
    "moderate": {"en": "a moderate level of {topic}", "zh-CN": "中等程度的{topic}"},
    "moderately_severe": {
        "en": "quite a high level of {topic}",
        "zh-CN": "较明显的{topic}",
    },
    "severe": {"en": "a high level of {topic}", "zh-CN": "明显的{topic}"},
}
_SENTENCE = {
    "en": "Your answers suggest {level} over the last two weeks.",
    "zh-CN": "你的回答显示，最近两周你有{level}。",
}
_NEXT = {
    "general": {
        "en": [
            "Thank you for taking part.",
            "If you would like to talk to someone, a counsellor is there for you.",
        ],
        "zh-CN": ["感谢你的参与。", "如果你想找人聊聊，心理老师随时愿意倾听。"],
    },
    "borderline": {
        "en": [
            "Thank you for taking part.",
            "A counsellor may get in touch to see how you are doing; "
            "you can also ask to talk to one at any time.",
        ],
        "zh-CN": [
            "感谢你的参与。",
            "心理老师可能会联系你，了解你的近况；你也可以随时主动预约交流。",
        ],
    },
    "high": {
        "en": [
            "Thank you for telling us how you feel.",
            "A counsellor will get in touch with you soon.",
            "If you feel unsafe right now, call one of the crisis lines below.",
        ],
        "zh-CN": [
            "谢谢你告诉我们你的感受。",
            "心理老师会尽快联系你。",
            "如果你现在感到不安全，请立即拨打下面的心理援助热线。",
        ],
    },
}


def summary(instrument: str, band: str, lang: str) -> str:
    """One plain sentence about a band: how the member's answers read, not what they have."""
    topic = _TOPIC[instrument][lang]
    level = _LEVEL.get(band, _LEVEL["minimal"])[lang].format(topic=topic)
    return _SENTENCE[lang].format(level=level)


def next_steps(tier: str, lang: str) -> list[str]:
    return list(_NEXT.get(tier, _NEXT["general"])[lang])


def pick_lang(accept_language: str | None, locale: str | None) -> str:
    """zh-CN or en: the first supported Accept-Language tag, else the token's locale, else
    zh-CN (the deployment's default)."""
    for source in (accept_language, locale):
        for part in (source or "").split(","):
            tag = part.split(";")[0].strip().lower()
            if tag.startswith("zh"):
                return "zh-CN"
            if tag.startswith("en"):
                return "en"
    return "zh-CN"
