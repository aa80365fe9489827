"""The campaigns HTTP contract over moto: creating, taking part, routing by tier, reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.moto_cloud import moto_clients
from tests.unit.test_campaign_world import (
    ITEM9_PHQ9,
    MINIMAL_GAD7,
    MINIMAL_PHQ9,
    MODERATE_PHQ9,
    ORG,
    OTHER_ORG,
    SEVERE_PHQ9,
    World,
    assert_problem,
    campaign_body,
)

DIAGNOSIS_WORDS = ("depression", "anxiety disorder", "disorder", "抑郁症", "焦虑症", "障碍")


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    made = World(db, monkeypatch)
    yield made
    made.http.app.dependency_overrides.clear()  # type: ignore[attr-defined]


# --- creating ------------------------------------------------------------------------------


def test_an_admin_creates_a_campaign_with_its_consent_version_and_reminder(world: World) -> None:
    # Given an admin / When they create a week-long campaign for Class 7-1
    campaign = world.create_campaign()
    # Then it is stored with a consent version, open now, reminded 24 h before closing
    assert campaign["status"] == "open"
    assert len(campaign["consent_version"]) == 16
    assert campaign["remind_at"] == "2026-11-30T00:00:00.000Z"
    assert world.audit.actions() == ["campaign.create"]
    # and both due items are queued for the announcer
    due = world.db.query(
        TableName=world.campaigns_table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "due"}},
    )["Items"]
    assert sorted(i["sk"]["S"].rsplit("#", 1)[1] for i in due) == ["close", "open"]


def test_a_short_campaign_is_reminded_at_its_midpoint(world: World) -> None:
    campaign = world.create_campaign(
        opens_at="2026-11-24T02:00:00Z", closes_at="2026-11-24T14:00:00Z"
    )
    assert campaign["remind_at"] == "2026-11-24T08:00:00.000Z"


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"closes_at": "2026-11-23T00:00:00Z"}, "closes_at"),  # before it opens, and past
        ({"opens_at": "2026-11-24T00:00:00Z", "closes_at": "2027-03-01T00:00:00Z"}, "closes_at"),
        ({"units": ["c71", "nowhere"]}, "units"),
        ({"instruments": []}, "instruments"),
        ({"instruments": ["phq9", "phq9"]}, "instruments"),
        ({"instruments": ["bdi2"]}, "instruments"),
        ({"title": {"zh-CN": "", "en": "x"}}, "title"),
        ({"title": {"zh-CN": "x" * 121, "en": "x"}}, "title"),
        ({"consent_text": {"zh-CN": "x" * 4001, "en": "x"}}, "consent_text"),
        ({"units": [f"u{n}" for n in range(51)]}, "units"),
        ({"kind": "weekly"}, "kind"),
        ({"opens_at": "2026-11-24T00:00:00"}, "opens_at"),  # no zone
    ],
)
def test_a_bad_campaign_is_a_422_problem_naming_the_field(
    world: World, changes: dict[str, Any], where: str
) -> None:
    world.as_("admin", "org_admin")
    answer = world.http.post(f"/orgs/{ORG}/campaigns", json=campaign_body(**changes))
    body = assert_problem(answer, 422, "invalid-input")
    assert any(where in e["location"] for e in body["errors"]), body


@pytest.mark.parametrize(
    ("who", "role", "org", "status"),
    [
        ("counsellor", "counsellor", ORG, 403),
        ("mei", "member", ORG, 403),
        ("supporter", "peer_supporter", ORG, 403),
        ("other_admin", "org_admin", OTHER_ORG, 404),
    ],
)
def test_only_the_organisations_admin_creates_campaigns(
    world: World, who: str, role: str, org: str, status: int
) -> None:
    world.as_(who, role, org)
    # an empty body: the role is checked before the body is read
    assert_problem(world.http.post(f"/orgs/{ORG}/campaigns", json={}), status)


def test_counsellors_read_campaigns_and_members_do_not(world: World) -> None:
    campaign = world.create_campaign()
    world.as_("counsellor", "counsellor")
    listed = world.http.get(f"/orgs/{ORG}/campaigns").json()["campaigns"]
    assert [c["campaign_id"] for c in listed] == [campaign["campaign_id"]]
    one = world.http.get(f"/orgs/{ORG}/campaigns/{campaign['campaign_id']}")
    assert one.json()["title"]["zh-CN"] == "期中心理普查"
    assert_problem(world.http.get(f"/orgs/{ORG}/campaigns/nope"), 404)
    world.as_("mei")
    assert_problem(world.http.get(f"/orgs/{ORG}/campaigns"), 403)


# --- the audience ----------------------------------------------------------------------------


def test_the_audience_is_each_unit_with_every_unit_below_it(world: World) -> None:
    # Given a campaign for Grade 7 (Class 7-1 and 7-2 below it)
    world.create_campaign(units=["g7"])
    # Then members of 7-1 and 7-2 see it, a member of Grade 8 and another org's do not
    for who, seen in (("mei", 1), ("fang", 1), ("gang", 0)):
        world.as_(who)
        campaigns = world.http.get("/me/campaigns").json()["campaigns"]
        assert len(campaigns) == seen, who
    world.as_("other_member", org_id=OTHER_ORG)
    assert world.http.get("/me/campaigns").json()["campaigns"] == []


def test_a_member_sees_the_consent_texts_and_their_own_state(world: World) -> None:
    campaign = world.create_campaign()
    world.as_("mei")
    (seen,) = world.http.get("/me/campaigns").json()["campaigns"]
    assert seen["state"] == "new"
    assert seen["consent_text"] == {"zh-CN": "我同意参加。", "en": "I agree to take part."}
    assert seen["consent_version"] == campaign["consent_version"]
    world.take_part(campaign, "mei", {"phq9": MINIMAL_PHQ9})
    world.as_("mei")
    assert world.http.get("/me/campaigns").json()["campaigns"][0]["state"] == "responded"


def test_a_member_outside_the_audience_cannot_consent_or_respond(world: World) -> None:
    campaign = world.create_campaign()
    assert_problem(world.consent(campaign, "gang"), 404)
    assert_problem(world.respond(campaign, "gang", {"phq9": MINIMAL_PHQ9}), 404)


def test_a_campaign_not_yet_open_or_closed_takes_no_consent(world: World) -> None:
    campaign = world.create_campaign(
        opens_at="2026-11-25T00:00:00Z", closes_at="2026-11-27T00:00:00Z"
    )
    assert_problem(world.consent(campaign, "mei"), 404)
    world.as_("mei")
    assert world.http.get("/me/campaigns").json()["campaigns"] == []
    world.clock.now = dt.datetime(2026, 11, 27, 0, 0, tzinfo=dt.UTC)
    assert_problem(world.consent(campaign, "mei"), 404)


# --- consent --------------------------------------------------------------------------------


def test_consent_is_recorded_with_its_time_version_and_language(world: World) -> None:
    campaign = world.create_campaign()
    answer = world.consent(campaign, "mei", language="zh-CN")
    assert answer.status_code == 201, answer.text
    (stored,) = [i for i in world.screenings_items("mei") if i["sk"].endswith("#consent")]
    assert stored["decision"] == "accept"
    assert stored["consent_version"] == campaign["consent_version"]
    assert stored["language"] == "zh-CN"
    assert stored["at"] == "2026-11-24T02:00:00.000Z"
    # the same decision again answers with the first; another decision is a conflict
    assert world.consent(campaign, "mei").status_code == 200
    assert_problem(world.consent(campaign, "mei", "decline"), 409)


def test_a_consent_to_another_version_of_the_text_is_a_conflict(world: World) -> None:
    campaign = world.create_campaign()
    assert_problem(world.consent(campaign | {"consent_version": "0" * 16}, "mei"), 409, "conflict")


def test_a_member_under_14_needs_a_guardians_consent_recorded_by_a_counsellor(
    world: World,
) -> None:
    campaign = world.create_campaign()
    # Given no guardian consent yet / Then the member's consent is refused
    refused = world.consent(campaign, "mei", under_14=True)
    assert_problem(refused, 409, "guardian-consent-required")
    # When a counsellor records it (no names: a day and a method)
    world.as_("counsellor", "counsellor")
    path = f"/orgs/{ORG}/campaigns/{campaign['campaign_id']}/guardian-consents/mei"
    recorded = world.http.put(path, json={"obtained_on": "2026-11-23", "method": "paper"})
    assert recorded.status_code == 200, recorded.text
    assert world.audit.records[-1]["action"] == "campaign_guardian_consent.record"
    assert world.audit.records[-1]["subject_id"] == "mei"
    # Then the member's consent is taken, with the guardian's noted
    accepted = world.consent(campaign, "mei", under_14=True)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["guardian_consent"] is True


def test_only_staff_record_a_guardians_consent_for_a_member_of_the_audience(
    world: World,
) -> None:
    campaign = world.create_campaign()
    path = f"/orgs/{ORG}/campaigns/{campaign['campaign_id']}/guardian-consents"
    body = {"obtained_on": "2026-11-23", "method": "phone"}
    world.as_("supporter", "peer_supporter")
    assert_problem(world.http.put(f"{path}/mei", json=body), 403)
    world.as_("lei")
    assert_problem(world.http.put(f"{path}/mei", json=body), 403)
    world.as_("counsellor", "counsellor")
    assert_problem(world.http.put(f"{path}/gang", json=body), 404)  # not in the audience
    assert_problem(world.http.put(f"{path}/nobody", json=body), 404)
    future = {"obtained_on": "2027-01-01", "method": "phone"}
    assert_problem(world.http.put(f"{path}/mei", json=future), 422)


def test_a_declined_campaign_takes_no_response_and_counts_as_declined(world: World) -> None:
    campaign = world.create_campaign()
    assert world.consent(campaign, "mei", "decline").status_code == 201
    assert_problem(world.respond(campaign, "mei", {"phq9": MINIMAL_PHQ9}), 409)
    items = {i["sk"]: i for i in world.campaign_items(campaign["campaign_id"])}
    assert items["count#c71"]["declined"] == 1
    assert items["member#mei"]["state"] == "declined"


def test_a_response_without_consent_is_a_conflict(world: World) -> None:
    campaign = world.create_campaign()
    assert_problem(world.respond(campaign, "mei", {"phq9": MINIMAL_PHQ9}), 409)


# --- responses and tiers ----------------------------------------------------------------------


def test_item_9_above_0_is_high_raises_a_signal_and_seals_the_answers(world: World) -> None:
    # Given mei consented / When she answers with item 9 above 0
    campaign = world.create_campaign()
    answer = world.take_part(campaign, "mei", {"phq9": ITEM9_PHQ9})
    # Then she is offered the C-SSRS, support is requested and crisis lines come back
    assert answer["next_step"] == "cssrs"
    assert answer["risk"] == {"level": "high"}
    assert answer["support_requested"] is True
    assert answer["crisis_resources"]["resources"]
    # and the stored item looks like a screening to the risk intake
    (item,) = [i for i in world.screenings_items("mei") if i["sk"].endswith("#response")]
    assert item["risk"] == {"level": "high"} and item["risk_level"] == "high"
    assert item["signal_ct"] and item["org_id"] == ORG and item["created_at"]
    assert (item["instrument"], item["tier"]) == ("campaign", "high")
    assert item["bands"] == {"phq9": "minimal"} and item["totals"] == {"phq9": 1}
    assert "answers" not in item and item["answers_ct"]
    assert "reasons" not in item and item["reasons_ct"]
    counts = {i["sk"]: i for i in world.campaign_items(campaign["campaign_id"])}["count#c71"]
    assert (counts["responded"], counts["tier_high"]) == (1, 1)


def test_the_cssrs_can_come_with_the_answers_after_item_9(world: World) -> None:
    campaign = world.create_campaign()
    world.consent(campaign, "mei")
    cssrs = {"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6": False}
    answer = world.respond(campaign, "mei", {"phq9": ITEM9_PHQ9}, cssrs=cssrs)
    assert answer.status_code == 201, answer.text
    assert answer.json()["next_step"] is None
    assert answer.json()["risk"] == {"level": "imminent"}


def test_a_cssrs_without_item_9_is_refused(world: World) -> None:
    campaign = world.create_campaign()
    world.consent(campaign, "mei")
    cssrs = {"q1": False, "q2": False, "q6": False}
    assert_problem(world.respond(campaign, "mei", {"phq9": MINIMAL_PHQ9}, cssrs=cssrs), 422)


def test_a_severe_band_is_high(world: World) -> None:
    campaign = world.create_campaign()
    assert world.take_part(campaign, "mei", {"phq9": SEVERE_PHQ9})["bands"] == {"phq9": "severe"}
    (item,) = [i for i in world.screenings_items("mei") if i["sk"].endswith("#response")]
    assert item["tier"] == "high"


def test_a_moderate_band_is_borderline_and_joins_the_follow_up_list(world: World) -> None:
    campaign = world.create_campaign()
    answer = world.take_part(campaign, "lei", {"phq9": MODERATE_PHQ9})
    assert answer["bands"] == {"phq9": "moderate"}
    assert answer["crisis_resources"] is None
    items = {i["sk"]: i for i in world.campaign_items(campaign["campaign_id"])}
    assert items["count#c71"]["tier_borderline"] == 1
    followup = items["followup#lei"]
    assert followup["bands"] == {"phq9": "moderate"} and "answers" not in followup


def test_a_minimal_result_is_general_and_raises_nothing(world: World) -> None:
    campaign = world.create_campaign(instruments=["phq9", "gad7"])
    answer = world.take_part(campaign, "mei", {"phq9": MINIMAL_PHQ9, "gad7": MINIMAL_GAD7})
    assert answer["risk"] == {"level": "none"} and answer["support_requested"] is False
    (item,) = [i for i in world.screenings_items("mei") if i["sk"].endswith("#response")]
    assert item["tier"] == "general" and "signal_ct" not in item


@pytest.mark.parametrize(
    "answers",
    [
        {"gad7": MINIMAL_GAD7},  # the campaign's phq9 missing, an instrument not its own
        {"phq9": MINIMAL_PHQ9, "gad7": MINIMAL_GAD7},
        {"phq9": MINIMAL_PHQ9[:8]},
        {"phq9": [*MINIMAL_PHQ9[:8], 4]},
        {"phq9": MINIMAL_PHQ9, "bdi2": [1]},
    ],
)
def test_answers_that_do_not_fit_the_campaign_are_422(
    world: World, answers: dict[str, Any]
) -> None:
    campaign = world.create_campaign()
    world.consent(campaign, "mei")
    assert_problem(world.respond(campaign, "mei", answers), 422, "invalid-input")


def test_a_second_response_is_a_conflict(world: World) -> None:
    campaign = world.create_campaign()
    world.take_part(campaign, "mei", {"phq9": MINIMAL_PHQ9})
    assert_problem(world.respond(campaign, "mei", {"phq9": MINIMAL_PHQ9}), 409)
    counts = {i["sk"]: i for i in world.campaign_items(campaign["campaign_id"])}["count#c71"]
    assert counts["responded"] == 1


# --- results ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_result_words_the_bands_plainly_and_never_diagnoses(
    world: World, language: str
) -> None:
    campaign = world.create_campaign(instruments=["phq9", "gad7"])
    world.take_part(campaign, "lei", {"phq9": MODERATE_PHQ9, "gad7": MINIMAL_GAD7})
    world.as_("lei")
    answer = world.http.get(
        f"/me/campaigns/{campaign['campaign_id']}/result", headers={"Accept-Language": language}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["language"] == language
    assert [(r["instrument"], r["band"]) for r in body["results"]] == [
        ("phq9", "moderate"),
        ("gad7", "minimal"),
    ]
    assert body["next_steps"] and body["crisis_resources"] is None
    text = answer.text.lower()
    assert not any(word in text for word in DIAGNOSIS_WORDS)


def test_a_high_result_carries_crisis_lines_and_stays_readable_after_closing(
    world: World,
) -> None:
    campaign = world.create_campaign()
    world.take_part(campaign, "mei", {"phq9": ITEM9_PHQ9})
    world.clock.now = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    world.as_("mei")
    body = world.http.get(f"/me/campaigns/{campaign['campaign_id']}/result").json()
    assert body["crisis_resources"]["resources"]
    assert body["support_requested"] is True


def test_no_result_before_answering(world: World) -> None:
    campaign = world.create_campaign()
    world.as_("mei")
    assert_problem(world.http.get(f"/me/campaigns/{campaign['campaign_id']}/result"), 404)


# --- follow-ups and stats -------------------------------------------------------------------


def test_the_follow_up_list_shows_borderline_members_and_audits_each(world: World) -> None:
    # Given lei borderline, mei high and another classmate general
    campaign = world.create_campaign()
    world.enrol("ming", "member", "c71")
    world.take_part(campaign, "lei", {"phq9": MODERATE_PHQ9})
    world.take_part(campaign, "mei", {"phq9": ITEM9_PHQ9})
    world.take_part(campaign, "ming", {"phq9": MINIMAL_PHQ9})
    world.enrol("hua", "member", "c71")
    world.take_part(campaign, "hua", {"phq9": MODERATE_PHQ9})
    before = len(world.audit.records)
    # When a counsellor reads the follow-up list
    world.as_("counsellor", "counsellor")
    answer = world.http.get(f"/orgs/{ORG}/campaigns/{campaign['campaign_id']}/followups")
    # Then lei and hua are on it, with bands and no answers, each audited with them as subject
    assert answer.status_code == 200, answer.text
    shown = answer.json()["followups"]
    assert sorted(f["member_id"] for f in shown) == ["hua", "lei"]
    assert all(
        set(f) == {"member_id", "display_name", "unit_id", "bands", "responded_at"} for f in shown
    )
    records = world.audit.records[before:]
    assert [r["action"] for r in records] == ["campaign_followups.read"] * 2
    assert sorted(r["subject_id"] for r in records) == ["hua", "lei"]


def test_only_staff_read_follow_ups_and_only_admins_stats(world: World) -> None:
    campaign = world.create_campaign()
    for who, role in (("mei", "member"), ("supporter", "peer_supporter")):
        world.as_(who, role)
        for what in ("followups", "stats"):
            path = f"/orgs/{ORG}/campaigns/{campaign['campaign_id']}/{what}"
            assert_problem(world.http.get(path), 403)
    world.as_("counsellor", "counsellor")
    assert_problem(world.http.get(f"/orgs/{ORG}/campaigns/{campaign['campaign_id']}/stats"), 403)
    world.as_("other_admin", "org_admin", OTHER_ORG)
    assert_problem(world.http.get(f"/orgs/{ORG}/campaigns/{campaign['campaign_id']}/stats"), 404)


def test_stats_suppress_a_unit_of_3_and_show_a_unit_of_6(world: World) -> None:
    # Given a Grade 7 campaign: 6 answers in Class 7-1, 3 in Class 7-2
    campaign = world.create_campaign(units=["g7"])
    c71 = ["mei", "lei", *(f"a{n}" for n in range(4))]
    c72 = ["fang", "b1", "b2"]
    for who in c71[2:]:
        world.enrol(who, "member", "c71")
    for who in c72[1:]:
        world.enrol(who, "member", "c72")
    world.repo.record_audience(campaign["campaign_id"], {"g7": 0, "c71": 6, "c72": 3})
    for who in c71:
        world.take_part(campaign, who, {"phq9": MINIMAL_PHQ9})
    for who in c72:
        world.take_part(campaign, who, {"phq9": MINIMAL_PHQ9})
    # When the admin reads the stats
    world.as_("admin", "org_admin")
    answer = world.http.get(f"/orgs/{ORG}/campaigns/{campaign['campaign_id']}/stats")
    assert answer.status_code == 200, answer.text
    report = answer.json()["report"]
    (grade,) = report["children"]
    units = {u["unit_id"]: u for u in grade["children"]}
    # Then Class 7-1 shows, Class 7-2 is suppressed, and the grade's total hides it too
    assert units["c71"]["responded"] == {"value": 6, "suppressed": False}
    assert units["c71"]["completion"] == {"value": 1.0, "suppressed": False}
    assert units["c71"]["tiers"]["general"] == {"value": 6, "suppressed": False}
    assert units["c72"]["responded"] == {"value": None, "suppressed": True}
    assert units["c72"]["completion"]["suppressed"] is True
    assert units["c72"]["tiers"]["high"] == {"value": None, "suppressed": True}
    assert grade["responded"] == {"value": None, "suppressed": True}
    assert "3" not in str([units["c72"], grade["responded"]])
