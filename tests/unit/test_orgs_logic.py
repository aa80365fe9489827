"""The orgs function's rules as plain functions: who may support a unit, who a rota may name,
what an admin sees of a person, and who is on duty once the roster has had its say
(shared/orgs/duty.py `resolve`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest

from functions.orgs.logic import person_view, rota_people, rota_refusals, supporter_refusals
from shared.orgs.duty import resolve
from shared.orgs.keys import ROTA_WEEKLY, SETTINGS, override_sk
from shared.orgs.roster import RosterEntry
from shared.orgs.rota import Slot

TODAY = dt.date(2026, 11, 24)
ORG = "school"


def person(user_id: str, role: str = "peer_supporter", **fields: Any) -> dict[str, Any]:
    return {"user_id": user_id, "role": role, "status": "active", **fields}


READY = person("sam", training_valid_until="2027-06-01", supervisor_id="cora")
CORA = person("cora", "counsellor")


def refusals(
    *wanted: str,
    people: Mapping[str, Mapping[str, Any]],
    supervisors: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[str]:
    return supporter_refusals(
        wanted, people, {"cora": CORA} if supervisors is None else supervisors, TODAY
    )


# --- supporter_refusals ------------------------------------------------------------------------


def test_trained_supervised_supporter_has_no_refusal() -> None:
    # Given an active peer supporter trained until next year, supervised by a counsellor
    # When they are checked for a unit
    # Then nothing stands in the way
    assert refusals("sam", people={"sam": READY}) == []


def test_training_valid_until_today_still_counts() -> None:
    # Given a training that lapses at the end of today
    today = {**READY, "training_valid_until": TODAY.isoformat()}
    # When checked today
    # Then it is still valid
    assert refusals("sam", people={"sam": today}) == []


@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        pytest.param(None, "not on this organisation's roster", id="not-on-roster"),
        pytest.param(
            {**READY, "status": "removed"}, "no longer on this organisation's roster", id="removed"
        ),
        pytest.param({**READY, "role": "member"}, "not a peer supporter", id="member"),
        pytest.param({**READY, "role": "counsellor"}, "not a peer supporter", id="counsellor"),
        pytest.param(
            {k: v for k, v in READY.items() if k != "training_valid_until"},
            "has no training record",
            id="untrained",
        ),
        pytest.param(
            {**READY, "training_valid_until": "2026-11-23"},
            "training lapsed on 2026-11-23",
            id="lapsed-yesterday",
        ),
        pytest.param(
            {k: v for k, v in READY.items() if k != "supervisor_id"},
            "has no supervising counsellor",
            id="no-supervisor",
        ),
        pytest.param(
            {**READY, "supervisor_id": "gone"},
            "their supervisor is no longer an active counsellor",
            id="supervisor-not-on-roster",
        ),
    ],
)
def test_supporter_who_is_not_ready_is_refused_with_one_reason(
    stored: dict[str, Any] | None, reason: str
) -> None:
    # Given a person who falls short in one way
    people = {} if stored is None else {"sam": stored}
    # When they are checked for a unit
    # Then exactly that reason is given, naming them (by position when not on the roster)
    name = "sam" if stored is not None else "supporters[0]"
    assert refusals("sam", people=people) == [f"{name}: {reason}"]


@pytest.mark.parametrize(
    "supervisor",
    [
        {**CORA, "status": "removed"},
        {**CORA, "role": "peer_supporter"},
        {**CORA, "role": "org_admin"},
    ],
    ids=["removed", "now-a-supporter", "an-admin"],
)
def test_supervisor_who_is_not_an_active_counsellor_refuses_the_supporter(
    supervisor: dict[str, Any],
) -> None:
    # Given a supporter whose supervisor left or is no longer a counsellor
    # When the supporter is checked
    found = refusals("sam", people={"sam": READY}, supervisors={"cora": supervisor})
    # Then the supervisor is the reason
    assert found == ["sam: their supervisor is no longer an active counsellor"]


def test_each_refused_supporter_gets_their_own_reason_in_the_order_asked() -> None:
    # Given one ready supporter between two who are not
    people = {"sam": READY, "lee": {**READY, "user_id": "lee", "role": "member"}}
    # When all three are checked
    found = refusals("nobody", "sam", "lee", people=people)
    # Then the two are refused, each once, in the order they were asked for
    # (an id not on the roster is named by its position: the client's text is never echoed)
    assert found == [
        "supporters[0]: not on this organisation's roster",
        "lee: not a peer supporter",
    ]


# --- rota_refusals and rota_people ------------------------------------------------------------


def test_rota_may_name_active_counsellors_and_admins() -> None:
    # Given an active counsellor and an active admin
    people = {"cora": CORA, "ada": person("ada", "org_admin")}
    # When a rota names them
    # Then nobody is refused
    assert rota_refusals({"cora", "ada"}, people) == []


def test_rota_refuses_members_supporters_and_people_not_on_the_roster_in_id_order() -> None:
    # Given a member, a supporter, a removed counsellor and an unknown id
    people = {
        "mia": person("mia", "member"),
        "sam": READY,
        "old": {**CORA, "user_id": "old", "status": "removed"},
        "cora": CORA,
    }
    # When a rota names them and a counsellor
    found = rota_refusals({"sam", "mia", "cora", "old", "zed"}, people)
    # Then each of the four is refused with why, the unknown one counted (never echoed),
    # the others sorted by id
    assert found == [
        "1 of the ids named are not on this organisation's roster",
        "mia: must be a counsellor or an org admin to be on duty",
        "old: no longer on this organisation's roster",
        "sam: must be a counsellor or an org admin to be on duty",
    ]


def test_rota_people_are_every_primary_backup_duty_officer_and_the_fallback() -> None:
    # Given two slots, one with a backup, and a fallback duty officer
    slots = [
        Slot("08:00", "20:00", "p1", "d1", backup="b1", day="mon"),
        Slot("20:00", "08:00", "p2", "d1", day="mon"),
    ]
    # When the people it names are collected
    # Then everyone is there once, and no empty backup
    assert rota_people(slots, "fb") == {"p1", "p2", "b1", "d1", "fb"}
    assert rota_people(slots, None) == {"p1", "p2", "b1", "d1"}


# --- person_view -------------------------------------------------------------------------------


def test_person_view_shows_the_admin_fields_only_and_sorts_units_supported() -> None:
    # Given a stored person item with keys, index attributes and unset fields
    stored = {
        "pk": "org#school",
        "sk": "person#sam",
        "unit_pk": "school#g7",
        "unit_sk": "peer_supporter#sam",
        "org_id": "school",
        "user_id": "sam",
        "username": "sam@school.example",
        "display_name": "Sam",
        "role": "peer_supporter",
        "status": "active",
        "unit_id": "g7",
        "phone": None,
        "training_valid_until": "2027-06-01",
        "units_supported": {"c72", "c71"},
        "created_at": "2026-09-01T00:00:00.000Z",
        "updated_at": "2026-09-02T00:00:00.000Z",
    }
    # When it is shown to an admin
    view = person_view(stored)
    # Then only the person's fields that are set come out, units as a sorted list
    assert view == {
        "user_id": "sam",
        "username": "sam@school.example",
        "display_name": "Sam",
        "role": "peer_supporter",
        "status": "active",
        "unit_id": "g7",
        "training_valid_until": "2027-06-01",
        "units_supported": ["c71", "c72"],
        "created_at": "2026-09-01T00:00:00.000Z",
        "updated_at": "2026-09-02T00:00:00.000Z",
    }


def test_person_view_of_someone_supporting_no_unit_has_an_empty_list() -> None:
    # Given a member item without units_supported
    # When shown
    # Then units_supported is an empty list, not missing
    assert person_view(person("mia", "member"))["units_supported"] == []


# --- duty.resolve ------------------------------------------------------------------------------

# Tuesday 24 November 2026, 10:00 in Shanghai; the weekly slot covers it.
AT = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)


def staff(role: str = "counsellor", *, active: bool = True) -> RosterEntry:
    return RosterEntry(org_id=ORG, user_id="x", role=role, display_name="X", active=active)


ACTIVE = {"p": staff(), "b": staff(), "d": staff("org_admin"), "fb": staff("org_admin")}


def items(**overrides: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        SETTINGS: {"time_zone": "Asia/Shanghai"},
        ROTA_WEEKLY: {
            "slots": [
                {"day": "tue", "start": "08:00", "end": "20:00", "primary": "p", "backup": "b"}
                | {"duty_officer": "d"}
            ],
            "fallback_duty_officer": "fb",
        },
    }
    return found | overrides


def on_duty(
    found: dict[str, Any], roster: Mapping[str, RosterEntry | None], at: dt.datetime = AT
) -> tuple[str | None, str | None, str | None, list[str]]:
    duty = resolve(found, at, "UTC", roster.get)
    assert duty is not None
    return duty.primary, duty.backup, duty.duty_officer, duty.warnings


def test_resolve_keeps_everyone_who_is_active_staff() -> None:
    # Given a slot whose people are all active counsellors and admins
    # When the instant it covers is resolved
    # Then they are on duty, without warnings, in the organisation's zone
    duty = resolve(items(), AT, "UTC", ACTIVE.get)
    assert duty is not None
    assert (duty.primary, duty.backup, duty.duty_officer, duty.warnings) == ("p", "b", "d", [])
    assert (duty.zone, duty.on_duty.source) == ("Asia/Shanghai", "weekly")


@pytest.mark.parametrize(
    "primary",
    [None, staff(active=False), staff("peer_supporter"), staff("member")],
    ids=["not-on-roster", "removed", "now-a-supporter", "now-a-member"],
)
def test_resolve_leaves_out_a_primary_who_is_not_active_staff_with_a_warning(
    primary: RosterEntry | None,
) -> None:
    # Given a slot whose primary is no longer active counsellor or admin staff
    roster = {**ACTIVE, "p": primary}
    # When it is resolved
    # Then the primary is left out, the rest stay, and a warning says so
    assert on_duty(items(), roster) == (
        None,
        "b",
        "d",
        ["The rota's primary is no longer active staff; left out."],
    )


def test_resolve_falls_back_to_the_fallback_duty_officer_when_the_slot_has_nobody_left() -> None:
    # Given a slot whose primary, backup and duty officer all left
    roster = {"fb": staff("org_admin")}
    # When it is resolved
    # Then the fallback duty officer is on duty alone, with a warning for each one left out
    primary, backup, officer, warnings = on_duty(items(), roster)
    assert (primary, backup, officer) == (None, None, "fb")
    assert warnings == [
        "The rota's primary is no longer active staff; left out.",
        "The rota's backup is no longer active staff; left out.",
        "The rota's duty officer is no longer active staff; left out.",
    ]


def test_resolve_leaves_nobody_when_the_fallback_left_too() -> None:
    # Given that the fallback duty officer left as well
    # When it is resolved
    # Then nobody is on duty and the fallback's absence is warned about too
    primary, backup, officer, warnings = on_duty(items(), {})
    assert (primary, backup, officer) == (None, None, None)
    assert warnings[-1] == "The rota's fallback duty officer is no longer active staff; left out."


def test_resolve_in_a_gap_gives_the_fallback_duty_officer() -> None:
    # Given an instant no slot covers (Tuesday 22:00 in Shanghai)
    late = AT + dt.timedelta(hours=12)
    # When it is resolved
    # Then only the fallback duty officer is on duty
    duty = resolve(items(), late, "UTC", ACTIVE.get)
    assert duty is not None
    assert (duty.primary, duty.duty_officer, duty.on_duty.source) == (None, "fb", "fallback")


def test_resolve_uses_a_date_override_over_the_weekly_slot() -> None:
    # Given an override for Tuesday with its own slot
    override = {
        "date": "2026-11-24",
        "slots": [{"start": "09:00", "end": "12:00"} | {"primary": "b", "duty_officer": "fb"}],
    }
    found = items(**{override_sk(dt.date(2026, 11, 24)): override})
    # When Tuesday 10:00 is resolved
    duty = resolve(found, AT, "UTC", ACTIVE.get)
    # Then the override's people are on duty
    assert duty is not None
    assert (duty.primary, duty.duty_officer, duty.on_duty.source) == ("b", "fb", "override")


def test_resolve_of_an_unknown_organisation_is_none() -> None:
    # Given no settings item (no such organisation)
    # When resolved
    # Then there is no answer
    assert resolve({}, AT, "UTC", ACTIVE.get) is None


def test_resolve_uses_the_default_zone_when_the_organisation_has_none() -> None:
    # Given settings without a zone, and a default of UTC where 02:00 Tuesday is in no slot
    found = items(**{SETTINGS: {}})
    # When resolved
    duty = resolve(found, AT, "UTC", ACTIVE.get)
    # Then the default zone applies: a gap
    assert duty is not None
    assert (duty.zone, duty.on_duty.source) == ("UTC", "fallback")
