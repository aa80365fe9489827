"""Lexicon risk engine for free text: hits, negation, quoting, clauses and the data file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

import shared
from shared.lexicon import (
    LEXICON_FILE,
    LexiconHit,
    assess_text,
    load_lexicon,
    scan,
)
from shared.risk import RISK_LEVELS, Risk, RiskLevel

METHOD_WORDS = (
    "割腕",
    "上吊",
    "安眠药",
    "跳楼",
    "烧炭",
    "吞药",
    "pills",
    "rope",
    "jump off",
    "overdose",
    "hang myself",
    "wrist",
)


def level_of(text: str) -> RiskLevel:
    return assess_text(text).level


def reasons_of(text: str) -> list[str]:
    return assess_text(text).reasons


def bundled() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))
    return document


def load_variant(tmp_path: Path, document: dict[str, Any]) -> None:
    path = tmp_path / "risk_terms.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    load_lexicon(path)


# --- Plain hits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level", "reason"),
    [
        ("I am going to kill myself tonight", "imminent", "lexicon:en_going_to_kill_myself"),
        ("This is goodbye.", "imminent", "lexicon:en_this_is_goodbye"),
        ("我今晚就去死", "imminent", "lexicon:zh_jin_wan_jiu_qu_si"),
        ("这是我最后一次写日记", "imminent", "lexicon:zh_zui_hou_ri_ji"),
        ("我写好了遗书", "imminent", "lexicon:zh_yi_shu"),
        ("Some days I want to die", "high", "lexicon:en_want_to_die"),
        ("Everyone says I'd be better off dead", "high", "lexicon:en_better_off_dead"),
        ("I keep thinking about suicide", "high", "lexicon:en_suicide"),
        ("I hurt myself again last week", "high", "lexicon:en_hurt_myself"),
        ("我想死", "high", "lexicon:zh_xiang_si"),
        ("最近总想到自杀", "high", "lexicon:zh_zi_sha"),
        ("我又自残了", "high", "lexicon:zh_zi_can"),
        ("活着没意思", "high", "lexicon:zh_huo_zhe_mei_yi_si"),
        ("Everything feels hopeless", "watch", "lexicon:en_hopeless"),
        ("I'm a burden to my parents", "watch", "lexicon:en_burden"),
        ("Nobody would miss me", "watch", "lexicon:en_nobody_would_miss_me"),
        ("我真的很绝望", "watch", "lexicon:zh_jue_wang"),
        ("我快撑不下去了", "watch", "lexicon:zh_cheng_bu_xia_qu"),
        ("我是个累赘", "watch", "lexicon:zh_lei_zhui"),
        ("没人在乎我", "watch", "lexicon:zh_mei_ren_zai_hu"),
    ],
)
def test_a_phrase_of_each_level_is_a_hit(text: str, level: RiskLevel, reason: str) -> None:
    # Given a text with one risk phrase / When assessed
    risk = assess_text(text)
    # Then the entry's level is reached and its reason reported
    assert risk.level == level
    assert reason in risk.reasons


@pytest.mark.parametrize(
    "text",
    [
        "I had a good day at school.",
        "今天和同学去图书馆了，很开心。",
        "I want to diet before summer",
        "想死你了，周末见！",
        "学校下周有预防自杀讲座",
        "She is a hopeless romantic",
    ],
)
def test_ordinary_text_and_look_alikes_are_not_hits(text: str) -> None:
    # Given everyday text, a longer word (diet) or an exclusion (想死你 "miss you so much")
    # When assessed / Then nothing is found
    assert assess_text(text) == Risk(level="none", reasons=[])


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "。，"])
def test_empty_or_blank_text_is_level_none(text: str) -> None:
    # Given no words / When assessed / Then there is no risk
    assert assess_text(text) == Risk(level="none", reasons=[])


@pytest.mark.parametrize(
    "text",
    ["I WANT TO DIE", "i Want To Die", "Kill Myself", "I feel HOPELESS", "Ｉ ｗａｎｔ ｔｏ ｄｉｅ"],
)
def test_english_is_matched_case_insensitively_and_in_full_width(text: str) -> None:
    # Given upper, mixed or full-width letters / When assessed / Then it is still a hit
    assert level_of(text) != "none"


@pytest.mark.parametrize("text", ["I cant go on", "im a burden", "I dont want to live"])
def test_english_apostrophes_may_be_left_out(text: str) -> None:
    # Given texting-style spelling without apostrophes / When assessed / Then it is a hit
    assert level_of(text) != "none"


# --- Negation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to die",
        "I do not want to die",
        "I would never kill myself",
        "I'm not suicidal",
        "I'm not going to kill myself",
        "I no longer feel hopeless",
        "I don’t want to die",  # curly apostrophe
        "我不会自杀",
        "我没有想死",
        "我不想死",
        "我从不伤害自己",
        "我并不绝望",
        "我不再想自杀了",
    ],
)
def test_negation_just_before_the_phrase_cancels_it(text: str) -> None:
    # Given a negation cue within the window before the phrase, in the same clause
    # When assessed
    risk = assess_text(text)
    # Then the hit is negated and does not count
    assert risk == Risk(level="none", reasons=[])
    assert scan(text) and all(hit.negated for hit in scan(text))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I don't know anymore. I want to die", "lexicon:en_want_to_die"),
        ("I'm not okay, I want to die", "lexicon:en_want_to_die"),
        ("I don't think anyone knows that I want to die", "lexicon:en_want_to_die"),
        ("我不是开玩笑，我想死", "lexicon:zh_xiang_si"),
        ("我不会说出来但是真的想死", "lexicon:zh_xiang_si"),
        ("我不会！想死", "lexicon:zh_xiang_si"),
    ],
)
def test_negation_outside_the_window_or_in_another_clause_does_not_cancel(
    text: str, reason: str
) -> None:
    # Given a negation cue more than the window away, or before a clause end
    # When assessed
    # Then the phrase still counts
    assert reasons_of(text) == [reason]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("我不想活了", "lexicon:zh_bu_xiang_huo"),
        ("不想活", "lexicon:zh_bu_xiang_huo"),
        ("我活不下去了", "lexicon:zh_bu_xiang_huo"),
        ("活着没有意义", "lexicon:zh_huo_zhe_mei_yi_si"),
        ("没有人关心我", "lexicon:zh_mei_ren_zai_hu"),
        ("I can't go on anymore", "lexicon:en_cant_go_on"),
        ("I don't want to live anymore", "lexicon:en_dont_want_to_live"),
        ("I no longer want to live", "lexicon:en_dont_want_to_live"),
        ("There's no way out", "lexicon:en_hopeless"),
        ("No one would miss me", "lexicon:en_nobody_would_miss_me"),
    ],
)
def test_phrases_holding_a_negation_word_are_hits_in_themselves(text: str, reason: str) -> None:
    # Given a first-person risk phrase that contains a negation word
    # When assessed
    # Then its own negation word does not cancel it
    assert reasons_of(text) == [reason]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("why not just kill myself", "lexicon:en_kill_myself"),
        ("I've never felt so hopeless", "lexicon:en_hopeless"),
        ("Not gonna lie I want to die", "lexicon:en_want_to_die"),
        ("我真的受不了想死", "lexicon:zh_xiang_si"),
        ("忍不住想死", "lexicon:zh_xiang_si"),
        ("从没这么绝望过", "lexicon:zh_jue_wang"),
    ],
)
def test_words_that_only_look_like_negation_do_not_cancel(text: str, reason: str) -> None:
    # Given a pseudo-negation (why not, never felt so, 受不了, 忍不住, 从没这么) before a phrase
    # When assessed
    # Then the phrase still counts
    assert reasons_of(text) == [reason]


def test_a_risk_phrase_before_another_is_not_read_as_its_negation() -> None:
    # Given 不想活了 (which contains 不) right before 想死
    # When assessed
    # Then both phrases count
    assert reasons_of("不想活了想死") == ["lexicon:zh_bu_xiang_huo", "lexicon:zh_xiang_si"]


def test_double_negation_reads_as_negated() -> None:
    # Given "it is not that I don't want to live" (我并不是不想活)
    # When assessed
    # Then the phrase is cancelled by the negation before it
    assert level_of("我并不是不想活") == "none"


# --- Quoting and reporting -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "“想死”这个词太重了",
        '"I want to die" the song says',
        "the song says I want to die",
        "'I want to die' is a line I read",
        "《不想活了》是一首歌",
        "「自杀」这个话题",
        "『绝望』是一本书",
        "‘hopeless’ is how they described it",
        "歌词里写着想死",
        "他说他想死",
        "电影里的主角想自杀",
        "In the movie she screams I want to die",
    ],
)
def test_quoted_or_reported_phrases_do_not_count(text: str) -> None:
    # Given a phrase inside quotation marks, or a clause with a reporting cue
    # When assessed
    # Then the hit is marked quoted and the text is level none
    assert level_of(text) == "none"
    assert scan(text) and all(hit.quoted for hit in scan(text))


@pytest.mark.parametrize(
    "text",
    [
        "“想死”这个词很重，可我真的想死",
        "the song says I want to die, but honestly I want to die",
        '"I want to die" is a lyric. I want to die',
    ],
)
def test_a_quote_in_one_clause_does_not_hide_a_hit_in_another(text: str) -> None:
    # Given a quoted phrase and the same phrase said plainly in another clause
    # When assessed
    # Then the plain one counts
    assert level_of(text) == "high"
    assert [hit.quoted for hit in scan(text)] == [True, False]


@pytest.mark.parametrize("text", ["我跟他说我想死", "我对她说我想死", "“我今天很累”我想死"])
def test_telling_someone_or_a_closed_quote_elsewhere_is_not_reporting(text: str) -> None:
    # Given 跟他说 (told him), 对她说 (told her) or a quote that closes before the phrase
    # When assessed
    # Then the first-person phrase counts
    assert reasons_of(text) == ["lexicon:zh_xiang_si"]


@pytest.mark.parametrize("text", ["“我想死", '"I want to die', 'I want to die"'])
def test_an_unclosed_quotation_mark_hides_nothing(text: str) -> None:
    # Given a quotation mark that never closes / When assessed / Then the phrase counts
    assert level_of(text) == "high"


def test_a_quotation_does_not_run_across_lines() -> None:
    # Given marks on two different lines with the phrase between them
    text = '"first line\nI want to die\nlast line"'
    # When assessed / Then the phrase counts
    assert level_of(text) == "high"


def test_apostrophes_are_not_taken_for_quotation_marks() -> None:
    # Given contractions and a possessive around the phrase
    text = "My friends' advice didn't help, I'm sure I want to die and that's it"
    # When assessed / Then the phrase counts
    assert reasons_of(text) == ["lexicon:en_want_to_die"]


# --- Clauses, whitespace, languages ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("want   to\tdie", "high"),
        ("want to\ndie", "none"),
        ("我\n想死", "high"),
        ("想\n死", "none"),
        ("  I want to die  \r\n", "high"),
        ("我不会。想死", "high"),
        ("我不会；想死", "high"),
    ],
)
def test_whitespace_and_clause_ends(text: str, level: RiskLevel) -> None:
    # Given spaces, tabs and newlines in and around phrases, full-width punctuation
    # When assessed
    # Then spaces join words, a newline ends a clause (and breaks a phrase)
    assert level_of(text) == level


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("今天好累 and honestly I want to die", ["lexicon:en_want_to_die"]),
        ("I'm fine 但是我不想活了", ["lexicon:zh_bu_xiang_huo"]),
        ("我真的want to die", ["lexicon:en_want_to_die"]),
        ("I feel hopeless，我想死", ["lexicon:en_hopeless", "lexicon:zh_xiang_si"]),
    ],
)
def test_mixed_language_text_finds_phrases_of_both_languages(text: str, reasons: list[str]) -> None:
    # Given Chinese and English in one text / When assessed / Then each language's hits count
    assert reasons_of(text) == reasons


def test_highest_level_wins_and_reasons_are_sorted() -> None:
    # Given watch, high and imminent phrases in one entry
    text = "我很绝望。I want to die. This is goodbye."
    # When assessed
    risk = assess_text(text)
    # Then imminent wins and every reason is listed alphabetically
    assert risk == Risk(
        level="imminent",
        reasons=["lexicon:en_this_is_goodbye", "lexicon:en_want_to_die", "lexicon:zh_jue_wang"],
    )


def test_repeated_phrases_give_one_reason_each() -> None:
    # Given the same entries hit several times
    text = "我想死。我真的想死！I'm a burden. I am a burden"
    # When assessed
    # Then each entry is reported once
    assert reasons_of(text) == ["lexicon:en_burden", "lexicon:zh_xiang_si"]


def test_an_imminent_phrase_also_reports_the_broader_entries_it_contains() -> None:
    # Given "I am going to kill myself tonight"
    # When assessed
    # Then the intent, the timing and the plain ideation entries are all reported
    assert reasons_of("I am going to kill myself tonight") == [
        "lexicon:en_going_to_kill_myself",
        "lexicon:en_kill_myself",
        "lexicon:en_kill_myself_tonight",
    ]


def test_negated_and_effective_hits_of_one_entry_give_its_level() -> None:
    # Given the same phrase negated in one clause and plain in the next
    text = "I don't want to die. I want to die"
    # When scanned and assessed
    # Then scan shows both and the assessment counts the plain one
    assert [hit.negated for hit in scan(text)] == [True, False]
    assert reasons_of(text) == ["lexicon:en_want_to_die"]


# --- scan and privacy ------------------------------------------------------------------


def test_scan_returns_every_hit_in_text_order_with_its_flags() -> None:
    # Given a negated, a quoted and a plain phrase
    text = "I don't want to die. “想死”这个词. 我是个累赘"
    # When scanned
    hits = scan(text)
    # Then all three come back, in order, with how each was read
    assert hits == [
        LexiconHit("en_want_to_die", "high", "en", negated=True, quoted=False),
        LexiconHit("zh_xiang_si", "high", "zh", negated=False, quoted=True),
        LexiconHit("zh_lei_zhui", "watch", "zh", negated=False, quoted=False),
    ]
    assert [hit.effective for hit in hits] == [False, False, True]


def test_results_carry_entry_ids_never_the_matched_text() -> None:
    # Given a text with a hit
    text = "Honestly I want to die"
    # When scanned and assessed
    hit_fields = {field.name for field in dataclasses.fields(LexiconHit)}
    risk = assess_text(text)
    # Then hits hold only the id, level, language and flags, and nothing holds the phrase
    assert hit_fields == {"entry_id", "level", "lang", "negated", "quoted"}
    assert "want to die" not in repr(scan(text)) + risk.model_dump_json()


def test_a_hit_at_the_very_end_of_a_long_text_is_found() -> None:
    # Given about 20,000 characters of everyday text in both languages, then one phrase
    filler = "今天上了数学课，然后去食堂吃饭。I went to the library and studied. " * 400
    text = filler[:19_990] + "我不想活了"
    # When assessed
    risk = assess_text(text)
    # Then the final phrase is found
    assert len(text) >= 19_990
    assert risk == Risk(level="high", reasons=["lexicon:zh_bu_xiang_huo"])


@pytest.mark.parametrize(
    "text",
    [
        " 'x" * 7_000 + " I want to die",
        "“" * 20_000 + "想死",
        "不想死" * 7_000,
        "I want to die. 我想死。" * 1_000,
    ],
)
def test_adversarial_long_texts_are_assessed(text: str) -> None:
    # Given long texts of unclosed quotes or of nothing but phrases
    # When assessed
    risk = assess_text(text)
    # Then an answer comes back (the work stays linear in the length)
    assert risk.level in ("none", "high")


# --- The data file ---------------------------------------------------------------------


def test_the_bundled_lexicon_loads_and_sits_next_to_the_code() -> None:
    # Given the code root (the folder holding shared/)
    root = Path(shared.__file__).resolve().parents[1]
    # When the default lexicon is loaded
    lexicon = load_lexicon()
    # Then it comes from data/lexicon/ there, has a version and is cached
    assert root / "data" / "lexicon" / "risk_terms.json" == LEXICON_FILE
    assert lexicon.version
    assert load_lexicon() is lexicon


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("level", ["watch", "high", "imminent"])
def test_every_language_has_entries_at_every_level(lang: str, level: str) -> None:
    # Given the bundled lexicon / When its entries are counted / Then none is missing
    entries = load_lexicon().entries
    assert any(e.lang == lang and e.level == level for e in entries)


def test_every_pattern_alone_is_a_hit_of_its_entry() -> None:
    # Given each pattern of each entry on its own
    lexicon = load_lexicon()
    missed = []
    for entry in lexicon.entries:
        for pattern in entry.patterns:
            # When assessed
            risk = assess_text(pattern)
            reached = RISK_LEVELS.index(risk.level) >= RISK_LEVELS.index(entry.level)
            if not reached or f"lexicon:{entry.id}" not in risk.reasons:
                missed.append((entry.id, pattern))
    # Then it reaches its entry's level with its entry's reason
    assert missed == []


def test_no_pattern_names_a_method() -> None:
    # Given a blocklist of method words (safe messaging: no method details)
    phrases = [
        phrase
        for entry in load_lexicon().entries
        for phrase in (*entry.patterns, *entry.exclusions)
    ]
    # When every phrase of the lexicon is checked
    found = [(word, p) for p in phrases for word in METHOD_WORDS if word in p]
    # Then none appears
    assert found == []


def test_bad_level_is_reported_with_the_entry(tmp_path: Path) -> None:
    # Given the bundled file with one entry's level misspelt
    document = bundled()
    document["entries"][0]["level"] = "severe"
    entry_id = document["entries"][0]["id"]
    # When loaded / Then the error names the entry index, id and field
    with pytest.raises(ValueError, match=rf"entries\[0\] \({entry_id}\)\.level"):
        load_variant(tmp_path, document)


def test_pattern_with_punctuation_or_capitals_is_rejected(tmp_path: Path) -> None:
    # Given a pattern that could never match normalised text
    document = bundled()
    document["entries"][1]["patterns"] = ["Kill Myself."]
    entry_id = document["entries"][1]["id"]
    # When loaded / Then the error names the entry and the pattern
    with pytest.raises(ValueError, match=rf"\({entry_id}\): patterns\[0\]"):
        load_variant(tmp_path, document)


def test_a_pattern_in_two_entries_is_rejected(tmp_path: Path) -> None:
    # Given a copy of one entry's pattern added to another entry of the same language
    document = bundled()
    first, second = document["entries"][0], document["entries"][1]
    second["patterns"].append(first["patterns"][0])
    # When loaded / Then both entries are named
    with pytest.raises(ValueError, match=rf"entry {second['id']}: .* also in {first['id']}"):
        load_variant(tmp_path, document)


def test_unreadable_file_is_a_value_error(tmp_path: Path) -> None:
    # Given a file that is not JSON
    path = tmp_path / "risk_terms.json"
    path.write_text("{", encoding="utf-8")
    # When loaded / Then a ValueError says so
    with pytest.raises(ValueError, match="unreadable JSON"):
        load_lexicon(path)


def test_a_custom_lexicon_can_be_passed_in(tmp_path: Path) -> None:
    # Given a lexicon with a single watch entry
    document = bundled()
    document["entries"] = [
        {"id": "en_test_phrase", "lang": "en", "level": "watch", "patterns": ["blue moon"]}
    ]
    path = tmp_path / "risk_terms.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    lexicon = load_lexicon(path)
    # When texts are assessed with it
    # Then only its entry counts
    assert assess_text("Once in a Blue Moon", lexicon) == Risk(
        level="watch", reasons=["lexicon:en_test_phrase"]
    )
    assert assess_text("I want to die", lexicon).level == "none"
