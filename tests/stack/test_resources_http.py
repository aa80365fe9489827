"""The resource directory over HTTP: filters, language, caching headers, org scoping."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from local.seed_orgs import create_org
from tests.support.passwords import policy_password

Login = Callable[..., dict[str, str]]


def org_entry(resource_id: str, name: str) -> dict[str, Any]:
    return {
        "id": resource_id,
        "name": {"zh-CN": f"{name}心理中心", "en": f"{name} counselling centre"},
        "kind": "counselling_centre",
        "contact": {"phone": "+862885400000", "url": "https://example.edu.cn/counselling"},
        "regions": ["CN-SC"],
        "languages": ["zh"],
        "audiences": ["students"],
        "hours": {
            "mode": "weekly",
            "time_zone": "Asia/Shanghai",
            "weekly": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "open": "08:30", "close": "17:30"}
            ],
        },
        "cost": "free",
        "crisis": False,
        "source": "https://example.edu.cn/counselling",
        "last_verified": "2026-11-01",
    }


@pytest.fixture
def enrol(
    new_member: Callable[..., dict[str, str]], local_cloud: dict[str, Any], login: Login
) -> Callable[..., dict[str, str]]:
    """A fresh user of organisation `org` in `group`, signed in. An org admin is the first
    admin of a new organisation `org`, on its roster (the authority for staff)."""

    def _enrol(org: str, group: str = "member") -> dict[str, str]:
        if group != "org_admin":
            return new_member(org_id=org, group=group)
        username, password = f"admin-{uuid.uuid4().hex[:10]}", policy_password("Stack-Admin")
        create_org(
            local_cloud,
            org,
            name=org,
            kind="school",
            time_zone="Asia/Shanghai",
            locale="zh-CN",
            admin_username=username,
            admin_password=password,
        )
        return login(username, password)

    return _enrol


def test_national_list_puts_crisis_lines_first_in_the_language_asked(
    api: httpx.Client, login: Login
) -> None:
    # Given the demo member
    auth = login("mei")

    # When they look up help in China, in English
    body = api.get("resources", headers=auth, params={"region": "CN", "lang": "en"}).json()

    # Then crisis lines lead, names are English, and 12356 is there
    crisis_flags = [item["crisis"] for item in body["items"]]
    assert crisis_flags == sorted(crisis_flags, reverse=True)
    assert body["lang"] == "en"
    phones = {item["contact"].get("phone") for item in body["items"]}
    assert "12356" in phones


def test_accept_language_picks_chinese_names(api: httpx.Client, login: Login) -> None:
    # Given a phone set to Chinese
    headers = login("mei") | {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}

    # When the directory is read without a lang parameter
    body = api.get("resources", headers=headers, params={"region": "US"}).json()

    # Then names come in Chinese
    assert body["lang"] == "zh-CN"
    assert any(item["name"] != "988 Suicide & Crisis Lifeline" for item in body["items"])


def test_kind_and_region_filters_narrow_the_list(api: httpx.Client, login: Login) -> None:
    # Given the demo member
    auth = login("mei")

    # When they ask for hotlines in the UK
    items = api.get("resources", headers=auth, params={"region": "GB", "kind": "hotline"}).json()[
        "items"
    ]

    # Then every entry is a hotline for GB or everywhere, and no Chinese line is listed
    assert items
    assert all(i["kind"] == "hotline" for i in items)
    assert all(set(i["regions"]) & {"GB", "*"} for i in items)


def test_unchanged_list_answers_304_to_its_etag(api: httpx.Client, login: Login) -> None:
    # Given a list fetched once
    auth = login("mei")
    first = api.get("resources", headers=auth, params={"region": "GB", "lang": "en"})

    # When the app asks again with the ETag it holds
    again = api.get(
        "resources",
        headers=auth | {"If-None-Match": first.headers["etag"]},
        params={"region": "GB", "lang": "en"},
    )

    # Then nothing is sent again
    assert first.status_code == 200
    assert again.status_code == 304
    assert again.content == b""


def test_org_entries_are_seen_by_their_members_only(
    api: httpx.Client, enrol: Callable[..., dict[str, str]]
) -> None:
    # Given an admin of one school adds its counselling centre
    school, other = f"school-{uuid.uuid4().hex[:6]}", f"school-{uuid.uuid4().hex[:6]}"
    admin = enrol(school, "org_admin")
    entry_id = f"centre-{uuid.uuid4().hex[:6]}"
    created = api.post("resources", headers=admin, json=org_entry(entry_id, "Chengdu"))

    # When a member of that school and a member of another school look
    own = enrol(school)
    stranger = enrol(other)
    own_list = api.get("resources", headers=own, params={"region": "CN-SC"}).json()["items"]
    stranger_list = api.get("resources", headers=stranger, params={"region": "CN-SC"}).json()[
        "items"
    ]

    # Then the school's members see it beside public lines; the other school sees no trace
    assert created.status_code == 201
    assert created.json()["org_id"] == school
    assert entry_id in {i["id"] for i in own_list}
    assert any(i["org_id"] is None for i in own_list)
    assert entry_id not in {i["id"] for i in stranger_list}
    assert api.get(f"resources/{entry_id}", headers=stranger).status_code == 404
    assert api.get(f"resources/{entry_id}", headers=own).status_code == 200


def test_only_the_owning_admin_changes_an_org_entry(
    api: httpx.Client, enrol: Callable[..., dict[str, str]]
) -> None:
    # Given an entry of one school
    school = f"school-{uuid.uuid4().hex[:6]}"
    admin, member = enrol(school, "org_admin"), enrol(school)
    other_admin = enrol(f"school-{uuid.uuid4().hex[:6]}", "org_admin")
    entry_id = f"centre-{uuid.uuid4().hex[:6]}"
    api.post("resources", headers=admin, json=org_entry(entry_id, "Mianyang"))

    # When a member, another school's admin and the owner try to change it
    by_member = api.put(f"resources/{entry_id}", headers=member, json=org_entry(entry_id, "X"))
    by_other = api.delete(f"resources/{entry_id}", headers=other_admin)
    by_owner = api.put(f"resources/{entry_id}", headers=admin, json=org_entry(entry_id, "Deyang"))
    removed = api.delete(f"resources/{entry_id}", headers=admin)

    # Then only the owner succeeds
    assert (by_member.status_code, by_other.status_code) == (403, 404)
    assert by_owner.status_code == 200
    assert by_owner.json()["name"]["en"] == "Deyang counselling centre"
    assert removed.status_code == 204
    assert api.get(f"resources/{entry_id}", headers=admin).status_code == 404


def test_invalid_org_entry_is_a_problem_naming_the_field(
    api: httpx.Client, enrol: Callable[..., dict[str, str]]
) -> None:
    # Given an admin
    admin = enrol(f"school-{uuid.uuid4().hex[:6]}", "org_admin")
    bad = org_entry("centre-bad", "Bad") | {"contact": {"phone": "call us"}}

    # When they send an entry with an impossible phone number
    response = api.post("resources", headers=admin, json=bad)

    # Then it is a 422 problem pointing at the phone field
    assert response.status_code == 422
    assert any("phone" in e["location"] for e in response.json()["errors"])


def test_crisis_list_is_short_and_carries_safe_messaging(api: httpx.Client, login: Login) -> None:
    # Given the demo member in Sichuan
    auth = login("mei")

    # When the crisis screen loads
    body = api.get("resources/crisis", headers=auth, params={"region": "CN-SC"}).json()

    # Then a message and crisis lines only, at most five
    assert body["message"]
    assert 0 < len(body["resources"]) <= 5
    assert all(r["crisis"] for r in body["resources"])


def test_stale_list_is_for_admins_only(
    api: httpx.Client, login: Login, enrol: Callable[..., dict[str, str]]
) -> None:
    # Given a member and an admin
    # When each asks for stale entries
    as_member = api.get("resources/stale", headers=login("mei"))
    as_admin = api.get("resources/stale", headers=login("admin-li"))

    # Then the member is refused and the admin gets a list
    assert as_member.status_code == 403
    assert as_admin.status_code == 200
    assert as_admin.json()["max_age_days"] == 365


def test_high_risk_checkin_response_carries_crisis_lines(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given a member who reports thoughts of self-harm on the PHQ-9
    auth = new_member()

    # When they check in
    body = api.post(
        "checkins",
        headers=auth,
        json={"mood": 1, "instruments": {"phq9": [2, 2, 2, 2, 2, 2, 2, 2, 2]}},
    ).json()

    # Then the same response carries crisis lines for China with a message
    assert body["risk"]["level"] == "high"
    crisis = body["crisis_resources"]
    assert crisis["message"]
    phones = {r["contact"].get("phone") for r in crisis["resources"]}
    assert phones & {"12356", "12355", "400-161-9995"}


def test_low_risk_checkin_carries_no_crisis_lines(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given a member having an ordinary day
    # When they check in
    body = api.post("checkins", headers=new_member(), json={"mood": 4}).json()

    # Then no crisis block is added
    assert body["crisis_resources"] is None
