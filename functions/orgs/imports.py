"""The roster CSV import: a file of people checked row by row before anyone is invited.

`POST /orgs/{org_id}/imports` takes a CSV (UTF-8, with or without a BOM) whose header names
the columns `display_name,email,phone,role,unit_path` in any order. A problem with the
whole file raises `BadCsv`; a problem with one row rejects that row with its line number and
a short reason. Messages never repeat what a row holds (names, emails, phones): they end up
in the import's record and in logs.

Pure logic, stdlib only: the HTTP route and the import worker (an SQS consumer) share it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, Final, TypeVar

from functions.orgs.tree import AMBIGUOUS, PathResolution
from shared.orgs.roles import ROLES

COLUMNS: Final = ("display_name", "email", "phone", "role", "unit_path")
MAX_ROWS: Final = 5000
MAX_NAME_LENGTH: Final = 100
MAX_EMAIL_LENGTH: Final = 128  # the Cognito username limit: an email is the username

_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]",
    re.ASCII,
)
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}", re.ASCII)
_PHONE_PUNCTUATION = re.compile(r"[\s()-]+")
# Bidirectional embeddings, overrides and isolates: they can make a name display as another.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SHOWN_HEADER_LENGTH = 40

T = TypeVar("T")


class BadCsv(ValueError):
    """The file as a whole cannot be imported; the message says why, never what a row holds."""


@dataclass(frozen=True)
class ImportRow:
    line: int
    display_name: str
    email: str | None
    phone: str | None
    role: str
    unit_id: str
    username: str


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


@dataclass(frozen=True)
class ParsedImport:
    rows: list[ImportRow]
    rejected: list[Rejected]
    total: int


def normalise_email(text: str) -> str | None:
    """The address stripped and lowercased, or None if it is not a plausible address."""
    email = text.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(email):
        return None
    return email


def normalise_phone(text: str) -> str | None:
    """The number in E.164 (`+8613800138000`), or None.

    Spaces, dashes and parentheses are dropped; NFKC first turns full-width digits and "＋"
    typed by an input method into ASCII. No national formats: the number must start with "+".
    """
    phone = _PHONE_PUNCTUATION.sub("", unicodedata.normalize("NFKC", text))
    return phone if _PHONE.fullmatch(phone) else None


def username_for(email: str | None, phone: str | None) -> str:
    """The person's Cognito username: the lowercased email if there is one, else the phone."""
    if email:
        return email.strip().lower()
    if phone:
        return phone
    raise ValueError("A person needs an email or a phone.")


def chunks(rows: Sequence[T], size: int) -> list[list[T]]:
    """`rows` in order, in lists of `size` (the last may be shorter)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [list(rows[start : start + size]) for start in range(0, len(rows), size)]


def row_to_message(row: ImportRow) -> dict[str, Any]:
    """The row as a JSON-able dict, for an SQS message body."""
    return asdict(row)


def row_from_message(message: Mapping[str, Any]) -> ImportRow:
    """The row back from `row_to_message`'s dict; ValueError if it is not one."""
    expected = {field.name for field in fields(ImportRow)}
    if set(message) != expected:
        raise ValueError("not an import row message")
    line = message["line"]
    if not isinstance(line, int) or isinstance(line, bool):
        raise ValueError("not an import row message")
    texts = ("display_name", "role", "unit_id", "username")
    optional = ("email", "phone")
    if not all(isinstance(message[name], str) for name in texts) or not all(
        message[name] is None or isinstance(message[name], str) for name in optional
    ):
        raise ValueError("not an import row message")
    return ImportRow(**message)


def parse_roster_csv(
    data: bytes,
    resolve_unit: Callable[[str], PathResolution],
    roles: Collection[str] = ROLES,
) -> ParsedImport:
    """Check every row of the file: the good ones become `ImportRow`s, the others `Rejected`.

    `resolve_unit` turns a row's unit path into a unit id, None (no such unit) or
    `tree.AMBIGUOUS` (e.g. `lambda text: tree.resolve_path(paths, text)`). `line` is the
    physical line a row starts on (the header is line 1 when it is the first line). Blank
    lines, and rows whose every field is blank, are skipped and not counted. Raises `BadCsv`
    for a problem with the whole file.
    """
    records = _records(_decode(data))
    header = next(records, None)
    if header is None:
        raise BadCsv("The file has no header row.")
    columns = _columns(header[1])
    rows: list[ImportRow] = []
    rejected: list[Rejected] = []
    seen_email: dict[str, int] = {}
    seen_phone: dict[str, int] = {}
    total = 0
    for line, record in records:
        total += 1
        if total > MAX_ROWS:
            raise BadCsv(f"The file has more than {MAX_ROWS} rows; split it into smaller files.")
        if len(record) != len(columns):
            rejected.append(Rejected(line, f"expected {len(columns)} fields, found {len(record)}"))
            continue
        cells = dict(zip(columns, record, strict=True))
        outcome = _check_row(line, cells, resolve_unit, roles, seen_email, seen_phone)
        if isinstance(outcome, Rejected):
            rejected.append(outcome)
            continue
        rows.append(outcome)
        if outcome.email is not None:
            seen_email[outcome.email] = line
        if outcome.phone is not None:
            seen_phone[outcome.phone] = line
    return ParsedImport(rows=rows, rejected=rejected, total=total)


def _decode(data: bytes) -> str:
    if not data:
        raise BadCsv("The file is empty.")
    if data.startswith(_UTF16_BOMS):
        raise BadCsv("The file is UTF-16; save it as CSV UTF-8.")
    skipped = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[skipped:].decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadCsv(
            f"The file is not UTF-8 (invalid byte at offset {skipped + error.start}); "
            "save it as CSV UTF-8."
        ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise BadCsv(f"The file contains a NUL byte (at offset {nul}).")
    if not text:
        raise BadCsv("The file is empty.")
    return text


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(start line, fields) of every non-blank record; a quoted field may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise BadCsv(f"The file is not valid CSV (near line {reader.line_num}).") from None
        start, end = end + 1, reader.line_num
        if any(field.strip() for field in record):
            yield start, record


def _columns(header: list[str]) -> list[str]:
    names = [name.strip().lower() for name in header]
    known = set(COLUMNS)
    if not known.intersection(names):
        # Most likely the header is missing and this is a person's row: do not repeat it.
        raise BadCsv(f"The first row is not a header; expected the columns {', '.join(COLUMNS)}.")
    problems = []
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    unknown = [name for name in names if name not in known]
    if unknown:
        problems.append(f"unknown columns: {', '.join(_shown(name) for name in unknown)}")
    repeated = sorted({name for name in names if name in known and names.count(name) > 1})
    if repeated:
        problems.append(f"repeated columns: {', '.join(repeated)}")
    if problems:
        raise BadCsv(f"The header is wrong ({'; '.join(problems)}).")
    return names


def _shown(name: str) -> str:
    """A header name fit for a message: printable and short."""
    printable = "".join(c for c in name if c.isprintable())
    if not printable:
        return '""'
    if len(printable) > _SHOWN_HEADER_LENGTH:
        printable = printable[: _SHOWN_HEADER_LENGTH - 1] + "…"
    return f'"{printable}"'


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in _BIDI_CONTROLS for c in text)


def _check_row(
    line: int,
    cells: Mapping[str, str],
    resolve_unit: Callable[[str], PathResolution],
    roles: Collection[str],
    seen_email: Mapping[str, int],
    seen_phone: Mapping[str, int],
) -> ImportRow | Rejected:
    name = cells["display_name"].strip()
    if not name:
        return Rejected(line, "display_name is missing")
    if len(name) > MAX_NAME_LENGTH:
        return Rejected(line, f"display_name is longer than {MAX_NAME_LENGTH} characters")
    if _has_control(name):
        return Rejected(line, "display_name contains control characters")

    email_text, phone_text = cells["email"].strip(), cells["phone"].strip()
    if not email_text and not phone_text:
        return Rejected(line, "neither email nor phone")
    email = normalise_email(email_text) if email_text else None
    if email_text and email is None:
        return Rejected(line, "email is invalid")
    phone = normalise_phone(phone_text) if phone_text else None
    if phone_text and phone is None:
        return Rejected(line, "phone is invalid (use international format, e.g. +8613800138000)")

    role = cells["role"].strip().lower()
    if role not in roles:
        return Rejected(line, f"unknown role (use one of: {', '.join(roles)})")

    if not cells["unit_path"].strip():
        return Rejected(line, "unit_path is missing")
    unit_id = resolve_unit(cells["unit_path"])
    if unit_id is None:
        return Rejected(line, "unknown unit path")
    if unit_id is AMBIGUOUS:
        return Rejected(line, "ambiguous unit path (more than one unit has it)")

    earlier = (seen_email.get(email) if email else None) or (
        seen_phone.get(phone) if phone else None
    )
    if earlier is not None:
        return Rejected(line, f"duplicate of line {earlier}")
    return ImportRow(
        line=line,
        display_name=name,
        email=email,
        phone=phone,
        role=role,
        unit_id=unit_id,
        username=username_for(email, phone),
    )
