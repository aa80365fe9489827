"""The rules of a member's records, apart from HTTP and DynamoDB: versions and their ETags,
what a write's preconditions allow, and the guardian consent rules.

**ETags.** A record's ETag is its version number in quotes: `"3"`, a strong tag. A read
answers it; `If-None-Match` on a read is compared weakly (`W/"3"` matches) and answers 304.
A write replaces the version it names:

| the record | If-Match                | If-None-Match | the answer                               |
|------------|-------------------------|---------------|------------------------------------------|
| absent     | none                    | none or `*`   | created (version 1, 201)                 |
| absent     | any                     | –             | 412: there is nothing to match           |
| present    | its ETag, or `*`        | –             | replaced (version + 1, 200)              |
| present    | another ETag (or W/...) | –             | 412 precondition-failed                  |
| present    | none                    | `*`           | 412 precondition-failed                  |
| present    | none                    | none          | 428 precondition-required (when required)|

If-Match uses the strong comparison (RFC 9110 §13.1.1): a weak tag never matches. On a
write, If-None-Match may only be `*` (create only); anything else is a 422. A write that
loses a race with another (the conditional write fails) is a 412: read again.

**Guardian consent** (PIPL: a member under 14 needs a guardian's consent): when the
member is under 14, every guardian's `consent_by` must be "guardian". A phone number or an
e-mail address sent without consent to keep it is refused (422), never dropped silently:
the counsellor learns that it was not recorded. Consent cannot be dated in the future.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from functions.crisis.member_records_models import Guardian
from shared.errors import InvalidInput, PreconditionFailed, PreconditionRequired

_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e]*)"\s*')
CLOCK_SKEW = dt.timedelta(minutes=5)  # a phone's clock a little ahead is not "the future"


def etag(version: int) -> str:
    return f'"{version}"'


def _tags(header: str, name: str) -> list[tuple[bool, str]] | None:
    """(weak, opaque) of each entity tag in the header; None for `*`."""
    if header.strip() == "*":
        return None
    tags: list[tuple[bool, str]] = []
    for part in header.split(","):
        match = _TAG.fullmatch(part)
        if match is None:
            raise InvalidInput(f'{name} must be an ETag such as "3", a list of them, or *.')
        tags.append((match.group(1) is not None, match.group(2)))
    return tags


def not_modified(if_none_match: str | None, version: int) -> bool:
    """Whether a read may answer 304: the client's copy is this version (weak comparison)."""
    if if_none_match is None:
        return False
    tags = _tags(if_none_match, "If-None-Match")
    return tags is None or any(opaque == str(version) for _, opaque in tags)


def expected_version(
    current: int | None,
    if_match: str | None,
    if_none_match: str | None,
    what: str,
    *,
    required: bool = True,
) -> int | None:
    """The version a write replaces (None: it creates the record), or the problem to answer.

    `current` is the stored version (None when there is none); `required`: a write over an
    existing record must say which version it replaces (428 without If-Match).
    """
    if if_none_match is not None and if_none_match.strip() != "*":
        raise InvalidInput("On a write, If-None-Match can only be *: create, never replace.")
    if if_match is not None:
        tags = _tags(if_match, "If-Match")
        if current is None:
            raise PreconditionFailed(f"There is no {what} yet: send no If-Match to create it.")
        if tags is None or any(not weak and opaque == str(current) for weak, opaque in tags):
            return current
        raise PreconditionFailed(
            f"The {what} is at version {current} ({etag(current)}): read it again."
        )
    if current is None:
        return None
    if if_none_match is not None:
        raise PreconditionFailed(f"A {what} exists already: send If-Match with its ETag.")
    if required:
        raise PreconditionRequired(
            f"A {what} exists: send If-Match with the ETag of the version you are changing."
        )
    return current


def next_version(expected: int | None) -> int:
    return (expected or 0) + 1


# --- guardians -----------------------------------------------------------------------------


_DETAILS = {
    "guardian_consent": (
        'A member under 14 needs each guardian\'s own consent: consent_by must be "guardian".'
    ),
    "no_consent": (
        "A phone number or e-mail address is kept only with consent to it: leave it out, "
        "or record the consent."
    ),
    "in_future": "consent_recorded_at must not be in the future.",
}


def _issue(index: int, field: str, message: str, code: str) -> dict[str, Any]:
    return {"location": ["body", "guardians", str(index), field], "message": message, "code": code}


def check_guardians(guardians: list[Guardian], under_14: bool, now: dt.datetime) -> None:
    """The consent rules (module docstring); one 422 that lists every guardian's problems."""
    issues: list[dict[str, Any]] = []
    for i, g in enumerate(guardians):
        if under_14 and g.consent_by != "guardian":
            issues.append(
                _issue(
                    i, "consent_by", 'must be "guardian" for a member under 14', "guardian_consent"
                )
            )
        if g.phone is not None and not g.consent.phone:
            issues.append(_issue(i, "phone", "given without consent.phone", "no_consent"))
        if g.email is not None and not g.consent.email:
            issues.append(_issue(i, "email", "given without consent.email", "no_consent"))
        if g.consent_recorded_at > now + CLOCK_SKEW:
            issues.append(_issue(i, "consent_recorded_at", "is in the future", "in_future"))
    if issues:
        codes = dict.fromkeys(str(i["code"]) for i in issues)  # in order, once each
        raise InvalidInput(" ".join(_DETAILS[c] for c in codes), errors=issues)
