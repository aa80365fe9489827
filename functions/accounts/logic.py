"""Profile decisions as plain functions."""

from __future__ import annotations

from typing import Any

from functions.accounts.models import Profile, ProfileUpdate
from shared.clock import zone
from shared.identity import Identity

DEFAULT_LOCALE = "zh-CN"
# Profile fields that also live on the ID token (OIDC claims and our custom:region).
TOKEN_CLAIMS = {"time_zone": "zoneinfo", "locale": "locale", "region_code": "custom:region"}


def new_profile(identity: Identity, default_time_zone: str, stamp: str) -> dict[str, Any]:
    """A first-use profile from what the verified token already says."""
    return {
        "user_id": identity.user_id,
        "username": identity.username,
        "org_id": identity.org_id,
        "time_zone": identity.zoneinfo or default_time_zone,
        "locale": identity.locale or DEFAULT_LOCALE,
        "created_at": stamp,
        "updated_at": stamp,
    }


def changes_from(update: ProfileUpdate, stamp: str) -> dict[str, Any]:
    """The fields to set; `time_zone` must be a real IANA zone."""
    changes = update.model_dump(exclude_unset=True)
    for required in ("time_zone", "locale"):
        if required in changes and changes[required] is None:
            del changes[required]  # cannot be cleared, only changed
    if "time_zone" in changes:
        zone(changes["time_zone"])
    changes["updated_at"] = stamp
    return changes


def token_attributes(identity: Identity, stored: dict[str, Any]) -> dict[str, str]:
    """Profile values the caller's token does not carry yet: these go to Cognito."""
    on_token = {
        "zoneinfo": identity.zoneinfo,
        "locale": identity.locale,
        "custom:region": identity.region,
    }
    return {
        claim: str(stored[field])
        for field, claim in TOKEN_CLAIMS.items()
        if stored.get(field) and on_token[claim] != stored[field]
    }


def to_profile(stored: dict[str, Any], identity: Identity) -> Profile:
    """Role, organisation and username always come from the token, never from stored data."""
    return Profile.model_validate(
        {
            **stored,
            "username": identity.username,
            "role": identity.role,
            "roles": sorted(identity.roles),
            "org_id": identity.org_id,
        }
    )
