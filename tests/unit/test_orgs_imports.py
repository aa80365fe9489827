"""The roster CSV import: whole-file checks, per-row rejections with line numbers, helpers."""

from __future__ import annotations

import codecs
import json
from typing import Any

import pytest

from functions.orgs.imports import (
    MAX_ROWS,
    ROLES,
    BadCsv,
    ImportRow,
    ParsedImport,
    chunks,
    normalise_email,
    normalise_phone,
    parse_roster_csv,
    row_from_message,
    row_to_message,
    username_for,
)
from functions.orgs.tree import PathResolution, resolve_path, unit_paths

HEADER = "display_name,email,phone,role,unit_path"
UNITS: list[dict[str, Any]] = [
    {"unit_id": "school", "name": "Demo School", "kind": "school", "parent_id": None},
    {"unit_id": "g7", "name": "Grade 7", "kind": "grade", "parent_id": "school"},
    {"unit_id": "c71", "name": "Class 7-1", "kind": "class", "parent_id": "g7"},
    {"unit_id": "c72", "name": "Class 7-2", "kind": "class", "parent_id": "g7"},
    # Two classes with one name: their path is ambiguous.
    {"unit_id": "c73a", "name": "Class 7-3", "kind": "class", "parent_id": "g7"},
    {"unit_id": "c73b", "name": "class 7-3", "kind": "class", "parent_id": "g7"},
]
PATHS = unit_paths(UNITS)


def resolve(text: str) -> PathResolution:
    return resolve_path(PATHS, text)


def parse(text: str, **kwargs: Any) -> ParsedImport:
    return parse_roster_csv(text.encode("utf-8"), resolve, **kwargs)


def good_line(n: int) -> str:
    return f"Student {n},student{n}@school.example,,member,Grade 7/Class 7-1"


def roster(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def reasons(parsed: ParsedImport) -> dict[int, str]:
    return {r.line: r.reason for r in parsed.rejected}


# --- whole file -----------------------------------------------------------------------------


def test_a_file_with_a_bom_gives_the_same_rows_as_one_without() -> None:
    # Given the same roster with and without a UTF-8 byte order mark
    text = roster(good_line(1), "李雷,,+86 138-0013-8000,peer_supporter,Grade 7/Class 7-2")

    # When both are parsed
    plain = parse_roster_csv(text.encode("utf-8"), resolve)
    with_bom = parse_roster_csv(codecs.BOM_UTF8 + text.encode("utf-8"), resolve)

    # Then the rows are identical and all good
    assert with_bom == plain
    assert len(plain.rows) == 2
    assert plain.rejected == []


def test_a_good_row_becomes_a_normalised_import_row() -> None:
    # Given one row with a mixed-case email, a spaced phone and an upper-case role
    text = roster(
        " Ann Lee ,Ann.Lee@School.Example,+44 (20) 7946-0958, Counsellor ,grade 7/class 7-2"
    )

    # When parsed
    parsed = parse(text)

    # Then it is one import row with everything normalised and the unit resolved
    assert parsed.rows == [
        ImportRow(
            line=2,
            display_name="Ann Lee",
            email="ann.lee@school.example",
            phone="+442079460958",
            role="counsellor",
            unit_id="c72",
            username="ann.lee@school.example",
        )
    ]
    assert parsed.total == 1


def test_invalid_utf8_is_a_bad_file_naming_the_byte_offset() -> None:
    # Given a roster saved as GBK (the default "CSV" of Excel on Chinese Windows)
    data = (HEADER + "\n李雷,lilei@school.example,,member,Grade 7/Class 7-1\n").encode("gbk")

    # When parsed
    # Then the whole file is refused, at the first byte that is not UTF-8
    offset = len(HEADER) + 1
    with pytest.raises(BadCsv, match=f"not UTF-8.*offset {offset}"):
        parse_roster_csv(data, resolve)


def test_invalid_utf8_offset_counts_the_bom() -> None:
    # Given a file with a BOM and a bad byte right after it
    data = codecs.BOM_UTF8 + b"\xff" + HEADER.encode()

    # When parsed
    # Then the offset is into the file as uploaded
    with pytest.raises(BadCsv, match="offset 3"):
        parse_roster_csv(data, resolve)


def test_a_utf16_file_is_refused_with_a_hint() -> None:
    # Given a roster saved as "Unicode text" (UTF-16 with its BOM)
    data = roster(good_line(1)).encode("utf-16")

    # When parsed
    # Then the message says it is UTF-16
    with pytest.raises(BadCsv, match="UTF-16"):
        parse_roster_csv(data, resolve)


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8], ids=["no bytes", "only a bom"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    # Given / When an empty upload is parsed
    # Then it is refused as empty
    with pytest.raises(BadCsv, match="empty"):
        parse_roster_csv(data, resolve)


def test_a_file_of_blank_lines_has_no_header() -> None:
    # Given / When a file with only blank lines is parsed
    # Then it is refused for lacking a header
    with pytest.raises(BadCsv, match="no header"):
        parse("\n\r\n  \n,,,,\n")


def test_a_nul_byte_is_refused() -> None:
    # Given a roster with a NUL byte in a row
    data = roster(good_line(1)).encode() + b"Eve\x00,eve@school.example,,member,Grade 7\n"

    # When parsed
    # Then the whole file is refused
    with pytest.raises(BadCsv, match="NUL"):
        parse_roster_csv(data, resolve)


def test_header_names_ignore_case_order_and_surrounding_spaces() -> None:
    # Given a header in another order, other case and with spaces
    header = " Unit_Path ,ROLE, phone,Email ,Display_Name"
    text = roster("Grade 7/Class 7-1,member,,ann@school.example,Ann", header=header)

    # When parsed
    parsed = parse(text)

    # Then the fields are read by name
    assert [(r.display_name, r.email, r.role, r.unit_id) for r in parsed.rows] == [
        ("Ann", "ann@school.example", "member", "c71")
    ]


def test_a_missing_column_is_refused_and_named() -> None:
    # Given a header without the phone column
    header = "display_name,email,role,unit_path"
    text = roster("Ann,ann@school.example,member,Grade 7", header=header)

    # When parsed
    # Then the file is refused, naming the column
    with pytest.raises(BadCsv, match="missing columns: phone"):
        parse(text)


def test_an_unknown_column_is_refused_and_named() -> None:
    # Given a header with an extra column
    text = roster(good_line(1) + ",7", header=HEADER + ",Student Number")

    # When parsed
    # Then the file is refused, naming the column
    with pytest.raises(BadCsv, match='unknown columns: "student number"'):
        parse(text)


def test_a_repeated_column_is_refused() -> None:
    # Given a header with the email column twice
    text = roster(good_line(1) + ",x@school.example", header=HEADER + ",email")

    # When parsed
    # Then the file is refused
    with pytest.raises(BadCsv, match="repeated columns: email"):
        parse(text)


def test_a_file_without_a_header_is_refused_without_repeating_the_first_row() -> None:
    # Given a roster whose header row was left out
    text = "Ann Lee,ann@school.example,+8613800138000,member,Grade 7\n"

    # When parsed
    with pytest.raises(BadCsv) as raised:
        parse(text)

    # Then the message asks for the header and shows none of the person's data
    message = str(raised.value)
    assert "not a header" in message
    assert "Ann" not in message
    assert "ann@" not in message
    assert "138" not in message


def test_max_rows_is_allowed() -> None:
    # Given a file with exactly the maximum number of rows
    text = roster(*(good_line(n) for n in range(MAX_ROWS)))

    # When parsed
    parsed = parse(text)

    # Then every row is read
    assert parsed.total == MAX_ROWS
    assert len(parsed.rows) == MAX_ROWS


def test_one_row_over_max_rows_is_refused() -> None:
    # Given a file with one row more than the maximum
    text = roster(*(good_line(n) for n in range(MAX_ROWS + 1)))

    # When parsed
    # Then the whole file is refused
    with pytest.raises(BadCsv, match=f"more than {MAX_ROWS} rows"):
        parse(text)


def test_a_field_too_large_for_csv_is_a_bad_file() -> None:
    # Given a row with a field beyond the csv module's field size limit
    text = roster(f'"{"x" * 200_000}",a@school.example,,member,Grade 7')

    # When parsed
    # Then the whole file is refused with a line number, not a csv.Error
    with pytest.raises(BadCsv, match="near line 2"):
        parse(text)


# --- rows and line numbers ------------------------------------------------------------------


def test_a_thousand_rows_with_ten_bad_ones_reject_exactly_those_lines() -> None:
    # Given 1,000 data rows (header on line 1) with ten bad ones of different kinds
    bad = {
        7: "Bad Role,badrole@school.example,,principal,Grade 7/Class 7-1",
        58: "No Unit,nounit@school.example,,member,Grade 9/Class 9-1",
        130: "Bad Email,not-an-email,,member,Grade 7/Class 7-1",
        244: "Bad Phone,,13800138000,member,Grade 7/Class 7-1",
        311: ",noname@school.example,,member,Grade 7/Class 7-1",
        487: "Copy,STUDENT100@school.example,,member,Grade 7/Class 7-2",
        502: "Too,few,fields",
        613: "No Contact,,,member,Grade 7/Class 7-1",
        777: "Ambiguous,amb@school.example,,member,Grade 7/Class 7-3",
        1001: "Too Many,many@school.example,,member,Grade 7/Class 7-1,extra",
    }
    lines = [bad.get(n, good_line(n)) for n in range(2, 1002)]

    # When parsed
    parsed = parse(roster(*lines))

    # Then exactly those lines are rejected, each with its reason, and the rest imported
    assert reasons(parsed) == {
        7: "unknown role (use one of: member, peer_supporter, counsellor, org_admin)",
        58: "unknown unit path",
        130: "email is invalid",
        244: "phone is invalid (use international format, e.g. +8613800138000)",
        311: "display_name is missing",
        487: "duplicate of line 100",
        502: "expected 5 fields, found 3",
        613: "neither email nor phone",
        777: "ambiguous unit path (more than one unit has it)",
        1001: "expected 5 fields, found 6",
    }
    assert parsed.total == 1000
    assert len(parsed.rows) == 990
    assert [r.line for r in parsed.rows] == [n for n in range(2, 1002) if n not in bad]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("A" * 101 + ",a@school.example,,member,Grade 7", "longer than 100 characters"),
        ('"Ann\tLee",a@school.example,,member,Grade 7', "control characters"),
        ("Ann\u202eeeL,a@school.example,,member,Grade 7", "control characters"),
        ("Ann,a@school.example,,member,  ", "unit_path is missing"),
        ("Ann,a@school.example,,,Grade 7", "unknown role"),
        ("Ann,a@,,member,Grade 7", "email is invalid"),
        ("Ann,,+0123456789,member,Grade 7", "phone is invalid"),
        ("Ann,,+1234,member,Grade 7", "phone is invalid"),
    ],
    ids=[
        "name too long",
        "tab in name",
        "bidi override in name",
        "blank unit path",
        "blank role",
        "email without domain",
        "phone starting with zero",
        "phone too short",
    ],
)
def test_a_bad_field_rejects_its_row(row: str, reason: str) -> None:
    # Given a roster with one bad row
    # When parsed
    parsed = parse(roster(row))

    # Then that row is rejected for that reason
    assert parsed.rows == []
    assert len(parsed.rejected) == 1
    assert parsed.rejected[0].line == 2
    assert reason in parsed.rejected[0].reason


def test_a_name_of_exactly_100_characters_is_accepted() -> None:
    # Given / When a row whose name is at the limit is parsed
    parsed = parse(roster("A" * 100 + ",a@school.example,,member,Grade 7"))

    # Then it is imported
    assert [len(r.display_name) for r in parsed.rows] == [100]


def test_a_duplicate_phone_names_the_earlier_line() -> None:
    # Given two people with one phone number, written differently
    text = roster(
        "Ann,ann@school.example,+86 138 0013 8000,member,Grade 7",
        "Bob,,+8613800138000,member,Grade 7",
    )

    # When parsed
    parsed = parse(text)

    # Then the second is a duplicate of line 2
    assert reasons(parsed) == {3: "duplicate of line 2"}


def test_a_rejected_row_does_not_make_a_later_one_a_duplicate() -> None:
    # Given a rejected row and a later good row with the same email
    text = roster(
        "Ann,ann@school.example,,principal,Grade 7",
        "Ann,ann@school.example,,member,Grade 7",
    )

    # When parsed
    parsed = parse(text)

    # Then only the first is rejected: duplicates are counted against imported rows
    assert [r.line for r in parsed.rejected] == [2]
    assert [r.line for r in parsed.rows] == [3]


def test_reasons_never_repeat_what_the_row_holds() -> None:
    # Given rows whose bad values are personal data
    text = roster(
        "Zhang Wei,zhang.wei@,,member,Grade 7",
        "Zhang Wei,,+86 5555,member,Grade 7",
        "Zhang Wei,zw@school.example,,Zhang Wei's mum,Grade 7",
        "Zhang Wei,zw2@school.example,,member,Zhang Wei's class",
    )

    # When parsed
    parsed = parse(text)

    # Then no reason contains any of it
    assert len(parsed.rejected) == 4
    for rejected in parsed.rejected:
        assert "zhang" not in rejected.reason.casefold()
        assert "5555" not in rejected.reason


def test_roles_can_be_narrowed_by_the_caller() -> None:
    # Given an import that may only add members
    text = roster(
        "Ann,ann@school.example,,member,Grade 7",
        "Bob,bob@school.example,,org_admin,Grade 7",
    )

    # When parsed with only that role allowed
    parsed = parse(text, roles=("member",))

    # Then the admin row is rejected, naming the allowed role
    assert reasons(parsed) == {3: "unknown role (use one of: member)"}


def test_a_quoted_field_spanning_lines_keeps_later_line_numbers_right() -> None:
    # Given a quoted name that spans lines 2-4 of the file, and a bad row on line 6
    text = (
        f"{HEADER}\n"
        '"Ann\nB.\nLee",ann@school.example,,member,Grade 7\n'
        f"{good_line(5)}\n"
        "Bad Role,badrole@school.example,,principal,Grade 7\n"
        f"{good_line(7)}\n"
    )

    # When parsed
    parsed = parse(text)

    # Then each row carries the line it starts on
    assert [r.line for r in parsed.rejected] == [2, 6]
    assert [r.line for r in parsed.rows] == [5, 7]


def test_blank_lines_are_skipped_not_counted_and_not_rejected() -> None:
    # Given a roster with blank lines before the header, between rows and at the end
    text = f"\n{HEADER}\n\n{good_line(4)}\r\n   \n,,,,\n{good_line(7)}\n\n\n"

    # When parsed
    parsed = parse(text)

    # Then only the two rows count, at their physical lines
    assert parsed.rejected == []
    assert parsed.total == 2
    assert [r.line for r in parsed.rows] == [4, 7]


def test_crlf_line_endings_give_the_same_result_as_lf() -> None:
    # Given one roster written with LF and with CRLF line endings
    text = roster(good_line(2), "Too,few", good_line(4))

    # When both are parsed
    # Then the rows and rejections are the same
    assert parse(text.replace("\n", "\r\n")) == parse(text)


# --- normalisation helpers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+8613800138000", "+8613800138000"),
        (" +86 138-0013-8000 ", "+8613800138000"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("＋８６ １３８００１３８０００", "+8613800138000"),
        ("+1234567", "+1234567"),
        ("+123456789012345", "+123456789012345"),
    ],
)
def test_phone_is_normalised_to_e164(text: str, expected: str) -> None:
    # Given / When a phone typed with spaces, dashes, parentheses or full-width digits
    # Then it becomes E.164
    assert normalise_phone(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "13800138000",
        "+0123456789",
        "+123456",
        "+1234567890123456",
        "+86.138.0013.8000",
        "+86x1",
        "",
    ],
)
def test_a_phone_that_is_not_e164_is_invalid(text: str) -> None:
    # Given / When a national, too short, too long or otherwise malformed number is normalised
    # Then it is invalid
    assert normalise_phone(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" Ann.Lee@School.Example ", "ann.lee@school.example"),
        ("a+tag@sub.school.example", "a+tag@sub.school.example"),
        ("x@example.xn--fiqs8s", "x@example.xn--fiqs8s"),
    ],
)
def test_email_is_stripped_and_lowercased(text: str, expected: str) -> None:
    # Given / When a valid address is normalised
    # Then it is stripped and lowercased
    assert normalise_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ann",
        "ann@",
        "@school.example",
        "ann@school",
        "ann lee@school.example",
        "a..b@school.example",
        "a@b@school.example",
        "a@-school.example",
        "李@school.example",
        "a" * 250 + "@x.example",
    ],
)
def test_an_implausible_email_is_invalid(text: str) -> None:
    # Given / When a malformed, non-ASCII or over-long address is normalised
    # Then it is invalid
    assert normalise_email(text) is None


def test_username_is_the_lowercased_email_when_there_is_one() -> None:
    # Given / When a person has both an email and a phone
    # Then the username is the email, lowercased
    assert username_for("Ann@School.Example", "+8613800138000") == "ann@school.example"


def test_username_is_the_phone_without_an_email() -> None:
    # Given / When a person has only a phone
    # Then the username is the phone
    assert username_for(None, "+8613800138000") == "+8613800138000"


def test_username_needs_an_email_or_a_phone() -> None:
    # Given / When a person has neither
    # Then there is no username
    with pytest.raises(ValueError):
        username_for(None, None)


# --- chunks and messages ----------------------------------------------------------------


def test_chunks_split_in_order_with_a_shorter_last_chunk() -> None:
    # Given / When seven items are chunked by three
    # Then there are chunks of 3, 3 and 1, in order
    assert chunks(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]


def test_chunks_of_nothing_are_none() -> None:
    # Given / When an empty list is chunked
    # Then there are no chunks
    assert chunks([], 10) == []


def test_chunk_size_must_be_positive() -> None:
    # Given / When a chunk size of zero is asked for
    # Then it is refused
    with pytest.raises(ValueError):
        chunks([1], 0)


def test_a_row_survives_a_json_message_round_trip() -> None:
    # Given parsed rows, one with only a phone and one with only an email
    rows = parse(
        roster(
            "李雷,,+86 138 0013 8000,peer_supporter,Demo School/Grade 7/Class 7-2",
            "Ann,ann@school.example,,member,Grade 7",
        )
    ).rows

    # When each goes through an SQS message body and back
    back = [row_from_message(json.loads(json.dumps(row_to_message(row)))) for row in rows]

    # Then it is the same row
    assert len(rows) == 2
    assert back == rows


@pytest.mark.parametrize(
    "change",
    [{"line": "2"}, {"line": True}, {"email": 5}, {"role": None}, {"extra": 1}],
    ids=["line as text", "line as bool", "email not text", "role missing", "unknown field"],
)
def test_a_message_that_is_not_a_row_is_refused(change: dict[str, Any]) -> None:
    # Given a row's message with one field wrong
    row = parse(roster(good_line(2))).rows[0]
    message = row_to_message(row) | change

    # When read back
    # Then it is refused
    with pytest.raises(ValueError):
        row_from_message(message)


def test_default_roles_are_the_four_organisation_roles() -> None:
    # Given / When the default roles
    # Then they are the roster's four roles
    assert ROLES == ("member", "peer_supporter", "counsellor", "org_admin")
