"""The words of pushes and inbox entries, rendered on the server in zh-CN or English.

The model:
- Each category has a generic text that reveals nothing sensitive on a lock screen
  (no names, no counselling, no risk) and may have a full one that names who or
  what; a member chooses the preview, and "generic" is the default everywhere.
- Some categories never show more than the generic text, whatever the preference:
  a counsellor alert (never the member's words, never the risk) and a safety
  contact. The daily reminder reads the same either way.
- A full text needs its parameters (a sender's display name, an announcement's
  title); with one missing or blank it falls back to the generic text. Parameters
  are inserted as plain text, on one line, without control characters, and cut to
  MAX_PARAM_LENGTH characters.
- Locales: Simplified Chinese tags (zh, zh-CN, zh-Hans-CN, zh-SG, ...) read zh-CN;
  everything else (en, en-GB, and tags with no text of their own) reads English.
- The wording follows safe-messaging guidance: no text names suicide, self-harm or
  death (tests scan every template for a deny list).

Pure and stdlib only: the sender Lambda (no HTTP) imports it, so it stays light.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Literal

Lang = Literal["zh-CN", "en"]
Preview = Literal["generic", "full"]

LANGS: tuple[Lang, ...] = ("zh-CN", "en")
PREVIEWS: tuple[Preview, ...] = ("generic", "full")
MAX_PARAM_LENGTH = 60

# Traditional-script and regional tags that Simplified Chinese does not serve.
_TRADITIONAL = frozenset({"hant", "tw", "hk", "mo"})
# Joiners shape emoji and some scripts; every other format character (bidi overrides) goes.
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})


@dataclass(frozen=True)
class Text:
    title: str
    body: str


@dataclass(frozen=True)
class Template:
    route: str  # the app route a tap opens
    generic: Mapping[Lang, Text]
    full: Mapping[Lang, Text] | None = None  # None: always the generic text


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    route: str


TEMPLATES: Mapping[str, Template] = {
    "reminder": Template(
        route="checkin",
        generic={
            "zh-CN": Text("每日签到", "今天感觉怎么样？"),
            "en": Text("Daily check-in", "How are you today?"),
        },
    ),
    "peer_message": Template(
        route="messages",
        generic={
            "zh-CN": Text("新消息", "你有一条新消息"),
            "en": Text("New message", "You have a new message"),
        },
        full={
            "zh-CN": Text("新回复", "{sender_name}回复了你的签到"),
            "en": Text("New reply", "{sender_name} replied to your check-in"),
        },
    ),
    "follow_up": Template(
        route="checkin",
        generic={
            "zh-CN": Text("签到邀请", "你有一条新的签到邀请"),
            "en": Text("Check-in request", "You have a new check-in request"),
        },
        full={
            "zh-CN": Text("签到邀请", "{sender_name}想了解你最近怎么样"),
            "en": Text("Check-in request", "{sender_name} would like to hear how you are"),
        },
    ),
    "announcement": Template(
        route="inbox",
        generic={
            "zh-CN": Text("新公告", "打开应用查看"),
            "en": Text("New announcement", "Open the app to read it"),
        },
        full={
            "zh-CN": Text("{title}", "来自你所在机构的新公告"),
            "en": Text("{title}", "A new announcement from your organisation"),
        },
    ),
    # A screening campaign opened for the member's class or team, and the one reminder
    # before it closes: the lock screen never says what it screens for.
    "campaign": Template(
        route="campaigns",
        generic={
            "zh-CN": Text("新的问卷", "你有一份新的问卷可以填写"),
            "en": Text("New questionnaire", "You have a new questionnaire to fill in"),
        },
        full={
            "zh-CN": Text("{title}", "你有一份新的问卷可以填写"),
            "en": Text("{title}", "You have a new questionnaire to fill in"),
        },
    ),
    "campaign_reminder": Template(
        route="campaigns",
        generic={
            "zh-CN": Text("问卷即将截止", "还有一份问卷等你填写"),
            "en": Text("Questionnaire closing soon", "A questionnaire is still waiting for you"),
        },
        full={
            "zh-CN": Text("{title}", "问卷即将截止，还有一份等你填写"),
            "en": Text("{title}", "Closing soon: a questionnaire is still waiting for you"),
        },
    ),
    # 24 h and 1 h before a booked appointment; `time` is the local start ("周三 14:00").
    # Generic text never says with whom or what kind of appointment.
    "appointment_reminder": Template(
        route="appointments",
        generic={
            "zh-CN": Text("预约提醒", "你有一个即将到来的预约"),
            "en": Text("Appointment reminder", "You have an appointment coming up"),
        },
        full={
            "zh-CN": Text("预约提醒", "你的预约在{time}"),
            "en": Text("Appointment reminder", "Your appointment is at {time}"),
        },
    ),
    "counsellor_alert": Template(
        route="cases",
        generic={
            "zh-CN": Text("紧急：有同学需要回电", "打开应用查看个案"),
            "en": Text("Urgent: a member needs a call back", "Open the app to see the case"),
        },
    ),
    "safety": Template(
        route="safety",
        generic={
            "zh-CN": Text("我们一直都在", "点击查看现在可以找谁聊聊"),
            "en": Text("We're here for you", "Tap to see who you can talk to right now"),
        },
    ),
}

CATEGORIES = tuple(TEMPLATES)


def locale_of(tag: str | None) -> Lang:
    """The text locale for a BCP 47 tag: zh-CN for Simplified Chinese, else English."""
    if not isinstance(tag, str):
        return "en"
    subtags = tag.strip().replace("_", "-").lower().split("-")
    if subtags[0] == "zh" and _TRADITIONAL.isdisjoint(subtags[1:]):
        return "zh-CN"
    return "en"


def _printable(char: str) -> bool:
    kind = unicodedata.category(char)
    if kind == "Cf":
        return char in _KEPT_FORMAT
    return kind not in ("Cc", "Cs", "Co") or char.isspace()  # whitespace is joined below


def _clean(value: object) -> str:
    """A parameter as one short line of plain text ("" when absent or blank)."""
    if not isinstance(value, str):
        return ""
    line = " ".join("".join(char for char in value if _printable(char)).split())
    if len(line) > MAX_PARAM_LENGTH:
        return line[: MAX_PARAM_LENGTH - 1].rstrip() + "…"
    return line


def _fields(text: Text) -> set[str]:
    formatter = Formatter()
    return {
        name
        for part in (text.title, text.body)
        for _, name, _, _ in formatter.parse(part)
        if name is not None
    }


def render(
    category: str,
    locale: str | None,
    preview: Preview = "generic",
    params: Mapping[str, str] | None = None,
) -> Rendered:
    """The title, body and route of a push or inbox entry (see the module docstring).

    ValueError for an unknown category or preview.
    """
    template = TEMPLATES.get(category)
    if template is None:
        raise ValueError(f"Unknown notification category; one of {', '.join(CATEGORIES)}.")
    if preview not in PREVIEWS:
        raise ValueError(f"Unknown preview; one of {', '.join(PREVIEWS)}.")
    lang = locale_of(locale)
    generic = template.generic[lang]
    if preview == "generic" or template.full is None:
        return Rendered(generic.title, generic.body, template.route)
    full = template.full[lang]
    values = {name: _clean((params or {}).get(name)) for name in _fields(full)}
    if not all(values.values()):
        return Rendered(generic.title, generic.body, template.route)
    # str.format reads only the template: braces inside the values stay as typed.
    return Rendered(full.title.format(**values), full.body.format(**values), template.route)
