"""Vocabulary shared by the member-facing features: emotions and tags.

The app maps its localised labels onto these codes (docs/api/README.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

Emotion = Literal[
    "happy",
    "calm",
    "grateful",
    "hopeful",
    "proud",
    "excited",
    "loved",
    "relieved",
    "tired",
    "bored",
    "confused",
    "anxious",
    "worried",
    "stressed",
    "sad",
    "lonely",
    "angry",
    "frustrated",
    "ashamed",
    "guilty",
    "numb",
    "overwhelmed",
    "scared",
    "hopeless",
]
EMOTIONS: tuple[str, ...] = Emotion.__args__  # type: ignore[attr-defined]

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
MAX_TAGS = 10
MAX_EMOTIONS = 12


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


# The length limit applies to what was sent, before duplicates are dropped.
Emotions = Annotated[list[Emotion], Field(max_length=MAX_EMOTIONS), AfterValidator(_unique)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_unique)]
