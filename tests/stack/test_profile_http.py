"""The profile over HTTP, and the zone it puts on the next token."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx


def test_changed_time_zone_reaches_the_next_token_and_dates_checkins(
    api: httpx.Client,
    local_cloud: dict[str, Any],
    cognito: Any,
    login: Callable[..., dict[str, str]],
) -> None:
    # Given a member in Shanghai (signed in with a known password)
    pool, password = local_cloud["user_pool_id"], "Zone-Mover-2026"
    username = f"st-mover-{uuid.uuid4().hex[:8]}"
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=username, Password=password, Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="member")
    auth = login(username, password)

    # When they move to Honolulu and sign in again (the app refreshes its token)
    profile = api.put(
        "me", headers=auth, json={"time_zone": "Pacific/Honolulu", "display_name": "Lan"}
    )
    fresh = login(username, password)
    checkin = api.post("checkins", headers=fresh, json={"mood": 3})

    # Then the profile, and the check-in's day, follow Honolulu
    assert profile.status_code == 200
    assert (profile.json()["time_zone"], profile.json()["display_name"]) == (
        "Pacific/Honolulu",
        "Lan",
    )
    assert (
        checkin.json()["date"] == dt.datetime.now(ZoneInfo("Pacific/Honolulu")).date().isoformat()
    )
    assert api.get("me", headers=fresh).json()["time_zone"] == "Pacific/Honolulu"
