"""Field types more than one feature's HTTP models use (pydantic: HTTP functions only)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) would let a
# name reorder the text shown after it to peers; control characters have no place in it.
_NOT_IN_NAMES = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x1f\x7f-\x9f]")


def plain_text(name: str) -> str:
    if _NOT_IN_NAMES.search(name):
        raise ValueError("must not contain control or bidirectional formatting characters")
    return name


DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(plain_text),
]
# ISO 3166-1 alpha-2, optionally with an ISO 3166-2 subdivision: CN, CN-SC, GB-ENG.
RegionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]
TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
