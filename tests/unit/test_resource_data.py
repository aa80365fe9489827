"""The bundled directory (data/resources/): it loads, matches its schema and docs/MISSION.md."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from shared.resources.directory import crisis_short_list, search
from shared.resources.loader import BUNDLED_DIR, bundled_resources, load_directory, schema
from shared.resources.model import Resource

# Monday 4 May 2026, 03:00 in Shanghai: the hour a crisis list matters most.
NIGHT = datetime(2026, 5, 3, 19, 0, tzinfo=UTC)


def by_id() -> dict[str, Resource]:
    return {resource.id: resource for resource in bundled_resources()}


def test_committed_schema_matches_the_model() -> None:
    # Given the committed data/resources/schema.json
    committed = json.loads((BUNDLED_DIR / "schema.json").read_text(encoding="utf-8"))
    # When compared with the schema generated from the model
    # Then they are equal (regenerate with shared.resources.loader.write_schema if not)
    assert committed == schema()


def test_every_bundled_entry_loads_without_errors() -> None:
    # Given the bundled data files / When loaded / Then there is no error and nothing is lost
    resources, errors = load_directory(BUNDLED_DIR)
    assert errors == []
    assert len(resources) == len(bundled_resources()) > 0


def test_bundled_data_files_are_the_expected_ones() -> None:
    # Given the data folder / When listed / Then it holds China, international and the schema
    assert sorted(p.name for p in BUNDLED_DIR.glob("*.json")) == [
        "cn.json",
        "international.json",
        "schema.json",
    ]


def test_every_entry_is_public_verified_and_sourced_over_https() -> None:
    # Given every bundled entry / When inspected
    # Then each is public, carries a verification date up to today and an https source
    today = datetime.now(UTC).date()
    for resource in bundled_resources():
        assert resource.org_id is None, resource.id
        assert date(2025, 1, 1) <= resource.last_verified <= today, resource.id
        assert resource.source.startswith("https://"), resource.id


def test_the_directory_holds_exactly_the_lines_mission_md_confirms() -> None:
    # Given the bundled entries / When their numbers are listed
    numbers = sorted(resource.contact.phone or "" for resource in bundled_resources())
    # Then they are the confirmed lines only (12355 twice: national and Guangdong)
    assert numbers == [
        "116123",
        "12320",
        "12338",
        "12355",
        "12355",
        "12356",
        "400-161-9995",
        "988",
    ]


def test_unconfirmed_numbers_stay_out() -> None:
    # Given MISSION.md: numbers we could not confirm (such as 96111) stay out
    # When the directory is searched for 96111 / Then nothing is found
    assert search(bundled_resources(), region="CN-SC", q="96111", at=NIGHT) == []


@pytest.mark.parametrize(
    ("rid", "crisis"),
    [
        ("cn-12356", True),
        ("cn-12355", True),
        ("cn-gd-12355", True),
        ("cn-hope24", True),
        ("us-988", True),
        ("gb-ie-samaritans", True),
        ("cn-12320", False),
        ("cn-12338", False),
    ],
)
def test_crisis_flags_follow_the_mission(rid: str, crisis: bool) -> None:
    # Given a bundled line / When read / Then it is a crisis line exactly when MISSION says so
    assert by_id()[rid].crisis is crisis


@pytest.mark.parametrize("rid", ["cn-12356", "cn-12355", "cn-12320", "cn-12338", "cn-hope24"])
def test_chinese_lines_do_not_promise_24_hours_they_cannot_confirm(rid: str) -> None:
    # Given a Chinese line whose hours vary by city or are still to be verified
    hours = by_id()[rid].hours
    # When read / Then the mode is "varies" with a note in both languages
    assert hours.mode == "varies"
    assert hours.note is not None and set(hours.note) == {"zh-CN", "en"}


def test_guangdong_12355_is_24_7_and_for_guangdong_only() -> None:
    # Given the Guangdong 12355 entry / When read / Then it is always open, for CN-GD only
    guangdong = by_id()["cn-gd-12355"]
    assert (guangdong.hours.mode, guangdong.regions) == ("always", ["CN-GD"])


def test_women_rights_line_is_for_women() -> None:
    # Given the 12338 entry / When read / Then its audience is women
    assert by_id()["cn-12338"].audiences == ["women"]


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("CN-SC", {"cn-12356", "cn-12355", "cn-hope24"}),
        ("CN-GD", {"cn-gd-12355", "cn-12356", "cn-12355", "cn-hope24"}),
        ("US", {"us-988"}),
        ("GB", {"gb-ie-samaritans"}),
        ("IE", {"gb-ie-samaritans"}),
    ],
)
def test_every_served_region_has_crisis_lines(region: str, expected: set[str]) -> None:
    # Given the bundled directory / When the crisis short list for a region is built at night
    short_list = crisis_short_list(bundled_resources(), region, NIGHT)
    # Then it holds that region's crisis lines
    assert {resource.id for resource in short_list} == expected


def test_guangdong_members_see_the_24_7_line_first_at_night() -> None:
    # Given a member in Guangdong at 03:00 / When the crisis short list is built
    # Then the Guangdong 24/7 line leads (it is the only one known to be open)
    assert crisis_short_list(bundled_resources(), "CN-GD", NIGHT)[0].id == "cn-gd-12355"
