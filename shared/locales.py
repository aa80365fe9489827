"""Locale tags, one definition for the profile (`PUT /me`) and the token's `locale` claim.

BCP 47 tags as apps send them: zh-CN, zh-Hans-CN, en, en-GB, es-419.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$"
_LOCALE = re.compile(LOCALE_PATTERN)

Locale = Annotated[str, StringConstraints(pattern=LOCALE_PATTERN)]


def valid_locale(value: object) -> str | None:
    """`value` if it is a locale tag, else None (the caller falls back to its default)."""
    if isinstance(value, str) and _LOCALE.fullmatch(value):
        return value
    return None
