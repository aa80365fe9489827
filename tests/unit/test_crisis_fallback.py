"""Crisis lines never fail: the bundled directory serves every region, and when it cannot,
a static list (12356, 988, Samaritans 116 123) takes its place and the team is told.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.identity import Identity
from shared.resources import for_member, loader
from shared.resources.directory import view
from shared.resources.fallback import CRISIS_MESSAGES, fallback_lang, static_crisis_lines
from shared.resources.loader import bundled_resources
from shared.resources.model import LANGS
from shared.resources.safety import CrisisResources, crisis_message, crisis_resources
from tests.support.fakes import member

# Monday 4 May 2026, 03:00 in Shanghai.
NIGHT = dt.datetime(2026, 5, 3, 19, 0, tzinfo=dt.UTC)
STATIC_IDS = {"cn-12356", "us-988", "gb-ie-samaritans"}


class RecordingMetrics:
    def __init__(self) -> None:
        self.added: list[tuple[str, Any, float]] = []

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        self.added.append((name, unit, value))


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> RecordingMetrics:
    recording = RecordingMetrics()
    monkeypatch.setattr(for_member, "metrics", recording)
    return recording


@pytest.fixture
def broken_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The bundled directory replaced by a folder holding one unreadable data file."""
    (tmp_path / "cn.json").write_text('{"resources": [', encoding="utf-8")
    monkeypatch.setattr(loader, "BUNDLED_DIR", tmp_path)
    bundled_resources.cache_clear()
    try:
        yield tmp_path
    finally:
        bundled_resources.cache_clear()  # the real directory loads again on next use


def someone(region: str | None = "CN-SC", locale: str | None = "zh-CN") -> Identity:
    return member("user-a").model_copy(update={"region": region, "locale": locale})


def region_codes() -> list[str]:
    return sorted({region for r in bundled_resources() for region in r.regions})


def assert_crisis_shape(lines: dict[str, Any]) -> None:
    """The shape of GET /resources/crisis, with at least one crisis line to call."""
    parsed = CrisisResources.model_validate(lines)
    assert parsed.resources
    assert all(r.crisis and r.contact.phone for r in parsed.resources)


# --- the bundled directory serves every region -------------------------------------------


def test_the_bundled_directory_has_regions_to_check() -> None:
    # Given the bundled directory / When its region codes are listed / Then there are some
    assert {"CN", "US", "GB", "IE"} <= set(region_codes())


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("region", region_codes())
def test_every_region_of_the_bundled_directory_gets_its_own_crisis_lines(
    region: str, lang: Any
) -> None:
    # Given a region code that some bundled entry serves
    # When the crisis list is built from the bundled directory at night
    lines = crisis_resources(bundled_resources(), region, lang, NIGHT, fallback_region=None)
    # Then it holds crisis lines without borrowing another region's, in the language asked
    assert lines.resources, region
    assert lines.message == crisis_message(lang)
    assert all(view.crisis for view in lines.resources)


@pytest.mark.parametrize("region", [*region_codes(), None, "FR", "ZZ-99", "not a region"])
def test_member_crisis_lines_come_from_the_directory_without_fallback(
    region: str | None, recorded: RecordingMetrics
) -> None:
    # Given a member of any region the directory serves, of none, or of an unknown one
    # When their crisis lines are built
    lines = for_member.crisis_lines(someone(region), NIGHT)
    # Then the directory answered: the shape of GET /resources/crisis, and no fallback
    assert_crisis_shape(lines)
    assert recorded.added == []


# --- the static fallback -------------------------------------------------------------------


def test_a_broken_directory_yields_the_static_lines_and_a_metric(
    broken_directory: Path, recorded: RecordingMetrics
) -> None:
    # Given a bundled directory that cannot be read (loading it raises)
    with pytest.raises(ValueError):
        bundled_resources()
    # When a member at risk gets their crisis lines
    lines = for_member.crisis_lines(someone("CN-SC", "zh-CN"), NIGHT)
    # Then they are the static lines, 12356 first for China, and the fallback is counted
    assert_crisis_shape(lines)
    assert [r["id"] for r in lines["resources"]] == ["cn-12356", "us-988", "gb-ie-samaritans"]
    assert lines["lang"] == "zh-CN"
    assert recorded.added == [("CrisisLinesFallback", "Count", 1)]


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(RuntimeError("user-a: disk on fire"), id="runtime-error"),
        pytest.param(KeyError("zh-CN"), id="key-error"),
        pytest.param(MemoryError(), id="memory-error"),
    ],
)
def test_any_error_while_building_the_list_falls_back(
    monkeypatch: pytest.MonkeyPatch, recorded: RecordingMetrics, failure: Exception
) -> None:
    # Given a directory that fails in any way
    def explode() -> Any:
        raise failure

    monkeypatch.setattr(loader, "bundled_resources", explode)
    # When a member's crisis lines are built / Then the static lines come back, never the error
    lines = for_member.crisis_lines(someone("US", "en-US"), NIGHT)
    assert_crisis_shape(lines)
    assert lines["resources"][0]["id"] == "us-988"
    assert len(recorded.added) == 1


def test_an_empty_crisis_list_falls_back(
    monkeypatch: pytest.MonkeyPatch, recorded: RecordingMetrics
) -> None:
    # Given a directory without a single crisis line
    monkeypatch.setattr(loader, "bundled_resources", lambda: ())
    # When a member's crisis lines are built
    lines = for_member.crisis_lines(someone("GB", "en-GB"), NIGHT)
    # Then the static lines fill in, Samaritans first for the UK
    assert lines["resources"][0]["id"] == "gb-ie-samaritans"
    assert len(recorded.added) == 1


def test_the_fallback_survives_a_failing_metric_and_logger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a broken directory, and metrics and a logger that fail too
    class Failing:
        def __getattr__(self, name: str) -> Any:
            raise RuntimeError("no telemetry")

    monkeypatch.setattr(loader, "bundled_resources", lambda: 1 / 0)
    monkeypatch.setattr(for_member, "metrics", Failing())
    monkeypatch.setattr(for_member, "logger", Failing())
    # When crisis lines are built / Then the member still gets them
    assert_crisis_shape(for_member.crisis_lines(someone(), NIGHT))


def test_the_fallback_log_names_no_member_and_no_error_text(
    monkeypatch: pytest.MonkeyPatch, recorded: RecordingMetrics
) -> None:
    # Given a failure whose message holds a member's id
    logged: list[tuple[str, dict[str, Any]]] = []

    class Logger:
        def error(self, message: str, **kwargs: Any) -> None:
            logged.append((message, kwargs))

    def explode() -> Any:
        raise RuntimeError("user-a wrote: I can't go on")

    monkeypatch.setattr(loader, "bundled_resources", explode)
    monkeypatch.setattr(for_member, "logger", Logger())
    # When crisis lines are built
    for_member.crisis_lines(someone(), NIGHT)
    # Then one line is logged with the error's type only
    assert logged == [
        ("crisis lines fell back to the static list", {"extra": {"error_type": "RuntimeError"}})
    ]


@pytest.mark.parametrize(
    ("region", "first"),
    [
        ("CN", "cn-12356"),
        ("CN-GD", "cn-12356"),
        ("US", "us-988"),
        ("IE", "gb-ie-samaritans"),
        (None, "cn-12356"),
        ("FR", "cn-12356"),
    ],
)
def test_static_lines_lead_with_the_members_country(region: str | None, first: str) -> None:
    # Given a member's region / When the static list is made / Then their country's line leads
    lines = static_crisis_lines(region, "en")
    assert lines["resources"][0]["id"] == first
    assert {r["id"] for r in lines["resources"]} == STATIC_IDS


@pytest.mark.parametrize(
    ("locale", "lang"),
    [(None, "zh-CN"), ("zh-CN", "zh-CN"), ("zh-Hant-TW", "zh-CN"), ("en-GB", "en"), ("fr", "en")],
)
def test_static_lines_speak_the_language_the_directory_would(locale: str | None, lang: str) -> None:
    # Given a member's locale / When the static list is made
    lines = static_crisis_lines("CN", locale)
    # Then it is in the language the directory would pick, with the same wording
    assert (fallback_lang(locale), lines["lang"]) == (lang, lang)
    assert lines["message"] == crisis_message(lang)  # type: ignore[arg-type]
    assert all(r["name"] and r["description"] for r in lines["resources"])


@pytest.mark.parametrize("lang", LANGS)
def test_static_lines_match_their_entries_in_the_bundled_directory(lang: Any) -> None:
    # Given the static lines and the bundled directory
    static = {r["id"]: r for r in static_crisis_lines("CN", lang)["resources"]}
    bundled = {r.id: r for r in bundled_resources() if r.id in STATIC_IDS}
    # When each is compared with the view of its bundled entry
    # Then they agree on everything, open_now included (at a fixed hour)
    assert set(static) == set(bundled) == STATIC_IDS
    for rid, entry in bundled.items():
        assert static[rid] == view(entry, lang, NIGHT).model_dump(mode="json"), rid


def test_one_wording_serves_the_directory_and_the_fallback() -> None:
    # Given the safe-messaging wording of both / Then it is the same text
    assert {lang: crisis_message(lang) for lang in LANGS} == CRISIS_MESSAGES
