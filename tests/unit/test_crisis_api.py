"""The crisis HTTP function on moto's DynamoDB (the template's CasesTable): acknowledging
and closing a case resume its run exactly once, the counsellor's list and case reads are
audited, `POST /help` opens an imminent case, and nobody but the organisation's
counsellors learns that a case exists. Step Functions is a recording fake: moto's does
not know the task tokens a real run hands out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient

from functions.crisis import help_app, intake, routes
from functions.crisis.cases import CaseWrites, member_pk
from functions.crisis.routes import app
from shared.dynamo import from_item, to_item
from shared.identity import Identity, current_identity
from shared.routing import clock
from shared.signing_keys import SigningKeys
from shared.vault import Vault
from tests.support.fakes import (
    Caller,
    FakeAudit,
    MovableClock,
    RosterLikeTheToken,
    fake_keyring,
    fake_signal_sealer,
    member,
)
from tests.support.moto_cloud import moto_clients
from tests.unit.test_crisis_cases import BLOB, make_cases_table

NOW = dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC)
ORG = "school"
MEMBER = "member-1"
ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:crisis"
KEYS = SigningKeys(current=b"crisis-cursor-key-for-unit-test!")


def person(user_id: str, role: str, org_id: str = ORG) -> Identity:
    return member(user_id, org_id=org_id, roles=(role,))  # type: ignore[arg-type]


COUNSELLOR = person("counsellor-1", "counsellor")
SUPPORTER = person("supporter-1", "peer_supporter")
THE_MEMBER = person(MEMBER, "member")
OTHER_COUNSELLOR = person("counsellor-9", "counsellor", org_id="company")


class FakeStepFunctions:
    """Records StartExecution and SendTaskSuccess; `refuse[token]` is the error code
    SendTaskSuccess answers for that token."""

    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.refuse: dict[str, str] = {}

    def start_execution(self, **call: Any) -> dict[str, Any]:
        if any(s["name"] == call["name"] for s in self.started):
            error = {"Error": {"Code": "ExecutionAlreadyExists", "Message": "exists"}}
            raise ClientError(error, "StartExecution")
        self.started.append(call)
        return {"executionArn": f"{ARN}:{call['name']}"}

    def send_task_success(self, **call: Any) -> dict[str, Any]:
        code = self.refuse.get(call["taskToken"])
        if code:
            raise ClientError({"Error": {"Code": code, "Message": code}}, "SendTaskSuccess")
        self.sent.append(call)
        return {}


class FakeMemberships:
    def org_of(self, user_id: str) -> str | None:
        return ORG


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


class World:
    def __init__(self, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = db
        self.table = make_cases_table(db)
        self.repo = CaseWrites(db, self.table, sleep=lambda _: None)
        self.sfn = FakeStepFunctions()
        self.audit = FakeAudit()
        self.vault = Vault(fake_keyring("crisis"), self.repo)
        self.caller = Caller(COUNSELLOR)
        self.roster = RosterLikeTheToken.installed(self.caller, monkeypatch)
        self.clock = MovableClock(NOW)
        overrides = app.dependency_overrides
        overrides[current_identity] = self.caller
        overrides[clock] = lambda: self.clock
        overrides[routes.cases] = lambda: self.repo
        overrides[routes.audit_log] = lambda: self.audit
        overrides[routes.task_tokens] = lambda: routes.TaskTokens(self.sfn)
        overrides[routes.crisis_vault] = lambda: self.vault
        overrides[help_app.workflow] = lambda: intake.Workflow(self.sfn, ARN)
        overrides[help_app.memberships] = FakeMemberships
        overrides[routes.cursor_keys] = lambda: KEYS
        self.http = TestClient(app)
        # POST /help is its own function's app (decision 30): the same overrides serve it.
        help_app.app.dependency_overrides = overrides
        self.help = TestClient(help_app.app)

    def as_(self, identity: Identity) -> World:
        self.caller.identity = identity
        return self

    def signal(
        self,
        severity: str,
        source_id: str,
        *,
        user_id: str = MEMBER,
        at: dt.datetime = NOW,
        sealed: bytes = BLOB,
    ) -> str:
        attached = self.repo.attach_signal(
            user_id, ORG, severity, source_id, sealed, at, source="checkins", item_id="2026-11-24"
        )
        return attached.case.case_id

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self.db.get_item(TableName=self.table, Key=to_item({"pk": pk, "sk": sk}))
        return from_item(found["Item"]) if "Item" in found else None

    def case_item(self, case_id: str) -> dict[str, Any]:
        found = self.item(f"case#{case_id}", "#case")
        assert found is not None
        return found


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(db, monkeypatch)
    app.dependency_overrides.clear()


def waiting_for_ack(world: World) -> str:
    case_id = world.signal("high", "checkins#1")
    world.repo.keep_token(case_id, "ack", "tok-ack-1")
    return case_id


def waiting_for_closure(world: World) -> str:
    case_id = waiting_for_ack(world)
    assert world.http.post(f"/cases/{case_id}/ack").status_code == 200
    world.repo.keep_token(case_id, "closure", "tok-close-1")
    return case_id


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


# --- POST /cases/{id}/ack ----------------------------------------------------------------


def test_an_ack_takes_the_token_once_and_resumes_the_run(world: World) -> None:
    case_id = waiting_for_ack(world)
    response = world.http.post(f"/cases/{case_id}/ack")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "case_id": case_id,
        "status": "acknowledged",
        "acknowledged_by": "counsellor-1",
        "acknowledged_at": "2026-11-24T13:00:00.000Z",
    }
    assert world.sfn.sent == [
        {"taskToken": "tok-ack-1", "output": '{"acknowledged_by": "counsellor-1"}'}
    ]
    stored = world.case_item(case_id)
    assert stored["status"] == "acknowledged"
    assert "token_ack" not in stored
    assert stored["list_pk"] == f"org#{ORG}#acknowledged"
    assert world.audit.records[-1] | {"detail": None} == {
        "org_id": ORG,
        "actor_id": "counsellor-1",
        "actor_role": "counsellor",
        "action": "case.acknowledged",
        "target_type": "case",
        "target_id": case_id,
        "detail": None,
        "subject_id": None,  # a change, not a read: not in the member's access log
    }

    again = is_problem(world.http.post(f"/cases/{case_id}/ack"), 409)
    assert "acknowledged already" in again["detail"]
    assert len(world.sfn.sent) == 1


def test_an_ack_before_the_run_asks_for_it_is_a_conflict(world: World) -> None:
    case_id = world.signal("imminent", "checkins#1")
    is_problem(world.http.post(f"/cases/{case_id}/ack"), 409)
    assert world.sfn.sent == []
    assert world.case_item(case_id)["status"] == "open"


@pytest.mark.parametrize("who", [SUPPORTER, THE_MEMBER, OTHER_COUNSELLOR])
def test_anyone_but_the_organisations_counsellors_is_told_no_such_case(
    world: World, who: Identity
) -> None:
    case_id = waiting_for_ack(world)
    world.as_(who)
    for call in (
        world.http.post(f"/cases/{case_id}/ack"),
        world.http.post(f"/cases/{case_id}/close", json={"outcome": "resolved"}),
        world.http.get(f"/cases/{case_id}"),
    ):
        assert is_problem(call, 404)["detail"] == "No such case."
    assert world.sfn.sent == []
    assert world.case_item(case_id)["token_ack"] == "tok-ack-1"
    assert world.audit.records == []


def test_a_counsellor_no_longer_on_the_roster_is_told_no_such_case(world: World) -> None:
    case_id = waiting_for_ack(world)
    world.roster.overrides[(ORG, "counsellor-1")] = None
    is_problem(world.http.post(f"/cases/{case_id}/ack"), 404)
    assert world.sfn.sent == []


def test_a_case_that_does_not_exist_is_404(world: World) -> None:
    is_problem(world.http.post("/cases/nope/ack"), 404)
    is_problem(world.http.get("/cases/nope"), 404)


def test_an_ack_after_the_tier_timed_out_is_a_clear_conflict(world: World) -> None:
    case_id = waiting_for_ack(world)
    world.sfn.refuse["tok-ack-1"] = "TaskTimedOut"
    body = is_problem(world.http.post(f"/cases/{case_id}/ack"), 409)
    assert "too late" in body["detail"]
    stored = world.case_item(case_id)
    assert stored["status"] == "open"
    assert stored["list_pk"] == f"org#{ORG}#open"
    assert "acknowledged_by" not in stored and "token_ack" not in stored
    assert world.audit.actions() == ["case.ack_too_late"]

    world.repo.keep_token(case_id, "ack", "tok-ack-2")  # the next tier waits
    assert world.http.post(f"/cases/{case_id}/ack").status_code == 200
    assert [s["taskToken"] for s in world.sfn.sent] == ["tok-ack-2"]


def test_step_functions_out_of_reach_puts_the_token_back(world: World) -> None:
    case_id = waiting_for_ack(world)
    world.sfn.refuse["tok-ack-1"] = "ThrottlingException"
    is_problem(world.http.post(f"/cases/{case_id}/ack"), 503)
    stored = world.case_item(case_id)
    assert (stored["status"], stored["token_ack"]) == ("open", "tok-ack-1")
    del world.sfn.refuse["tok-ack-1"]
    assert world.http.post(f"/cases/{case_id}/ack").status_code == 200


# --- POST /cases/{id}/close --------------------------------------------------------------


def test_closing_resumes_the_run_and_frees_the_member_for_a_new_case(world: World) -> None:
    case_id = waiting_for_closure(world)
    outcome = {"watch_level": 2, "review_on": "2026-12-08"}
    response = world.http.post(f"/cases/{case_id}/close", json={"outcome": outcome})
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == {"kind": "watch", **outcome}
    assert world.sfn.sent[-1]["taskToken"] == "tok-close-1"
    stored = world.case_item(case_id)
    assert stored["status"] == "closed" and "token_closure" not in stored
    assert stored["outcome"] == {"kind": "watch", **outcome}
    assert world.item(member_pk(MEMBER), "open") is None
    assert world.audit.records[-1]["action"] == "case.closed"
    assert world.audit.records[-1]["detail"] == {
        "outcome": "watch",
        "watch_level": 2,
        "review_on": "2026-12-08",
    }

    is_problem(world.http.post(f"/cases/{case_id}/close", json={"outcome": "resolved"}), 409)
    assert world.signal("watch", "checkins#2") != case_id  # a later signal opens a new case


def test_closing_a_case_whose_run_is_not_waiting_for_it_is_a_conflict(world: World) -> None:
    case_id = waiting_for_ack(world)
    body = is_problem(world.http.post(f"/cases/{case_id}/close", json={"outcome": "referred"}), 409)
    assert "not waiting for closure" in body["detail"]
    assert world.case_item(case_id)["status"] == "open"
    assert world.item(member_pk(MEMBER), "open") is not None


@pytest.mark.parametrize(
    "outcome",
    [
        "fixed",
        {"watch_level": 4, "review_on": "2026-12-08"},
        {"watch_level": 0, "review_on": "2026-12-08"},
        {"watch_level": 2},
        {"watch_level": 2, "review_on": "soon"},
        None,
    ],
)
def test_a_bad_outcome_is_422(world: World, outcome: Any) -> None:
    case_id = waiting_for_closure(world)
    is_problem(world.http.post(f"/cases/{case_id}/close", json={"outcome": outcome}), 422)
    assert world.case_item(case_id)["token_closure"] == "tok-close-1"


def test_a_closure_the_run_no_longer_waits_for_is_undone(world: World) -> None:
    case_id = waiting_for_closure(world)
    world.sfn.refuse["tok-close-1"] = "InvalidToken"
    is_problem(world.http.post(f"/cases/{case_id}/close", json={"outcome": "resolved"}), 409)
    stored = world.case_item(case_id)
    assert stored["status"] == "acknowledged" and "outcome" not in stored
    assert world.item(member_pk(MEMBER), "open") == {
        "pk": member_pk(MEMBER),
        "sk": "open",
        "case_id": case_id,
    }
    assert world.audit.actions()[-1] == "case.close_refused"


# --- GET /cases, GET /cases/{id} ------------------------------------------------------------


def test_the_list_puts_imminent_first_then_the_oldest(world: World) -> None:
    hour = dt.timedelta(hours=1)
    watch = world.signal("watch", "s1", user_id="m1", at=NOW - 3 * hour)
    high_old = world.signal("high", "s2", user_id="m2", at=NOW - 2 * hour)
    high_new = world.signal("high", "s3", user_id="m3", at=NOW - hour)
    imminent = world.signal("imminent", "s4", user_id="m4", at=NOW)

    first = world.http.get("/cases", params={"limit": 2})
    assert first.status_code == 200, first.text
    assert [c["case_id"] for c in first.json()["items"]] == [imminent, high_old]
    cursor = first.json()["next_cursor"]
    second = world.http.get("/cases", params={"limit": 2, "cursor": cursor}).json()
    assert [c["case_id"] for c in second["items"]] == [high_new, watch]

    only_high = world.http.get("/cases", params={"severity": "high"}).json()
    assert [c["case_id"] for c in only_high["items"]] == [high_old, high_new]
    assert only_high["items"][0]["user_id"] == "m2"

    other_query = world.http.get("/cases", params={"severity": "high", "cursor": cursor})
    is_problem(other_query, 400)
    assert world.audit.actions() == ["case.list_read"] * 3
    assert world.audit.records[0]["detail"] == {"status": "open", "severity": "any", "count": 2}


def test_the_list_is_for_the_organisations_counsellors_only(world: World) -> None:
    world.signal("imminent", "s1")
    for who in (SUPPORTER, THE_MEMBER):
        world.as_(who)
        is_problem(world.http.get("/cases"), 404)
    world.as_(OTHER_COUNSELLOR)  # their own organisation's list: none of ours
    assert world.http.get("/cases").json() == {"items": [], "next_cursor": None}
    world.as_(COUNSELLOR)
    is_problem(world.http.get("/cases", params={"status": "lost"}), 422)
    is_problem(world.http.get("/cases", params={"cursor": "forged.cursor.value"}), 400)


def test_a_case_shows_its_signals_and_opens_only_the_crisis_vaults_words(world: World) -> None:
    # Given a help request, and a check-in signal whose reasons the crisis vault did not
    # seal (as its source sealed them, before the intake sealed reasons for the case)
    world.as_(THE_MEMBER)
    helped = world.help.post("/help", json={"text": "我撑不下去了"})
    assert helped.status_code == 202, helped.text
    world.signal("high", "checkins#1", at=NOW - dt.timedelta(minutes=5))
    case_id = world.repo.open_case_of(MEMBER).case_id  # type: ignore[union-attr]

    world.as_(COUNSELLOR)
    response = world.http.get(f"/cases/{case_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["severity"], body["signals"]) == ("open", "imminent", 2)
    assert body["signal_details"] == [
        {
            "source": "checkins",
            "level": "high",
            "received_at": "2026-11-24T12:55:00.000Z",
            "reasons": None,
            "text": None,
        },
        {
            "source": "help",
            "level": "imminent",
            "received_at": "2026-11-24T13:00:00.000Z",
            "reasons": ["help_requested"],
            "text": "我撑不下去了",
        },
    ]
    assert "token_ack" not in response.text
    assert world.audit.records[-1]["action"] == "case.read"
    assert world.audit.records[-1]["detail"] == {"signals": 2}
    # the member whose case it is can find this read in their access log
    assert world.audit.records[-1]["subject_id"] == body["user_id"]


def test_a_counsellor_reads_the_reasons_the_intake_sealed_for_the_case(world: World) -> None:
    # Given a check-in signal whose reasons the intake sealed with the crisis vault
    reasons = intake.Reasons(fake_signal_sealer(), world.vault)
    sealed = reasons.seal(MEMBER, "2026-11-24", ["phq9_item9_positive", "very_low_mood"])
    case_id = world.signal("high", "checkins:2026-11-24:1", sealed=sealed)

    # When a counsellor of the organisation reads the case
    world.as_(COUNSELLOR)
    response = world.http.get(f"/cases/{case_id}")

    # Then the signal shows its reason codes in plain, and no ciphertext
    assert response.status_code == 200, response.text
    (signal,) = response.json()["signal_details"]
    assert signal["reasons"] == ["phq9_item9_positive", "very_low_mood"]
    assert "reasons_ct" not in response.text


# --- POST /help ----------------------------------------------------------------------------


def test_help_opens_an_imminent_case_and_starts_its_run(world: World) -> None:
    world.as_(THE_MEMBER)
    response = world.help.post("/help", json={"text": "please call me"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["support_requested"] is True
    assert "counsellor" in body["message"]
    assert body["crisis_resources"]["resources"]
    assert set(body) == {"support_requested", "message", "crisis_resources"}

    case = world.repo.open_case_of(MEMBER)
    assert case is not None and case.severity == "imminent" and case.org_id == ORG
    assert [s["name"] for s in world.sfn.started] == [f"{case.case_id}-r1"]
    assert world.sfn.started[0]["stateMachineArn"] == ARN
    scanned = str(world.db.scan(TableName=world.table)["Items"])
    assert "please call me" not in scanned and "help_requested" not in scanned


def test_help_raises_an_open_case_to_imminent(world: World) -> None:
    case_id = world.signal("watch", "checkins#1")
    world.as_(THE_MEMBER)
    assert world.help.post("/help").status_code == 202
    case = world.repo.case(case_id)
    assert case is not None and (case.severity, case.revision) == ("imminent", 2)
    assert [s["name"] for s in world.sfn.started] == [f"{case_id}-r2"]


def test_help_retried_with_its_key_changes_nothing(world: World) -> None:
    world.as_(THE_MEMBER)
    headers = {"Idempotency-Key": "help-1"}
    for _ in range(2):
        assert world.help.post("/help", json={}, headers=headers).status_code == 202
    case = world.repo.open_case_of(MEMBER)
    assert case is not None and case.signals == 1
    assert len(world.sfn.started) == 1


@pytest.mark.parametrize("body", [{"text": "x" * 2001}, {"text": 5}, {"mood": 1}])
def test_bad_help_input_is_422(world: World, body: dict[str, Any]) -> None:
    world.as_(THE_MEMBER)
    is_problem(world.help.post("/help", json=body), 422)
    assert world.sfn.started == []
