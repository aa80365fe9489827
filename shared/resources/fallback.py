"""Crisis lines that need nothing to be built: the last resort of every crisis response.

When the bundled directory cannot be read or yields no line (a broken data file, a bug),
a member at risk still gets numbers to call: these copies of the national line of China
(12356) and of the international lines in the directory (988 in the US, Samaritans
116 123 in the UK and Ireland), in the shape of `GET /resources/crisis`.

Plain data and the standard library only, so nothing here can fail to import.
`tests/unit/test_crisis_fallback.py` checks that each copy still matches its entry in
`data/resources/`, and the wording matches `shared.resources.safety`.
"""

from __future__ import annotations

from typing import Any

# The safe-messaging wording of every crisis response (shared.resources.safety uses it).
CRISIS_MESSAGES: dict[str, str] = {
    "zh-CN": (
        # Chinese text uses full-width punctuation on purpose.
        "你不必一个人扛着这些。如果你担心自己可能会伤害自己，请现在就拨打下面任意一条热线，"
        "或尽快去最近的医院急诊科。情况紧急时，请拨打 120 急救电话或 110 报警电话。"
    ),
    "en": (
        "You don't have to go through this alone. If you might act on thoughts of harming "
        "yourself, call one of these lines now or go to the nearest emergency department. "
        "In immediate danger, call your local emergency number (120 or 110 in mainland China)."
    ),
}

# Texts by language, the rest as in data/resources/ (cn.json, international.json).
_LINES: tuple[dict[str, Any], ...] = (
    {
        "id": "cn-12356",
        "name": {
            "zh-CN": "12356 全国统一心理援助热线",
            "en": "12356 National Psychological Assistance Hotline",
        },
        "description": {
            "zh-CN": (
                "国家卫生健康委设立的全国统一心理援助热线，2025 年 5 月起各省均已接通。"
                "提供心理健康教育、心理咨询、心理疏导和心理危机干预。"
            ),
            "en": (
                "The National Health Commission's nationwide psychological assistance line; "
                "every province was connected by May 2025. Offers mental-health information, "
                "counselling, support and crisis intervention."
            ),
        },
        "contact": {"phone": "12356", "sms": None, "url": None, "email": None},
        "regions": ["CN"],
        "languages": ["zh"],
        "hours": {
            "mode": "varies",
            "time_zone": "Asia/Shanghai",
            "note": {
                "zh-CN": "全国各地每天至少接听 18 小时，部分城市 24 小时；具体时段以当地热线为准。",
                "en": (
                    "Answered at least 18 hours a day everywhere and 24 hours in some cities; "
                    "the exact hours depend on the city."
                ),
            },
        },
        "open_now": None,
        "cost": "standard_rate",
        "source": "https://www.nhc.gov.cn/",
        "last_verified": "2026-11-23",
    },
    {
        "id": "us-988",
        "name": {"zh-CN": "988 自杀与危机生命线（美国）", "en": "988 Suicide & Crisis Lifeline"},
        "description": {
            "zh-CN": "美国的免费、保密危机支持：拨打或发短信至 988，或在网站上在线聊天。",
            "en": (
                "Free, confidential support in the United States for anyone in suicidal "
                "crisis or emotional distress: call or text 988, or chat online."
            ),
        },
        "contact": {"phone": "988", "sms": "988", "url": "https://988lifeline.org/", "email": None},
        "regions": ["US"],
        "languages": ["en", "es"],
        "hours": {"mode": "always", "time_zone": None, "note": None},
        "open_now": True,
        "cost": "free",
        "source": "https://988lifeline.org/",
        "last_verified": "2026-11-23",
    },
    {
        "id": "gb-ie-samaritans",
        "name": {"zh-CN": "撒玛利亚会（Samaritans，英国和爱尔兰）", "en": "Samaritans"},
        "description": {
            "zh-CN": "英国和爱尔兰的免费、保密倾听热线，任何时候都可以拨打 116 123。",
            "en": (
                "Free, confidential listening for anyone who is struggling, in the UK and "
                "Ireland, day or night: call 116 123."
            ),
        },
        "contact": {
            "phone": "116123",
            "sms": None,
            "url": "https://www.samaritans.org/",
            "email": "jo@samaritans.org",
        },
        "regions": ["GB", "IE"],
        "languages": ["en"],
        "hours": {"mode": "always", "time_zone": None, "note": None},
        "open_now": True,
        "cost": "free",
        "source": "https://www.samaritans.org/how-we-can-help/contact-samaritan/",
        "last_verified": "2026-11-23",
    },
)


def fallback_lang(locale: str | None) -> str:
    """zh-CN for Chinese or no locale, English for any other (as `pick_lang` decides)."""
    primary = (locale or "").strip().lower().split("-", 1)[0]
    return "zh-CN" if primary in ("", "zh") else "en"


def _view(line: dict[str, Any], lang: str) -> dict[str, Any]:
    hours = line["hours"]
    return {
        "id": line["id"],
        "name": line["name"][lang],
        "description": line["description"][lang],
        "kind": "hotline",
        "contact": dict(line["contact"]),
        "regions": list(line["regions"]),
        "languages": list(line["languages"]),
        "audiences": ["everyone"],
        "hours": {
            "mode": hours["mode"],
            "time_zone": hours["time_zone"],
            "weekly": [],
            "note": hours["note"][lang] if hours["note"] else None,
        },
        "open_now": line["open_now"],
        "cost": line["cost"],
        "crisis": True,
        "source": line["source"],
        "last_verified": line["last_verified"],
        "org_id": None,
    }


def static_crisis_lines(region: str | None, locale: str | None) -> dict[str, Any]:
    """{message, lang, resources}: every static line, those of the member's country first."""
    lang = fallback_lang(locale)
    country = (region or "").strip().upper()[:2]
    ordered = sorted(_LINES, key=lambda line: country not in line["regions"])
    return {
        "message": CRISIS_MESSAGES[lang],
        "lang": lang,
        "resources": [_view(line, lang) for line in ordered],
    }
