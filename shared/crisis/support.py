"""What a member is told when something they wrote raised a signal (MISSION.md): that a
counsellor has been told and will reach out. Never a score, a reason or a case.

Every feature whose writes are signals answers with this (check-ins, journal,
screenings, `POST /help`), so the wording is the same wherever the member is.
"""

from __future__ import annotations

SIGNAL_LEVELS = frozenset({"watch", "high", "imminent"})

MESSAGES = {
    "en": (
        "Thank you for telling us. A counsellor has been told and will reach out to you "
        "soon. If you are in danger now, call one of the crisis lines."
    ),
    "zh-CN": (
        "谢谢你告诉我们。我们已通知心理老师，他们会尽快联系你。"
        "如果你现在有危险，请立即拨打心理援助热线。"
    ),
}


def support_requested(level: str, org_id: str | None) -> bool:
    """True when the write is a signal and a counsellor can be told: the member belongs to
    an organisation (a member of none has no counsellor; they get the crisis lines)."""
    return level in SIGNAL_LEVELS and bool(org_id)


def support_message(locale: str | None) -> str:
    return MESSAGES["zh-CN"] if (locale or "").lower().startswith("zh") else MESSAGES["en"]
