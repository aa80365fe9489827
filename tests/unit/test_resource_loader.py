"""Loading directory files: each problem reported once, with the file, entry and field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from shared.resources.loader import load_directory, write_schema
from shared.resources.model import Resource
from tests.support.resources import raw_entry

TODAY = date(2026, 11, 23)


def write(folder: Path, name: str, *entries: dict[str, Any]) -> None:
    (folder / name).write_text(json.dumps({"resources": list(entries)}), encoding="utf-8")


def load(folder: Path) -> tuple[list[str], list[str]]:
    resources, errors = load_directory(folder, today=TODAY)
    return [resource.id for resource in resources], errors


def test_valid_files_load_every_entry_in_file_name_order(tmp_path: Path) -> None:
    # Given two valid files
    write(tmp_path, "b.json", raw_entry("b-line"))
    write(tmp_path, "a.json", raw_entry("a-line"), raw_entry("a-other"))
    # When the folder is loaded
    # Then every entry is returned, files in name order, with no errors
    assert load(tmp_path) == (["a-line", "a-other", "b-line"], [])


def test_bad_phone_is_reported_with_file_index_id_and_field(tmp_path: Path) -> None:
    # Given an entry whose phone is not a valid number, after a good one
    write(
        tmp_path,
        "cn.json",
        raw_entry("good-line"),
        raw_entry("bad-line", contact={"phone": "12-34"}),
    )
    # When loaded
    loaded, errors = load(tmp_path)
    # Then the good entry loads and the bad one is reported at contact.phone
    assert loaded == ["good-line"]
    assert len(errors) == 1
    assert errors[0].startswith("cn.json: resources[1] (bad-line).contact.phone: must be a short")


def test_bad_hours_are_reported_on_the_hours_field(tmp_path: Path) -> None:
    # Given weekly hours without any span
    write(tmp_path, "cn.json", raw_entry("x-line", hours={"mode": "weekly", "time_zone": "UTC"}))
    # When loaded / Then the error names hours and the problem
    assert load(tmp_path) == (
        [],
        ["cn.json: resources[0] (x-line).hours: weekly hours need at least one span in weekly"],
    )


def test_bad_span_time_is_reported_with_its_position(tmp_path: Path) -> None:
    # Given a weekly span whose close time is 25:00
    span = {"days": ["mon"], "open": "09:00", "close": "25:00"}
    hours = {"mode": "weekly", "time_zone": "UTC", "weekly": [span]}
    write(tmp_path, "cn.json", raw_entry("x-line", hours=hours))
    # When loaded / Then the error points at hours.weekly[0].close
    _, errors = load(tmp_path)
    assert [e.split(": ")[1] for e in errors] == ["resources[0] (x-line).hours.weekly[0].close"]


def test_unknown_time_zone_is_reported_on_time_zone(tmp_path: Path) -> None:
    # Given hours in a zone that does not exist
    write(
        tmp_path,
        "cn.json",
        raw_entry("x-line", hours={"mode": "varies", "time_zone": "Mars/Olympus"}),
    )
    # When loaded / Then the error names hours.time_zone and the zone
    assert load(tmp_path) == (
        [],
        ["cn.json: resources[0] (x-line).hours.time_zone: Unknown time zone 'Mars/Olympus'."],
    )


def test_every_problem_of_an_entry_is_reported(tmp_path: Path) -> None:
    # Given an entry with a bad region and a bad source
    write(tmp_path, "cn.json", raw_entry("x-line", regions=["China"], source="http://example.org"))
    # When loaded / Then both fields are reported
    _, errors = load(tmp_path)
    assert [e.split(": ")[1] for e in errors] == [
        "resources[0] (x-line).regions",
        "resources[0] (x-line).source",
    ]


def test_entry_without_a_readable_id_is_labelled_with_a_question_mark(tmp_path: Path) -> None:
    # Given an entry with no id
    raw = raw_entry("x-line")
    del raw["id"]
    write(tmp_path, "cn.json", raw)
    # When loaded / Then it is labelled "?" and the missing id is reported
    assert load(tmp_path) == ([], ["cn.json: resources[0] (?).id: Field required"])


def test_entry_that_is_not_an_object_is_reported(tmp_path: Path) -> None:
    # Given a list item that is a string
    (tmp_path / "cn.json").write_text('{"resources": ["12356"]}', encoding="utf-8")
    # When loaded / Then it is reported for that index
    _, errors = load(tmp_path)
    assert len(errors) == 1
    assert errors[0].startswith("cn.json: resources[0] (?): Input should be a valid dictionary")


def test_duplicate_id_across_files_is_reported_and_the_first_kept(tmp_path: Path) -> None:
    # Given the same id in two files
    write(tmp_path, "a.json", raw_entry("same-line", name={"zh-CN": "甲", "en": "First"}))
    write(tmp_path, "b.json", raw_entry("other-line"), raw_entry("same-line"))
    # When loaded
    resources, errors = load_directory(tmp_path, today=TODAY)
    # Then the first definition is kept and the second reported with where the first is
    assert [(r.id, r.name["en"]) for r in resources] == [
        ("same-line", "First"),
        ("other-line", "Test line"),
    ]
    assert errors == [
        "b.json: resources[1] (same-line).id: duplicate id, first defined in a.json resources[0]"
    ]


def test_duplicate_id_in_one_file_is_reported(tmp_path: Path) -> None:
    # Given the same id twice in one file
    write(tmp_path, "cn.json", raw_entry("same-line"), raw_entry("same-line"))
    # When loaded / Then the second is reported
    assert load(tmp_path) == (
        ["same-line"],
        [
            "cn.json: resources[1] (same-line).id: "
            "duplicate id, first defined in cn.json resources[0]"
        ],
    )


def test_unreadable_json_is_reported_and_other_files_still_load(tmp_path: Path) -> None:
    # Given a file with a syntax error next to a valid file
    (tmp_path / "broken.json").write_text('{"resources": [', encoding="utf-8")
    write(tmp_path, "cn.json", raw_entry("good-line"))
    # When loaded
    loaded, errors = load(tmp_path)
    # Then the valid file loads and the broken one is reported by name
    assert loaded == ["good-line"]
    assert len(errors) == 1
    assert errors[0].startswith("broken.json: unreadable JSON: ")


def test_file_that_is_not_utf8_is_reported_as_unreadable(tmp_path: Path) -> None:
    # Given a file in GBK encoding
    (tmp_path / "gbk.json").write_bytes('{"resources": ["心理"]}'.encode("gbk"))
    # When loaded / Then it is reported, not a crash
    _, errors = load(tmp_path)
    assert len(errors) == 1
    assert errors[0].startswith("gbk.json: unreadable JSON: ")


def test_file_without_a_resources_list_is_reported(tmp_path: Path) -> None:
    # Given a file that holds a bare list
    (tmp_path / "cn.json").write_text(json.dumps([raw_entry("x-line")]), encoding="utf-8")
    # When loaded / Then the expected shape is named
    assert load(tmp_path) == ([], ['cn.json: the file must be an object with a "resources" list'])


def test_unexpected_top_level_keys_are_reported(tmp_path: Path) -> None:
    # Given a file with a misspelt second key
    document = {"resources": [raw_entry("x-line")], "resource": []}
    (tmp_path / "cn.json").write_text(json.dumps(document), encoding="utf-8")
    # When loaded / Then it is reported rather than silently ignored
    assert load(tmp_path) == ([], ["cn.json: unexpected top-level keys resource"])


def test_schema_file_and_other_extensions_are_not_read_as_data(tmp_path: Path) -> None:
    # Given schema.json, a README and one data file
    write_schema(tmp_path / "schema.json")
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    write(tmp_path, "cn.json", raw_entry("good-line"))
    # When loaded / Then only the data file is read
    assert load(tmp_path) == (["good-line"], [])


def test_last_verified_after_the_given_day_is_reported(tmp_path: Path) -> None:
    # Given an entry verified the day after "today"
    write(tmp_path, "cn.json", raw_entry("x-line", last_verified="2026-11-24"))
    # When loaded / Then last_verified is reported as in the future
    assert load(tmp_path) == (
        [],
        ["cn.json: resources[0] (x-line).last_verified: last_verified is in the future"],
    )


def test_empty_folder_loads_nothing_without_errors(tmp_path: Path) -> None:
    # Given an empty folder / When loaded / Then there is nothing and no error
    assert load(tmp_path) == ([], [])


def test_write_schema_writes_the_json_schema_of_one_entry(tmp_path: Path) -> None:
    # Given a path / When the schema is written
    target = tmp_path / "schema.json"
    write_schema(target)
    # Then the file holds the model's JSON Schema, requiring both names
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written == Resource.model_json_schema()
    assert written["properties"]["name"]["required"] == ["zh-CN", "en"]
