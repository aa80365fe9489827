"""The risk intake: which stream records are signals (pure), and the handler on moto's
DynamoDB and Step Functions (a dummy state machine): a case per member, a workflow run
per revision, replays that start nothing new."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from functions.crisis import intake, intake_logic
from functions.crisis.cases import CasesRepository
from functions.crisis.intake import Dependencies, LowMoodRule, Memberships, Reasons, Workflow
from functions.crisis.moods import MoodHistory
from shared.crisis.signal_seal import SignalSealer
from shared.envelope import KeyRing
from shared.vault import Vault
from tests.support.events import lambda_context
from tests.support.moto_cloud import REGION, fresh_name, moto_clients
from tests.support.tables import create_table
from tests.unit.test_crisis_cases import LinedUp, make_cases_table

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
MEMBER = "5f1c7a2e-member-sub"
BLOB = b"\x01\x9a\x02sealed reasons"
CHECKINS, JOURNAL, PEER = "checkins-table", "journal-table", "peer-table"
ACCOUNT = "123456789012"
_serialize = TypeSerializer().serialize


# --- records as DynamoDB streams deliver them ---------------------------------------------


def _wire(value: Any) -> dict[str, Any]:
    """One attribute as the Lambda event's JSON has it (binary as base64 text)."""
    serialized = dict(_serialize(value))
    if "B" in serialized:
        serialized["B"] = base64.b64encode(serialized["B"]).decode()
    return serialized


def image(**fields: Any) -> dict[str, Any]:
    return {k: _wire(v) for k, v in fields.items() if v is not None}


def checkin(
    level: str,
    day: str = "2026-11-24",
    stamp: str = "2026-11-24T12:59:00.000Z",
    mood: int = 1,
    signal_ct: bytes = BLOB,
) -> Any:
    """A stored check-in (functions/checkins/repository.py): the level plain, reasons sealed
    for the member (`reasons_ct`) and, when risky, for the crisis feature (`signal_ct`)."""
    return image(
        user_id=MEMBER,
        date=day,
        mood=mood,
        risk={"level": level},
        risk_level=level,
        reasons_ct=BLOB if level != "none" else None,
        signal_ct=signal_ct if level != "none" else None,
        created_at="2026-11-24T08:00:00.000Z",
        updated_at=stamp,
        org_id="school",
    )


def record(
    name: str,
    table: str,
    keys: dict[str, Any],
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    n: int = 1,
) -> dict[str, Any]:
    change: dict[str, Any] = {
        "Keys": image(**keys),
        "SequenceNumber": str(n),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        change["OldImage"] = old
    if new is not None:
        change["NewImage"] = new
    return {
        "eventID": f"event-{n}",
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/2026",
        "dynamodb": change,
    }


def checkin_record(name: str, old: Any, new: Any, day: str = "2026-11-24", n: int = 1) -> Any:
    return record(name, CHECKINS, {"user_id": MEMBER, "date": day}, old, new, n)


def batch(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def plain(raw: dict[str, Any]) -> dict[str, Any]:
    """An image deserialized the way Powertools does (binary left as the event's text)."""
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import StreamRecord

    return StreamRecord({"NewImage": raw}).new_image


# --- which records are signals (pure) -----------------------------------------------------


@pytest.mark.parametrize("level", ["watch", "high", "imminent"])
def test_a_new_risky_checkin_is_a_signal_at_its_level(level: str) -> None:
    # Given a check-in written with a risk level
    new = plain(checkin(level))
    # When the record is judged
    found = intake_logic.signal(
        "INSERT", "checkins", {"user_id": MEMBER, "date": "2026-11-24"}, {}, new
    )
    # Then it is a signal of that member and level, named by the write, carrying the reasons
    # sealed for the crisis feature (not the source's own `reasons_ct`)
    assert found == intake_logic.Signal(
        user_id=MEMBER,
        severity=level,
        source="checkins",
        item_id="2026-11-24",
        source_id="checkins:2026-11-24:2026-11-24T12:59:00.000Z",
        sealed_reasons=None,
        mood=1,
        signal_ct=BLOB,
    )


def test_a_checkin_without_risk_is_no_signal() -> None:
    keys = {"user_id": MEMBER, "date": "2026-11-24"}
    assert intake_logic.signal("INSERT", "checkins", keys, {}, plain(checkin("none"))) is None


@pytest.mark.parametrize(
    ("before", "after"), [("high", "high"), ("imminent", "high"), ("high", "watch")]
)
def test_a_rewrite_that_does_not_raise_the_level_is_no_signal(before: str, after: str) -> None:
    keys = {"user_id": MEMBER, "date": "2026-11-24"}
    old, new = plain(checkin(before)), plain(checkin(after, stamp="2026-11-24T14:00:00.000Z"))
    assert intake_logic.signal("MODIFY", "checkins", keys, old, new) is None


def test_a_rewrite_that_raises_the_level_is_a_new_signal() -> None:
    # Given a watch check-in rewritten the same day at high
    keys = {"user_id": MEMBER, "date": "2026-11-24"}
    old, new = plain(checkin("watch")), plain(checkin("high", stamp="2026-11-24T14:00:00.000Z"))
    # When judged, then it is a signal with an id of its own (the rewrite's stamp)
    found = intake_logic.signal("MODIFY", "checkins", keys, old, new)
    assert found is not None and found.severity == "high"
    assert found.source_id == "checkins:2026-11-24:2026-11-24T14:00:00.000Z"


def test_a_removal_is_no_signal() -> None:
    keys = {"user_id": MEMBER, "date": "2026-11-24"}
    assert intake_logic.signal("REMOVE", "checkins", keys, plain(checkin("imminent")), {}) is None


def test_a_journal_entry_is_named_by_its_id_and_version() -> None:
    # Given a journal entry at version 3 whose lexicon found a high risk
    new = plain(
        image(
            user_id=MEMBER,
            entry_id="e-42",
            version=3,
            updated_at="2026-11-24T12:00:00.000Z",
            risk={"level": "high", "recommended_screener": None},
            risk_level="high",
            reasons_ct=BLOB,
        )
    )
    # When judged
    found = intake_logic.signal(
        "INSERT", "journal", {"user_id": MEMBER, "entry_id": "e-42"}, {}, new
    )
    # Then the version names the write (not "3.0" or Decimal noise), and the mood is unknown
    assert found is not None
    assert (found.source_id, found.mood) == ("journal:e-42:3", None)


def test_a_screening_is_named_by_its_key_and_when_it_was_taken() -> None:
    # Given a C-SSRS screening (functions/screenings/repository.py: never rewritten)
    sk = "screening#2026-11-24T12:00:00.000Z#s-1"
    new = plain(
        image(
            user_id=MEMBER,
            sk=sk,
            id="s-1",
            tier="high",
            risk={"level": "imminent"},
            risk_level="imminent",
            created_at="2026-11-24T12:00:00.000Z",
            reasons_ct=BLOB,
        )
    )
    # When judged, then it is an imminent signal named by its key and its creation
    found = intake_logic.signal("INSERT", "screenings", {"user_id": MEMBER, "sk": sk}, {}, new)
    assert found is not None and found.severity == "imminent"
    assert found.source_id == f"screenings:{sk}:2026-11-24T12:00:00.000Z"


@pytest.mark.parametrize(
    "item",
    [
        {"user_id": MEMBER, "entry_id": "#meta", "edk": b"k"},
        {"user_id": MEMBER, "entry_id": "e-1", "deleted": True, "version": 4},
        {"user_id": MEMBER, "date": "#key", "edk": b"k"},
    ],
)
def test_items_without_a_risk_are_no_signal(item: dict[str, Any]) -> None:
    keys = {k: v for k, v in item.items() if k in ("user_id", "entry_id", "date")}
    assert intake_logic.signal("INSERT", "journal", keys, {}, plain(image(**item))) is None


CONCERN_KEYS = {"pk": f"member#{MEMBER}", "sk": "concern#c-1"}


def concern_image(level: str = "watch", signal_ct: bytes | None = BLOB) -> dict[str, Any]:
    """A supporter's concern as functions/peer/concerns.py stores it in the peer table."""
    return image(
        **CONCERN_KEYS,
        user_id=MEMBER,
        org_id="school",
        raised_by="supporter-1",
        urgent=level == "high",
        risk_level=level,
        created_at="2026-11-24T12:30:00.000Z",
        signal_ct=signal_ct,
        note_ct=BLOB,
    )


@pytest.mark.parametrize("level", ["watch", "high"])
def test_a_peer_concern_is_a_signal_of_its_member_named_by_its_sort_key(level: str) -> None:
    # Given a concern (urgent: high) on the peer table's stream
    new = plain(concern_image(level))
    # When judged as a record of the peer feature's table
    found = intake_logic.signal("INSERT", "peer", CONCERN_KEYS, {}, new)
    # Then it is the member's signal (not the supporter's) at that level, from "peer", named
    # by its sort key (the partition names the member) and its creation
    assert found == intake_logic.Signal(
        user_id=MEMBER,
        severity=level,
        source="peer",
        item_id="concern#c-1",
        source_id="peer:concern#c-1:2026-11-24T12:30:00.000Z",
        sealed_reasons=None,
        mood=None,
        signal_ct=BLOB,
    )


@pytest.mark.parametrize(
    ("keys", "item"),
    [
        ({"pk": f"member#{MEMBER}", "sk": "#key"}, {"user_id": MEMBER, "edk": b"k"}),
        (
            {"pk": "supporter#s-1", "sk": "inbox#2026-11-24#x"},
            {"user_id": MEMBER, "mood": 1, "status": "open"},
        ),
    ],
)
def test_peer_items_without_a_risk_are_no_signal(
    keys: dict[str, Any], item: dict[str, Any]
) -> None:
    assert intake_logic.signal("INSERT", "peer", keys, {}, plain(image(**keys, **item))) is None


def test_a_peer_item_is_no_answer_to_a_follow_up() -> None:
    new = plain(concern_image())
    assert intake_logic.answer("INSERT", "peer", CONCERN_KEYS, new) is None


def test_a_stream_is_named_by_its_feature_else_its_table() -> None:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{CHECKINS}/stream/2026-11-24T00:00:00.000"
    assert intake_logic.source_of(arn, {CHECKINS: "checkins"}) == "checkins"
    assert intake_logic.source_of(arn, {}) == CHECKINS


def test_numbers_read_from_an_image_are_plain() -> None:
    assert intake_logic.revision({"version": Decimal("7")}) == "7"
    assert intake_logic.mood({"mood": Decimal("2")}) == 2
    assert intake_logic.mood({"mood": True}) is None


# --- the handler ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _metrics_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Handlers flush Powertools metrics; metrics left by earlier tests need a namespace."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PeerSupportTest")


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    with moto_clients("dynamodb", "stepfunctions", "kms") as clients:
        yield clients


class World:
    """Tables and a state machine of this test's own, and the intake wired to them."""

    def __init__(self, clients: dict[str, Any]) -> None:
        self.db, self.sfn = clients["dynamodb"], clients["stepfunctions"]
        self.cases_table = make_cases_table(self.db)
        self.orgs_table = create_table(self.db, "OrgsTable", fresh_name("orgs"))
        self.machine = self.sfn.create_state_machine(
            name=fresh_name("crisis"),
            definition=json.dumps(
                {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
            ),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/crisis",
        )["stateMachineArn"]
        self.cases = CasesRepository(self.db, self.cases_table, sleep=lambda _: None)
        self.kms = clients["kms"]
        self.key_id = self.kms.create_key()["KeyMetadata"]["KeyId"]
        # What the source features hold (Encrypt only, in production) ...
        self.signals = SignalSealer(self.kms, self.key_id)
        # ... and the crisis vault on the cases table's key items, as the counsellor's view.
        self.vault = Vault(KeyRing(self.kms, self.key_id, "crisis"), self.cases)

    def deps(
        self,
        db: Any = None,
        sfn: Any = None,
        machine: str | None = None,
        low_mood: LowMoodRule | None = None,
    ) -> Dependencies:
        cases = CasesRepository(db or self.db, self.cases_table, sleep=lambda _: None)
        return Dependencies(
            cases=cases,
            organisation=Memberships(db or self.db, self.orgs_table).org_of,
            workflow=Workflow(sfn or self.sfn, machine or self.machine),
            sources={CHECKINS: "checkins", JOURNAL: "journal", PEER: "peer"},
            clock=lambda: NOW,
            reasons=Reasons(self.signals, Vault(KeyRing(self.kms, self.key_id, "crisis"), cases)),
            moods=MoodHistory(db or self.db, self.cases_table),
            low_mood=low_mood or LowMoodRule(),
        )

    def signal_items(self, case_id: str) -> list[dict[str, Any]]:
        return sorted(self.cases.signals(case_id), key=lambda i: str(i["source_id"]))

    def opened_reasons(self, item: dict[str, Any]) -> Any:
        """The reasons of a signal item as the counsellor's view opens them."""
        key = self.vault.key_for_reading(MEMBER)
        item_id = str(item["item_id"])
        return self.vault.open_fields(key, MEMBER, item_id, item, ["reasons"])["reasons"]

    def member_of(self, org_id: str, user_id: str = MEMBER) -> None:
        """The membership item the orgs feature writes (shared/orgs/keys.py)."""
        self.db.put_item(
            TableName=self.orgs_table,
            Item={"pk": {"S": f"user#{user_id}"}, "sk": {"S": "org"}, "org_id": {"S": org_id}},
        )

    def runs(self) -> list[dict[str, Any]]:
        found = self.sfn.list_executions(stateMachineArn=self.machine)["executions"]
        return sorted(found, key=lambda e: e["name"])

    def run_input(self, name: str) -> dict[str, Any]:
        arn = f"{self.machine.replace(':stateMachine:', ':execution:')}:{name}"
        return dict(json.loads(self.sfn.describe_execution(executionArn=arn)["input"]))


@pytest.fixture
def world(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> World:
    made = World(aws)
    made.member_of("school")
    wired = made.deps()
    monkeypatch.setattr(intake, "dependencies", lambda: wired)
    return made


def handle(event: dict[str, Any]) -> dict[str, Any]:
    return intake.handler(event, lambda_context("risk-intake"))


def test_a_risky_checkin_opens_a_case_and_starts_its_first_run(world: World) -> None:
    # Given a member of the school
    # When their high check-in arrives on the stream
    result = handle(batch(checkin_record("INSERT", None, checkin("high"))))
    # Then their case is open and its run r1 started with the case's facts
    assert result == {"batchItemFailures": []}
    case = world.cases.open_case_of(MEMBER)
    assert case is not None and (case.org_id, case.severity) == ("school", "high")
    assert [r["name"] for r in world.runs()] == [f"{case.case_id}-r1"]
    assert world.run_input(f"{case.case_id}-r1") == {
        "case_id": case.case_id,
        "user_id": MEMBER,
        "org_id": "school",
        "severity": "high",
        "revision": 1,
        "opening_mood": 1,
    }


def test_a_member_of_no_organisation_still_gets_a_case_and_a_run(world: World) -> None:
    # Given a member with no membership item
    world.db.delete_item(
        TableName=world.orgs_table, Key={"pk": {"S": f"user#{MEMBER}"}, "sk": {"S": "org"}}
    )
    # When their imminent check-in arrives
    handle(batch(checkin_record("INSERT", None, checkin("imminent"))))
    # Then the case is under org "none" and its run started (the workflow's fallback)
    case = world.cases.open_case_of(MEMBER)
    assert case is not None and case.org_id == "none"
    assert len(world.runs()) == 1


def test_a_raise_starts_the_next_revisions_run_and_an_attach_starts_none(world: World) -> None:
    # Given a watch case
    handle(batch(checkin_record("INSERT", None, checkin("watch", day="2026-11-23"), "2026-11-23")))
    # When a watch journal entry, then an imminent check-in arrive
    entry = image(
        user_id=MEMBER, entry_id="e-1", version=1, risk={"level": "watch"}, reasons_ct=BLOB
    )
    handle(batch(record("INSERT", JOURNAL, {"user_id": MEMBER, "entry_id": "e-1"}, None, entry, 2)))
    after_attach = len(world.runs())
    handle(batch(checkin_record("INSERT", None, checkin("imminent"), n=3)))
    # Then only the raise started a run: r2, at imminent
    case = world.cases.open_case_of(MEMBER)
    assert case is not None and (case.severity, case.revision, case.signals) == ("imminent", 2, 3)
    assert after_attach == 1
    assert [r["name"] for r in world.runs()] == [f"{case.case_id}-r1", f"{case.case_id}-r2"]
    assert world.run_input(f"{case.case_id}-r2")["severity"] == "imminent"


def test_a_replayed_record_starts_no_second_run(world: World) -> None:
    # Given a check-in that opened a case
    event = batch(checkin_record("INSERT", None, checkin("high")))
    handle(event)
    case = world.cases.open_case_of(MEMBER)
    # When the same record is delivered twice more
    assert handle(event) == handle(event) == {"batchItemFailures": []}
    # Then the case is as it was and there is still one run
    assert world.cases.open_case_of(MEMBER) == case
    assert len(world.runs()) == 1


def test_execution_already_exists_counts_as_success(world: World) -> None:
    # Given a case whose run has ended (the name is taken for good)
    event = batch(checkin_record("INSERT", None, checkin("high")))
    handle(event)
    (run,) = world.runs()
    world.sfn.stop_execution(executionArn=run["executionArn"])
    case = world.cases.open_case_of(MEMBER)
    assert case is not None
    # When the workflow is asked for that run again, directly and through a replayed record
    started = Workflow(world.sfn, world.machine).start(case)
    result = handle(event)
    # Then ExecutionAlreadyExists is an answer, not a failure
    assert started is False
    assert result == {"batchItemFailures": []}
    assert len(world.runs()) == 1


def test_a_run_that_could_not_start_is_started_by_the_replay(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Step Functions refusing the start once (here: a state machine that is not there)
    broken = world.deps(machine=world.machine + "-missing")
    monkeypatch.setattr(intake, "dependencies", lambda: broken)
    event = batch(
        checkin_record("INSERT", None, checkin("high")),
        checkin_record("INSERT", None, checkin("none", day="2026-11-23"), "2026-11-23", n=2),
    )
    # When the batch is handled, the signal's record fails; then the stream delivers it again
    failed = handle(event)
    monkeypatch.setattr(intake, "dependencies", world.deps)
    retried = handle(event)
    # Then the case was written once, and the replay started its run
    assert failed == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert retried == {"batchItemFailures": []}
    case = world.cases.open_case_of(MEMBER)
    assert case is not None and case.signals == 1
    assert [r["name"] for r in world.runs()] == [f"{case.case_id}-r1"]


@pytest.mark.parametrize(
    "change",
    [
        checkin_record(
            "MODIFY", checkin("high"), checkin("high", stamp="2026-11-24T15:00:00.000Z")
        ),
        checkin_record("REMOVE", checkin("imminent"), None),
        checkin_record("INSERT", None, checkin("none")),
    ],
    ids=["modify-not-raising", "remove", "no-risk"],
)
def test_records_that_are_no_signal_change_nothing(world: World, change: dict[str, Any]) -> None:
    assert handle(batch(change)) == {"batchItemFailures": []}
    assert world.cases.open_case_of(MEMBER) is None
    assert world.runs() == []


class RecordingLogger:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def _log(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.lines.append(json.dumps([message, args, kwargs], default=str))

    info = debug = warning = error = exception = _log


def test_logs_name_the_case_never_the_member(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the intake's log lines recorded
    recorded = RecordingLogger()
    monkeypatch.setattr(intake, "logger", recorded)
    # When a signal opens a case
    handle(batch(checkin_record("INSERT", None, checkin("high"))))
    # Then the log names the case, and nowhere the member
    case = world.cases.open_case_of(MEMBER)
    assert case is not None and any(case.case_id in line for line in recorded.lines)
    assert not any(MEMBER in line for line in recorded.lines)


class Atomic:
    """A moto client whose calls are each atomic, as AWS's are, when threads share it."""

    def __init__(self, client: Any, lock: threading.Lock) -> None:
        self._client, self._lock = client, lock

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            with self._lock:
                return method(**kwargs)

        return call


SEVERITIES = [
    "watch",
    "high",
    "watch",
    "imminent",
    "high",
    "watch",
    "high",
    "watch",
    "watch",
    "high",
]


def test_ten_signals_at_once_make_one_case_and_one_run_per_revision(world: World) -> None:
    # Given ten risky check-ins of one member, all finding the member without a case
    deps = world.deps(db=LinedUp(world.db, 10), sfn=Atomic(world.sfn, threading.Lock()))
    signals = [
        intake_logic.Signal(MEMBER, severity, "checkins", f"d{n}", f"checkins:d{n}:1", BLOB, None)
        for n, severity in enumerate(SEVERITIES)
    ]
    # When they are taken in concurrently
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda s: intake.take_in(s, deps), signals))
    # Then there is one case, and exactly one run for each of its revisions
    case = world.cases.open_case_of(MEMBER)
    assert case is not None and (case.severity, case.signals) == ("imminent", 10)
    assert {attached.case.case_id for attached, _ in results} == {case.case_id}
    wanted = [f"{case.case_id}-r{n}" for n in range(1, case.revision + 1)]
    assert [r["name"] for r in world.runs()] == sorted(wanted)
    assert sum(ran for _, ran in results) == case.revision


# --- the member's next check-in answers the waiting follow-up -------------------------------


def test_any_checkin_is_an_answer_with_its_level_and_mood() -> None:
    keys = {"user_id": MEMBER, "date": "2026-11-25"}
    calm = intake_logic.answer("INSERT", "checkins", keys, plain(checkin("none", mood=4)))
    risky = intake_logic.answer("MODIFY", "checkins", keys, plain(checkin("high", mood=2)))
    assert calm is not None and calm.output == {"level": "none", "mood": 4}
    assert risky is not None and risky.output == {"level": "high", "mood": 2}


@pytest.mark.parametrize(
    ("event_name", "source", "keys", "item"),
    [
        ("REMOVE", "checkins", {"date": "2026-11-25"}, {"mood": 3}),
        ("INSERT", "checkins", {"date": "#key"}, {"edk": b"k"}),
        ("INSERT", "checkins", {"date": "2026-11-25"}, {"risk_level": "none"}),
        ("INSERT", "journal", {"entry_id": "e-1"}, {"mood": 3, "risk": {"level": "high"}}),
    ],
    ids=["remove", "key-item", "no-mood", "journal"],
)
def test_what_is_not_an_answer(
    event_name: str, source: str, keys: dict[str, Any], item: dict[str, Any]
) -> None:
    new = plain(image(user_id=MEMBER, **keys, **item))
    assert intake_logic.answer(event_name, source, {"user_id": MEMBER, **keys}, new) is None


class RecordingStepFunctions:
    """moto's Step Functions for starts; SendTaskSuccess recorded, or refused with `refuse`."""

    def __init__(self, real: Any, refuse: str | None = None) -> None:
        self._real = real
        self.refuse = refuse
        self.sent: list[dict[str, Any]] = []

    def send_task_success(self, **call: Any) -> dict[str, Any]:
        self.sent.append(call)
        if self.refuse:
            error = {"Error": {"Code": self.refuse, "Message": self.refuse}}
            raise ClientError(error, "SendTaskSuccess")
        return {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def sfn(world: World, monkeypatch: pytest.MonkeyPatch) -> RecordingStepFunctions:
    recording = RecordingStepFunctions(world.sfn)
    wired = world.deps(sfn=recording)
    monkeypatch.setattr(intake, "dependencies", lambda: wired)
    return recording


TOKEN = "answer-token-1"


def _waiting_case(world: World, token: str = TOKEN) -> str:
    """A high case opened by yesterday's check-in, its run waiting in AwaitAnswer."""
    handle(batch(checkin_record("INSERT", None, checkin("high", day="2026-11-23"), "2026-11-23")))
    case = world.cases.open_case_of(MEMBER)
    assert case is not None
    world.cases.keep_token(case.case_id, "answer", token)
    return case.case_id


def _token_on(world: World, case_id: str) -> str | None:
    item = world.db.get_item(
        TableName=world.cases_table, Key={"pk": {"S": f"case#{case_id}"}, "sk": {"S": "#case"}}
    )["Item"]
    return item["token_answer"]["S"] if "token_answer" in item else None


def _answer_record(level: str = "none", mood: int = 3, n: int = 5) -> dict[str, Any]:
    return checkin_record("INSERT", None, checkin(level, mood=mood), n=n)


def test_the_next_checkin_resumes_the_waiting_run(
    world: World, sfn: RecordingStepFunctions
) -> None:
    # Given a case whose run waits for the member's answer
    case_id = _waiting_case(world)
    # When the member checks in again, without risk
    result = handle(batch(_answer_record(mood=3)))
    # Then the run is resumed once with the check-in's level and mood, and the token is gone
    assert result == {"batchItemFailures": []}
    assert [(c["taskToken"], json.loads(c["output"])) for c in sfn.sent] == [
        ("answer-token-1", {"level": "none", "mood": 3})
    ]
    assert _token_on(world, case_id) is None


def test_a_risky_checkin_is_a_signal_and_an_answer(
    world: World, sfn: RecordingStepFunctions
) -> None:
    # Given a high case waiting for an answer
    case_id = _waiting_case(world)
    # When an imminent check-in arrives
    handle(batch(_answer_record("imminent", mood=1)))
    # Then it raised the case (run r2) and answered the waiting run at imminent
    case = world.cases.open_case_of(MEMBER)
    assert case is not None and (case.case_id, case.revision) == (case_id, 2)
    assert [r["name"] for r in world.runs()] == [f"{case_id}-r1", f"{case_id}-r2"]
    assert [json.loads(c["output"]) for c in sfn.sent] == [{"level": "imminent", "mood": 1}]


def test_no_open_case_sends_nothing(world: World, sfn: RecordingStepFunctions) -> None:
    assert handle(batch(_answer_record())) == {"batchItemFailures": []}
    assert sfn.sent == []
    assert world.cases.open_case_of(MEMBER) is None


def test_a_case_without_a_waiting_answer_sends_nothing(
    world: World, sfn: RecordingStepFunctions
) -> None:
    handle(batch(checkin_record("INSERT", None, checkin("high", day="2026-11-23"), "2026-11-23")))
    assert handle(batch(_answer_record())) == {"batchItemFailures": []}
    assert sfn.sent == []


def test_a_replayed_answer_is_sent_once(world: World, sfn: RecordingStepFunctions) -> None:
    _waiting_case(world)
    event = batch(_answer_record())
    assert handle(event) == handle(event) == handle(event) == {"batchItemFailures": []}
    assert len(sfn.sent) == 1


@pytest.mark.parametrize("code", ["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"])
def test_a_run_that_no_longer_waits_is_not_an_error(
    world: World, sfn: RecordingStepFunctions, code: str
) -> None:
    # Given a token whose wait has timed out
    case_id = _waiting_case(world)
    sfn.refuse = code
    # When the answer arrives, then the record succeeds and the dead token is not kept
    assert handle(batch(_answer_record())) == {"batchItemFailures": []}
    assert len(sfn.sent) == 1
    assert _token_on(world, case_id) is None


def test_an_answer_that_could_not_be_sent_is_sent_by_the_retry(
    world: World, sfn: RecordingStepFunctions
) -> None:
    # Given Step Functions throttling once
    case_id = _waiting_case(world)
    sfn.refuse = "ThrottlingException"
    # (with a record that is fine: a batch where all fail raises instead of reporting)
    event = batch(_answer_record(), checkin_record("REMOVE", checkin("none"), None, n=6))
    # When the record fails, the token is put back; the retry sends the answer
    failed = handle(event)
    assert _token_on(world, case_id) == "answer-token-1"
    sfn.refuse = None
    retried = handle(event)
    assert failed == {"batchItemFailures": [{"itemIdentifier": "5"}]}
    assert retried == {"batchItemFailures": []}
    assert [c["taskToken"] for c in sfn.sent] == ["answer-token-1", "answer-token-1"]
    assert _token_on(world, case_id) is None


# --- reasons for the counsellor: signal_ct opened and sealed again for the case -------------


class RecordingMetrics:
    def __init__(self) -> None:
        self.names: list[str] = []

    def add_metric(self, name: str, unit: str, value: float) -> None:
        self.names.append(name)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> RecordingMetrics:
    recording = RecordingMetrics()
    monkeypatch.setattr(intake, "metrics", recording)
    return recording


def _only_signal(world: World) -> dict[str, Any]:
    case = world.cases.open_case_of(MEMBER)
    assert case is not None
    (item,) = world.signal_items(case.case_id)
    return item


def test_the_reasons_sealed_for_the_crisis_feature_are_sealed_again_for_the_case(
    world: World,
) -> None:
    # Given a high check-in whose writer sealed its reasons for the crisis feature
    sealed = world.signals.seal(MEMBER, "2026-11-24", ["phq9_item9_positive", "very_low_mood"])
    # When its record is taken in
    result = handle(batch(checkin_record("INSERT", None, checkin("high", signal_ct=sealed))))
    # Then the signal keeps the reasons sealed by the crisis vault, which opens them
    assert result == {"batchItemFailures": []}
    item = _only_signal(world)
    assert world.opened_reasons(item) == ["phq9_item9_positive", "very_low_mood"]
    # and neither the source's blob nor the codes in plain are on it
    assert bytes(item["reasons_ct"]) != sealed
    assert "signal_ct" not in item
    assert "phq9_item9_positive" not in json.dumps(item, default=repr)


@pytest.mark.parametrize("whose", ["another member", "another item", "not a blob"])
def test_reasons_that_cannot_be_opened_leave_the_signal_without_reasons(
    world: World, counted: RecordingMetrics, monkeypatch: pytest.MonkeyPatch, whose: str
) -> None:
    # Given a risky check-in whose signal_ct KMS will not open for this member and day
    sealed = {
        "another member": world.signals.seal("someone-else", "2026-11-24", ["phq9_severe"]),
        "another item": world.signals.seal(MEMBER, "2026-11-01", ["phq9_severe"]),
        "not a blob": BLOB,
    }[whose]
    recorded = RecordingLogger()
    monkeypatch.setattr(intake, "logger", recorded)
    # When it is taken in
    result = handle(batch(checkin_record("INSERT", None, checkin("high", signal_ct=sealed))))
    # Then the batch does not fail: the case opened, the signal has no reasons, it is counted
    assert result == {"batchItemFailures": []}
    item = _only_signal(world)
    assert item["severity"] == "high" and "reasons_ct" not in item
    assert "CrisisSignalReasonsUnreadable" in counted.names
    assert len(world.runs()) == 1
    # and the log says so without naming the member
    assert any("could not be opened" in line for line in recorded.lines)
    assert not any(MEMBER in line for line in recorded.lines)


def test_a_signal_without_signal_ct_is_taken_in_without_reasons(
    world: World, counted: RecordingMetrics
) -> None:
    # Given a risky journal entry written before its writer sealed reasons for the crisis feature
    entry = image(
        user_id=MEMBER, entry_id="e-1", version=1, risk={"level": "high"}, reasons_ct=BLOB
    )
    # When it is taken in
    result = handle(
        batch(record("INSERT", JOURNAL, {"user_id": MEMBER, "entry_id": "e-1"}, None, entry))
    )
    # Then the case opened with the signal, no reasons, and the metric counts it
    assert result == {"batchItemFailures": []}
    assert "reasons_ct" not in _only_signal(world)
    assert counted.names.count("CrisisSignalReasonsMissing") == 1


# --- sustained low mood -----------------------------------------------------------------------


def mood_record(day: str, mood: int, stamp: str | None = None, n: int = 1) -> dict[str, Any]:
    """A check-in of `day` without risk (so only the mood history can raise a signal)."""
    written = checkin("none", day=day, stamp=stamp or f"{day}T12:00:00.000Z", mood=mood)
    return checkin_record("INSERT", None, written, day=day, n=n)


def low_mood_signals(world: World) -> list[dict[str, Any]]:
    case = world.cases.open_case_of(MEMBER)
    if case is None:
        return []
    return [i for i in world.signal_items(case.case_id) if i["source"] == "sustained_low_mood"]


def test_three_local_days_at_mood_1_raise_a_sustained_low_mood_signal(world: World) -> None:
    # Given two days at mood 1
    handle(batch(mood_record("2026-11-22", 1), mood_record("2026-11-23", 1, n=2)))
    assert world.cases.open_case_of(MEMBER) is None
    # When the third day's check-in is at mood 1
    result = handle(batch(mood_record("2026-11-24", 1, n=3)))
    # Then a watch signal of that day opens the case, its reason sealed for the counsellor
    assert result == {"batchItemFailures": []}
    (found,) = low_mood_signals(world)
    assert (found["severity"], found["source_id"]) == ("watch", "low_mood#2026-11-24")
    assert found["mood"] == 1
    assert world.opened_reasons(found) == ["low_mood_run"]
    assert len(world.runs()) == 1


def test_a_day_without_a_checkin_breaks_the_run(world: World) -> None:
    handle(batch(mood_record("2026-11-21", 1), mood_record("2026-11-22", 1, n=2)))
    handle(batch(mood_record("2026-11-24", 1, n=3)))
    assert world.cases.open_case_of(MEMBER) is None


def test_sustained_low_mood_fires_once_per_day(world: World) -> None:
    # Given a low mood run that fired on its third day
    handle(batch(mood_record("2026-11-22", 1), mood_record("2026-11-23", 1, n=2)))
    third = batch(mood_record("2026-11-24", 1, n=3))
    handle(third)
    # When the day's check-in is rewritten, and the record replayed
    rewrite = checkin("none", stamp="2026-11-24T18:00:00.000Z", mood=1)
    handle(batch(checkin_record("MODIFY", checkin("none", mood=1), rewrite, n=4)))
    handle(third)
    # Then there is still one signal of that day and one run
    assert [s["source_id"] for s in low_mood_signals(world)] == ["low_mood#2026-11-24"]
    assert len(world.runs()) == 1
    case = world.cases.open_case_of(MEMBER)
    assert case is not None and case.signals == 1


def test_an_older_write_replayed_does_not_overwrite_the_days_mood(world: World) -> None:
    # Given a day's mood 1 at 08:00 rewritten to 4 at 20:00
    moods = MoodHistory(world.db, world.cases_table)
    day = datetime(2026, 11, 24).date()
    assert moods.keep(MEMBER, day, 4, "2026-11-24T20:00:00.000Z", NOW)
    # When the 08:00 write comes again, then the 20:00 mood stays
    assert not moods.keep(MEMBER, day, 1, "2026-11-24T08:00:00.000Z", NOW)
    assert moods.recent(MEMBER, day, 14) == {day: 4}


def test_the_run_length_is_a_parameter(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the intake set to two days in a row
    wired = world.deps(low_mood=LowMoodRule(days_in_a_row=2))
    monkeypatch.setattr(intake, "dependencies", lambda: wired)
    # When two days are at mood 1, then that is a sustained low mood
    handle(batch(mood_record("2026-11-23", 1), mood_record("2026-11-24", 1, n=2)))
    assert [s["source_id"] for s in low_mood_signals(world)] == ["low_mood#2026-11-24"]


def _two_weeks(this_week: int) -> dict[str, Any]:
    """Moods at 5 for the week before, then `this_week` each day of the week ending 24 Nov."""
    days = [f"2026-11-{d:02d}" for d in range(11, 25)]
    moods = [5] * 7 + [this_week] * 7
    pairs = enumerate(zip(days, moods, strict=True), start=1)
    return batch(*(mood_record(day, mood, n=n) for n, (day, mood) in pairs))


def test_a_weekly_average_down_by_2_raises_a_signal(world: World) -> None:
    handle(_two_weeks(this_week=3))
    (found,) = low_mood_signals(world)
    assert found["source_id"] == "low_mood#2026-11-24"
    assert world.opened_reasons(found) == ["mood_average_drop"]


def test_the_average_drop_is_a_parameter(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the intake set to a drop of 3 points
    wired = world.deps(low_mood=LowMoodRule(average_drop=3))
    monkeypatch.setattr(intake, "dependencies", lambda: wired)
    # When the average falls by 2, then nothing is raised
    handle(_two_weeks(this_week=3))
    assert world.cases.open_case_of(MEMBER) is None


def test_the_parameters_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings import settings

    # Given the variables the template sets from LowMoodDays and MoodDropThreshold
    for name, value in {
        "CASES_TABLE": "cases",
        "ORGS_TABLE": "orgs",
        "CRISIS_STATE_MACHINE_ARN": "arn",
        "LOW_MOOD_DAYS": "4",
        "MOOD_DROP_THRESHOLD": "2.5",
    }.items():
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    try:
        config = settings(intake.IntakeSettings)
    finally:
        settings.cache_clear()
    assert (config.low_mood_days, config.mood_drop_threshold) == (4, 2.5)


def test_the_template_passes_the_parameters_to_the_intake() -> None:
    from local.template import load_template

    template = load_template()
    variables = template["Resources"]["RiskIntakeFunction"]["Properties"]["Environment"]
    assert variables["Variables"]["LOW_MOOD_DAYS"] == {"Ref": "LowMoodDays"}
    assert variables["Variables"]["MOOD_DROP_THRESHOLD"] == {"Ref": "MoodDropThreshold"}
    assert template["Parameters"]["LowMoodDays"]["Default"] == 3
    assert template["Parameters"]["MoodDropThreshold"]["Default"] == 2


def test_a_checkin_is_a_mood_day_and_other_records_are_not() -> None:
    keys = {"user_id": MEMBER, "date": "2026-11-24"}
    found = intake_logic.mood_day("INSERT", "checkins", keys, plain(checkin("none", mood=2)))
    assert found == intake_logic.MoodDay(
        MEMBER, datetime(2026, 11, 24).date(), 2, "2026-11-24T12:59:00.000Z"
    )
    key_item = plain(image(user_id=MEMBER, date="#key", edk=b"k"))
    assert intake_logic.mood_day("INSERT", "checkins", {"date": "#key"}, key_item) is None
    entry = plain(image(user_id=MEMBER, entry_id="e-1", mood=1))
    assert intake_logic.mood_day("INSERT", "journal", {"entry_id": "e-1"}, entry) is None
    assert intake_logic.mood_day("REMOVE", "checkins", keys, None) is None


# --- a peer supporter's concern, as functions/peer/concerns.py writes it ---------------------


class _Keys:
    """An in-memory KeyStore for the peer vault the concern's note is sealed with."""

    def __init__(self) -> None:
        self.edks: dict[str, bytes] = {}

    def load_key(self, user_id: str) -> bytes | None:
        return self.edks.get(user_id)

    def store_key(self, user_id: str, edk: bytes) -> bool:
        return self.edks.setdefault(user_id, edk) == edk


@pytest.mark.parametrize(
    ("urgent", "severity", "reason"),
    [(False, "watch", "peer_concern"), (True, "high", "peer_concern_urgent")],
)
def test_a_concern_opens_a_case_at_watch_or_high_when_urgent_with_its_reason(
    world: World, urgent: bool, severity: str, reason: str
) -> None:
    # Given a concern item exactly as the peer feature builds it (its reason sealed for the
    # crisis feature under the item's id, its note under the member's peer key)
    from functions.peer.concerns import Concern, ConcernsRepository

    peer_vault = Vault(KeyRing(world.kms, world.key_id, "peer"), _Keys())
    writer = ConcernsRepository(world.db, PEER, peer_vault, world.signals)
    concern = Concern("c-9", MEMBER, "school", "supporter-1", urgent, "seems withdrawn", NOW)
    stored = writer.item(concern)
    keys = {"pk": stored["pk"], "sk": stored["sk"]}
    # When its INSERT arrives on the peer table's stream
    result = handle(batch(record("INSERT", PEER, keys, None, image(**stored))))
    # Then the member's case opens at that severity, from "peer", with the concern's reason
    # for the counsellor, and its first run starts
    assert result == {"batchItemFailures": []}
    case = world.cases.open_case_of(MEMBER)
    assert case is not None and case.severity == severity
    item = _only_signal(world)
    assert (item["source"], item["item_id"]) == ("peer", "concern#c-9")
    assert world.opened_reasons(item) == [reason]
    assert [r["name"] for r in world.runs()] == [f"{case.case_id}-r1"]
    # and a replay of the record changes nothing
    handle(batch(record("INSERT", PEER, keys, None, image(**stored))))
    assert len(world.signal_items(case.case_id)) == 1 and len(world.runs()) == 1
