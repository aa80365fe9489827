"""Who is calling: every shape of the groups claim, and what an ID token must carry."""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import Forbidden, Unauthorized
from shared.identity import Identity, Role, claims_from_event, identity_from_claims, parse_groups


def id_token_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "0b6e-sub",
        "token_use": "id",
        "cognito:username": "mei",
        "cognito:groups": "[member]",
        "custom:org_id": "org-1",
        "zoneinfo": "Asia/Shanghai",
        "locale": "zh-CN",
    }
    return claims | overrides


def rest_event(claims: dict[str, Any]) -> dict[str, Any]:
    """API Gateway REST API (v1) with a Cognito user pool authorizer."""
    return {"requestContext": {"authorizer": {"claims": claims}}}


def http_api_event(claims: dict[str, Any]) -> dict[str, Any]:
    """API Gateway HTTP API (v2) with a JWT authorizer."""
    return {"requestContext": {"authorizer": {"jwt": {"claims": claims, "scopes": None}}}}


# --- parse_groups ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(["member", "counsellor"], ["member", "counsellor"], id="list"),
        pytest.param('["member", "counsellor"]', ["member", "counsellor"], id="json-string"),
        pytest.param("[member counsellor]", ["member", "counsellor"], id="bracket-space-string"),
        pytest.param("[member]", ["member"], id="bracket-single"),
        pytest.param("member,counsellor", ["member", "counsellor"], id="comma-string"),
        pytest.param("member, counsellor", ["member", "counsellor"], id="comma-space-string"),
        pytest.param("member", ["member"], id="single-string"),
        pytest.param(None, [], id="none"),
        pytest.param("", [], id="empty-string"),
        pytest.param("[]", [], id="empty-brackets"),
    ],
)
def test_parse_groups_reads_every_shape_of_the_groups_claim(raw: Any, expected: list[str]) -> None:
    # Given cognito:groups as a list or as one of the string encodings
    # When parsed
    # Then the group names come out in order
    assert parse_groups(raw) == expected


# --- claims_from_event -------------------------------------------------------------------


@pytest.mark.parametrize("make_event", [rest_event, http_api_event], ids=["rest", "http-api-v2"])
def test_identity_is_read_from_either_api_gateway_event_shape(make_event: Any) -> None:
    # Given an event whose authorizer verified an ID token
    event = make_event(id_token_claims())
    # When the caller is built from the event's claims
    identity = identity_from_claims(claims_from_event(event))
    # Then every field comes from the claims
    assert identity == Identity(
        user_id="0b6e-sub",
        username="mei",
        roles=frozenset({"member"}),
        org_id="org-1",
        zoneinfo="Asia/Shanghai",
        locale="zh-CN",
    )


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({}, id="no-request-context"),
        pytest.param({"requestContext": {}}, id="no-authorizer"),
        pytest.param({"requestContext": {"authorizer": None}}, id="null-authorizer"),
        pytest.param({"requestContext": {"authorizer": {"jwt": {}}}}, id="jwt-without-claims"),
    ],
)
def test_event_without_an_authorizer_has_no_claims_and_is_unauthorized(
    event: dict[str, Any],
) -> None:
    # Given an event that no authorizer has vouched for
    claims = claims_from_event(event)
    # When the caller is built
    # Then there are no claims, and the caller is unauthorized
    assert claims == {}
    with pytest.raises(Unauthorized):
        identity_from_claims(claims)


# --- identity_from_claims ----------------------------------------------------------------


def test_access_token_is_unauthorized() -> None:
    # Given verified claims of an access token (no profile claims on it)
    claims = id_token_claims(token_use="access")
    # When the caller is built / Then the ID token is required
    with pytest.raises(Unauthorized, match="ID token"):
        identity_from_claims(claims)


@pytest.mark.parametrize("sub", [None, ""], ids=["missing", "empty"])
def test_missing_sub_is_unauthorized(sub: str | None) -> None:
    # Given an ID token without a subject
    claims = id_token_claims()
    if sub is None:
        del claims["sub"]
    else:
        claims["sub"] = sub
    # When the caller is built / Then it is refused
    with pytest.raises(Unauthorized):
        identity_from_claims(claims)


@pytest.mark.parametrize(
    "groups",
    [None, "", "[]", "[admin]", ["Member"], "superuser,root"],
    ids=["none", "empty", "empty-list", "unknown", "wrong-case", "unknown-comma"],
)
def test_token_without_a_known_role_group_is_forbidden(groups: Any) -> None:
    # Given a valid ID token whose groups hold no role this service knows
    claims = id_token_claims(**{"cognito:groups": groups})
    # When the caller is built / Then the caller is known but not allowed in
    with pytest.raises(Forbidden):
        identity_from_claims(claims)


def test_unknown_groups_are_dropped_and_known_ones_kept() -> None:
    # Given a token in a known role group and in groups this service does not use
    claims = id_token_claims(**{"cognito:groups": "[beta-testers counsellor us-east-1_abc_Google]"})
    # When the caller is built
    identity = identity_from_claims(claims)
    # Then only the known role remains
    assert identity.roles == frozenset({"counsellor"})


@pytest.mark.parametrize(
    ("groups", "primary"),
    [
        (["member"], "member"),
        (["member", "peer_supporter"], "peer_supporter"),
        (["peer_supporter", "counsellor", "member"], "counsellor"),
        (["member", "counsellor", "org_admin", "peer_supporter"], "org_admin"),
        (["org_admin", "member"], "org_admin"),
    ],
)
def test_primary_role_is_the_most_privileged_group(groups: list[str], primary: Role) -> None:
    # Given a user in several role groups, in any order
    identity = identity_from_claims(id_token_claims(**{"cognito:groups": groups}))
    # When the primary role is read
    # Then it follows org_admin > counsellor > peer_supporter > member
    assert identity.role == primary


def test_username_falls_back_to_sub_and_blank_optional_claims_become_none() -> None:
    # Given an ID token without a username and with empty org, zone and locale claims
    claims = id_token_claims(**{"cognito:username": "", "custom:org_id": "", "zoneinfo": ""})
    del claims["locale"]
    # When the caller is built
    identity = identity_from_claims(claims)
    # Then the username is the sub and the optional claims are None
    assert (identity.username, identity.org_id, identity.zoneinfo, identity.locale) == (
        "0b6e-sub",
        None,
        None,
        None,
    )


# --- claims the app can write: zoneinfo and locale ---------------------------------------


@pytest.mark.parametrize(
    "zoneinfo",
    [
        pytest.param("Mars/Olympus", id="unknown"),
        pytest.param("Asia", id="region-folder"),
        pytest.param("../../etc/passwd", id="path"),
        pytest.param("/etc/localtime", id="absolute-path"),
        pytest.param("Asia/Shang\x00hai", id="nul"),
        pytest.param("A" * 200, id="too-long"),
        pytest.param("asia/shanghai", id="wrong-case"),
        pytest.param(["Asia/Shanghai"], id="not-a-string"),
    ],
)
def test_invalid_zoneinfo_claim_is_dropped(zoneinfo: Any) -> None:
    # Given an ID token whose app-writable zoneinfo claim is not an IANA zone
    claims = id_token_claims(zoneinfo=zoneinfo)
    # When the caller is built
    identity = identity_from_claims(claims)
    # Then the zone is unknown (the deployment default applies), and the rest is kept
    assert (identity.zoneinfo, identity.locale, identity.user_id) == (None, "zh-CN", "0b6e-sub")


@pytest.mark.parametrize(
    "locale",
    [
        pytest.param("english", id="word"),
        pytest.param("zh_CN", id="underscore"),
        pytest.param("zh-CN\n", id="trailing-newline"),
        pytest.param("zh-CN\u202e", id="bidi-override"),
        pytest.param("x" * 300, id="too-long"),
        pytest.param("<script>", id="markup"),
        pytest.param(7, id="not-a-string"),
    ],
)
def test_invalid_locale_claim_is_dropped(locale: Any) -> None:
    # Given an ID token whose app-writable locale claim is not a locale tag
    claims = id_token_claims(locale=locale)
    # When the caller is built
    identity = identity_from_claims(claims)
    # Then the locale is unknown (the default applies), and the zone is kept
    assert (identity.locale, identity.zoneinfo) == (None, "Asia/Shanghai")


@pytest.mark.parametrize(
    ("zoneinfo", "locale"),
    [
        ("Europe/London", "en-GB"),
        ("America/Argentina/Buenos_Aires", "es-419"),
        ("UTC", "zh-Hans-CN"),
        ("Asia/Kolkata", "en"),
    ],
)
def test_valid_zoneinfo_and_locale_claims_are_kept(zoneinfo: str, locale: str) -> None:
    # Given an ID token with a real zone and locale / When the caller is built / Then both stay
    identity = identity_from_claims(id_token_claims(zoneinfo=zoneinfo, locale=locale))
    assert (identity.zoneinfo, identity.locale) == (zoneinfo, locale)


def test_a_first_profile_never_stores_an_invalid_claim() -> None:
    # Given a token whose zoneinfo and locale were tampered with
    from functions.accounts.logic import DEFAULT_LOCALE, new_profile

    identity = identity_from_claims(id_token_claims(zoneinfo="Mars/Olympus", locale="klingon!"))
    # When the first-use profile is made from it
    profile = new_profile(identity, "Asia/Shanghai", "2026-05-01T18:00:00.000Z")
    # Then the defaults are stored, not the claims
    assert (profile["time_zone"], profile["locale"]) == ("Asia/Shanghai", DEFAULT_LOCALE)
