"""PUT /me fields: display names are plain text, locales follow the one shared pattern."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from functions.accounts.models import ProfileUpdate
from shared.locales import valid_locale


def refused_at(update: dict[str, Any]) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as refused:
        ProfileUpdate.model_validate(update)
    return [tuple(e["loc"]) for e in refused.value.errors()]


@pytest.mark.parametrize(
    "mark",
    [
        pytest.param("\u202a", id="LRE"),
        pytest.param("\u202b", id="RLE"),
        pytest.param("\u202c", id="PDF"),
        pytest.param("\u202d", id="LRO"),
        pytest.param("\u202e", id="RLO"),
        pytest.param("\u2066", id="LRI"),
        pytest.param("\u2067", id="RLI"),
        pytest.param("\u2068", id="FSI"),
        pytest.param("\u2069", id="PDI"),
        pytest.param("\n", id="newline"),
        pytest.param("\x1b", id="escape"),
        pytest.param("\x85", id="c1-next-line"),
    ],
)
def test_display_name_with_bidi_or_control_characters_is_refused(mark: str) -> None:
    # Given a display name that hides a bidi override, isolate or control character inside
    # When validated / Then the display name is refused (a 422 for the client)
    assert refused_at({"display_name": f"Mei{mark}gnp.exe"}) == [("display_name",)]


@pytest.mark.parametrize(
    "name", ["Mei", "小美", "Zoë", "מאיר", "محمد", "Mei 🌱", "O'Brien-Smith", "  Mei  "]
)
def test_display_names_in_any_script_are_kept(name: str) -> None:
    # Given a display name in any script, right-to-left ones included
    # When validated / Then it is kept, trimmed
    assert ProfileUpdate.model_validate({"display_name": name}).display_name == name.strip()


@pytest.mark.parametrize("locale", ["zh-CN", "zh-Hans-CN", "en", "en-GB", "es-419", "yue"])
def test_profile_and_token_accept_the_same_locales(locale: str) -> None:
    # Given a locale tag / When checked by PUT /me and as a token claim / Then both accept it
    assert ProfileUpdate.model_validate({"locale": locale}).locale == locale
    assert valid_locale(locale) == locale


@pytest.mark.parametrize("locale", ["english", "zh_CN", "ZH-cn", "zh-CN ", "", "zh-CN\n"])
def test_profile_and_token_refuse_the_same_locales(locale: str) -> None:
    # Given a string that is not a locale tag / When checked both ways / Then both refuse it
    assert refused_at({"locale": locale}) == [("locale",)]
    assert valid_locale(locale) is None
