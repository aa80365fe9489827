"""Push and inbox wording: both locales, lock-screen-safe by default, safe-messaging words."""

from __future__ import annotations

import re
from string import Formatter

import pytest

from shared.notifications.render import (
    CATEGORIES,
    LANGS,
    MAX_PARAM_LENGTH,
    PREVIEWS,
    TEMPLATES,
    Lang,
    Preview,
    Rendered,
    locale_of,
    render,
)

PARAMS = {"sender_name": "Zhang", "title": "Exam week opening hours", "time": "Wed 14:00"}
# Words safe-messaging guidance keeps out of notifications. English as whole words
# (so "diet" or "skill" would not trip it), Chinese as substrings.
DENIED_EN = re.compile(
    r"\b(suicid\w*|self[- ]?harm\w*|kill\w*|die|dies|dying|dead|death|overdose)\b", re.I
)
DENIED_ZH = ("自杀", "自残", "轻生", "死", "割腕", "伤害自己")
# Words that would tell a lock-screen reader someone sees a counsellor or is at risk.
REVEALING = re.compile(r"counsell?or|therap|risk|crisis|咨询|心理|危机|风险", re.I)


def all_texts() -> list[tuple[str, str, str, str]]:
    """(category, locale, preview, text) for every title and body of every template."""
    found: list[tuple[str, str, str, str]] = []
    for category, template in TEMPLATES.items():
        for preview, texts in (("generic", template.generic), ("full", template.full)):
            for lang, text in (texts or {}).items():
                found.append((category, lang, preview, text.title))
                found.append((category, lang, preview, text.body))
    return found


# --- every category, both locales ------------------------------------------------------


def test_every_category_has_generic_text_in_both_locales_and_full_where_offered() -> None:
    # Given the templates
    # When their locales are listed
    # Then each category speaks both, generic always and full either in both or not at all
    assert set(CATEGORIES) == {
        "reminder",
        "peer_message",
        "follow_up",
        "announcement",
        "counsellor_alert",
        "safety",
        "campaign",
        "campaign_reminder",
        "appointment_reminder",
    }
    for template in TEMPLATES.values():
        assert set(template.generic) == set(LANGS)
        assert template.full is None or set(template.full) == set(LANGS)


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("preview", PREVIEWS)
def test_every_category_renders_non_empty_text_with_a_route(
    category: str, lang: Lang, preview: Preview
) -> None:
    # Given any category, locale and preview, with every parameter supplied
    # When rendered
    done = render(category, lang, preview, PARAMS)
    # Then there is a title, a body and a route, and no placeholder left unfilled
    assert done.title and done.body and re.fullmatch(r"[a-z_]+", done.route)
    assert "{" not in done.title + done.body


@pytest.mark.parametrize("category", CATEGORIES)
def test_chinese_and_english_texts_differ_and_are_in_their_script(category: str) -> None:
    # Given a category
    # When rendered generically in each locale
    zh = render(category, "zh-CN", "generic", {})
    en = render(category, "en", "generic", {})
    # Then the Chinese text is Chinese, the English text has no Chinese, same route
    assert re.search(r"[\u4e00-\u9fff]", zh.title + zh.body)
    assert not re.search(r"[\u4e00-\u9fff]", en.title + en.body)
    assert zh.route == en.route


@pytest.mark.parametrize(
    ("category", "route"),
    [
        ("reminder", "checkin"),
        ("peer_message", "messages"),
        ("follow_up", "checkin"),
        ("announcement", "inbox"),
        ("counsellor_alert", "cases"),
        ("safety", "safety"),
        ("campaign", "campaigns"),
        ("campaign_reminder", "campaigns"),
        ("appointment_reminder", "appointments"),
    ],
)
def test_each_category_opens_its_route_whatever_the_preview(category: str, route: str) -> None:
    # Given a category
    # When rendered generically and in full
    # Then a tap opens the same route
    assert render(category, "en", "generic", PARAMS).route == route
    assert render(category, "en", "full", PARAMS).route == route


# --- what each category says -----------------------------------------------------------


def test_reminder_reads_the_same_either_way() -> None:
    # Given the daily reminder
    # When rendered generically and in full
    # Then it asks how the member is, the same both ways
    assert render("reminder", "en", "generic", {}) == Rendered(
        "Daily check-in", "How are you today?", "checkin"
    )
    assert render("reminder", "zh-CN", "full", PARAMS).body == "今天感觉怎么样？"
    assert render("reminder", "en", "full", PARAMS) == render("reminder", "en", "generic", {})


@pytest.mark.parametrize(
    ("lang", "generic", "full"),
    [
        ("en", "You have a new message", "Zhang replied to your check-in"),
        ("zh-CN", "你有一条新消息", "Zhang回复了你的签到"),
    ],
)
def test_peer_message_names_the_sender_only_in_full(lang: Lang, generic: str, full: str) -> None:
    # Given a peer supporter's reply
    # When rendered generically and in full
    # Then only the full text names the sender
    assert render("peer_message", lang, "generic", PARAMS).body == generic
    assert render("peer_message", lang, "full", PARAMS).body == full
    assert "Zhang" not in str(render("peer_message", lang, "generic", PARAMS))


@pytest.mark.parametrize("lang", LANGS)
def test_follow_up_names_the_sender_only_in_full(lang: Lang) -> None:
    # Given a counsellor's follow-up request from "Dr Li"
    params = {"sender_name": "Dr Li"}
    # When rendered generically and in full
    generic = render("follow_up", lang, "generic", params)
    full = render("follow_up", lang, "full", params)
    # Then the generic text does not say who asked; the full one does
    assert "Dr Li" not in generic.title + generic.body
    assert "Dr Li" in full.body


@pytest.mark.parametrize("lang", LANGS)
def test_announcement_full_shows_the_organisation_title(lang: Lang) -> None:
    # Given an organisation's announcement
    # When rendered generically and in full
    generic = render("announcement", lang, "generic", PARAMS)
    full = render("announcement", lang, "full", PARAMS)
    # Then only the full text carries the organisation's title, as its title
    assert full.title == "Exam week opening hours"
    assert "Exam week" not in generic.title + generic.body


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("preview", PREVIEWS)
def test_counsellor_alert_is_always_generic(lang: Lang, preview: Preview) -> None:
    # Given an alert whose caller (wrongly) passes the member's name and words
    params = {"sender_name": "Wang Fang", "title": "I can't go on", "body": "I can't go on"}
    # When rendered with either preview
    done = render("counsellor_alert", lang, preview, params)
    # Then it is the fixed urgent call-back text, nothing of the member in it
    expected = {
        "en": "Urgent: a member needs a call back",
        "zh-CN": "紧急：有同学需要回电",
    }
    assert done == render("counsellor_alert", lang, "generic", {})
    assert done.title == expected[lang]
    assert "Wang" not in done.title + done.body and "go on" not in done.title + done.body


@pytest.mark.parametrize("lang", LANGS)
def test_safety_is_always_generic(lang: Lang) -> None:
    # Given a safety contact, with parameters supplied
    # When rendered in full
    done = render("safety", lang, "full", PARAMS)
    # Then it is the generic text
    assert done == render("safety", lang, "generic", {})
    assert "Zhang" not in done.title + done.body


@pytest.mark.parametrize("category", [c for c in CATEGORIES if c != "counsellor_alert"])
@pytest.mark.parametrize("lang", LANGS)
def test_members_generic_text_never_reveals_counselling_or_risk(category: str, lang: Lang) -> None:
    # Given the text a member's lock screen shows by default (the counsellors' alert
    # goes to counsellors and is checked on its own)
    done = render(category, lang, "generic", PARAMS)
    # When read
    # Then it names no counsellor, therapy, risk or crisis, and no sender or title
    assert not REVEALING.search(done.title + done.body)
    assert not any(value in done.title + done.body for value in PARAMS.values())


# --- full text without its parameters --------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="missing"),
        pytest.param({"sender_name": ""}, id="empty"),
        pytest.param({"sender_name": " \n\t "}, id="blank"),
        pytest.param({"sender_name": None}, id="none"),
        pytest.param({"sender": "Zhang"}, id="wrong-name"),
    ],
)
@pytest.mark.parametrize("lang", LANGS)
def test_full_without_its_parameter_falls_back_to_generic(params: dict, lang: Lang) -> None:
    # Given a full preview whose sender name is missing or blank
    # When rendered
    done = render("peer_message", lang, "full", params)
    # Then the generic text is used rather than a broken sentence
    assert done == render("peer_message", lang, "generic", {})


def test_params_are_inserted_as_plain_text_on_one_line() -> None:
    # Given a sender name with braces, a newline, a bidi override and a NUL
    params = {"sender_name": "{title} Zh\u202eang\n\nX\x00 "}
    # When rendered in full
    done = render("peer_message", "en", "full", params)
    # Then braces stay as typed (no second formatting) and controls are gone
    assert done.body == "{title} Zhang X replied to your check-in"


def test_long_params_are_cut_with_an_ellipsis() -> None:
    # Given an announcement title far longer than a lock screen shows
    params = {"title": "A" * 500}
    # When rendered in full
    done = render("announcement", "en", "full", params)
    # Then it is cut to MAX_PARAM_LENGTH characters, ending in an ellipsis
    assert len(done.title) == MAX_PARAM_LENGTH
    assert done.title.endswith("…")


def test_emoji_joiners_in_names_are_kept() -> None:
    # Given a sender name with a zero-width joiner emoji sequence
    name = "Li \U0001f469\u200d\U0001f4bb"
    # When rendered in full
    done = render("peer_message", "en", "full", {"sender_name": name})
    # Then the name arrives whole
    assert done.body.startswith(name + " ")


# --- locales ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "lang"),
    [
        ("zh-CN", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-SG", "zh-CN"),
        ("zh_CN", "zh-CN"),
        ("ZH-cn", "zh-CN"),
        ("en", "en"),
        ("en-GB", "en"),
        ("en-US", "en"),
        ("fr-FR", "en"),
        ("es-419", "en"),
        ("zh-TW", "en"),
        ("zh-Hant-HK", "en"),
        ("zhx", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_locale_of_reads_simplified_chinese_else_english(tag: str | None, lang: Lang) -> None:
    # Given a BCP 47 tag as apps send it
    # When mapped to a text locale
    # Then Simplified Chinese tags read zh-CN and everything else English
    assert locale_of(tag) == lang


@pytest.mark.parametrize("tag", ["fr-FR", "ja", "", None])
def test_other_locales_render_in_english(tag: str | None) -> None:
    # Given a locale with no text of its own
    # When a reminder is rendered
    # Then it is the English text
    assert render("reminder", tag, "generic", {}) == render("reminder", "en", "generic", {})


@pytest.mark.parametrize("tag", ["zh-Hans-CN", "zh"])
def test_chinese_tags_render_in_chinese(tag: str) -> None:
    # Given a Simplified Chinese tag other than zh-CN
    # When a reminder is rendered
    # Then it is the Chinese text
    assert render("reminder", tag, "generic", {}).body == "今天感觉怎么样？"


# --- refusals --------------------------------------------------------------------------


def test_unknown_category_is_refused() -> None:
    # Given a category the server has no words for
    # When rendered
    # Then it is refused rather than sent blank
    with pytest.raises(ValueError, match="category"):
        render("marketing", "en", "generic", {})


def test_unknown_preview_is_refused() -> None:
    # Given a preview setting that is neither generic nor full
    # When rendered
    # Then it is refused
    with pytest.raises(ValueError, match="preview"):
        render("reminder", "en", "everything", {})  # type: ignore[arg-type]


def test_preview_defaults_to_generic() -> None:
    # Given no preview choice
    # When a peer message is rendered
    # Then it is the generic text
    assert render("peer_message", "en", params=PARAMS).body == "You have a new message"


# --- safe messaging --------------------------------------------------------------------


def test_no_template_uses_denied_words() -> None:
    # Given every title and body of every template, both locales, both previews
    texts = all_texts()
    assert len(texts) >= 2 * 2 * len(CATEGORIES)
    # When scanned for the deny list
    hits = [
        (category, lang, preview, text)
        for category, lang, preview, text in texts
        if DENIED_EN.search(text) or any(word in text for word in DENIED_ZH)
    ]
    # Then none uses them
    assert hits == []


@pytest.mark.parametrize(
    "text",
    ["He may kill time", "suicidal", "Self-harm", "self harm", "他想自杀", "不想活，想死"],
)
def test_deny_list_scan_would_catch_a_denied_word(text: str) -> None:
    # Given text that uses a denied word
    # When scanned the way the templates are
    # Then the scan catches it (so a clean scan means something)
    assert DENIED_EN.search(text) or any(word in text for word in DENIED_ZH)


def test_template_placeholders_are_only_known_parameters() -> None:
    # Given every template
    names = {
        name
        for _, _, _, text in all_texts()
        for _, name, _, _ in Formatter().parse(text)
        if name is not None
    }
    # When their placeholders are listed
    # Then they are the documented parameters, and generic texts have none
    assert names == {"sender_name", "title", "time"}
    generic = [text for _, _, preview, text in all_texts() if preview == "generic"]
    assert not any("{" in text for text in generic)


def test_an_appointment_reminder_names_the_local_time_only_in_full() -> None:
    # Given a reminder of an appointment at Wed 14:00
    # When rendered generically and in full
    generic = render("appointment_reminder", "en", "generic", PARAMS)
    full = render("appointment_reminder", "zh-CN", "full", {"time": "周三 14:00"})
    # Then only the full text has the time, and neither says what kind of appointment
    assert "14:00" not in generic.body
    assert full.body == "你的预约在周三 14:00"
