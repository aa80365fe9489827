"""The cases repository on moto's DynamoDB, with the template's CasesTable: one open case
per member, severity raised but never lowered, replays that change nothing, and ten
writers at once making one case."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions.crisis.cases import (
    MAX_ATTEMPTS,
    Attached,
    CasesBusy,
    CasesRepository,
)
from local.template import load_template
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import table_shape

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
SNIPPET = Path(__file__).resolve().parents[2] / "notes" / "cases_template.yaml"
BLOB = b"\x01sealed-by-checkins"


def cases_shape() -> dict[str, Any]:
    """The template's CasesTable; the issue's snippet until it is merged."""
    try:
        return table_shape("CasesTable")
    except KeyError:
        properties = load_template(SNIPPET.read_text())["Resources"]["CasesTable"]["Properties"]
        keep = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes")
        return {k: properties[k] for k in keep if k in properties}


def make_cases_table(client: Any) -> str:
    name = fresh_name("cases")
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **cases_shape())
    return name


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def table(db: Any) -> str:
    return make_cases_table(db)


@pytest.fixture
def repo(db: Any, table: str) -> CasesRepository:
    return CasesRepository(db, table, sleep=lambda _: None)


def attach(
    repo: CasesRepository,
    severity: str,
    source_id: str,
    *,
    user_id: str = "member-1",
    at: datetime = NOW,
    blob: bytes | None = BLOB,
) -> Attached:
    return repo.attach_signal(
        user_id, "school", severity, source_id, blob, at, source="checkins", item_id="2026-11-24"
    )


def everything(db: Any, table: str) -> list[dict[str, Any]]:
    return sorted(db.scan(TableName=table)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def cases_of(db: Any, table: str, user_id: str = "member-1") -> list[str]:
    """The case ids in the member's index."""
    found = db.query(
        TableName=table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": f"member#{user_id}"}, ":s": {"S": "case#"}},
    )["Items"]
    return [i["sk"]["S"].removeprefix("case#") for i in found]


def set_status(db: Any, table: str, case_id: str, status: str) -> None:
    """What the counsellor routes will do (not this module's job): move a case's status."""
    db.update_item(
        TableName=table,
        Key={"pk": {"S": f"case#{case_id}"}, "sk": {"S": "#case"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": status}},
    )


def close(db: Any, table: str, case_id: str, user_id: str = "member-1") -> None:
    set_status(db, table, case_id, "closed")
    db.delete_item(TableName=table, Key={"pk": {"S": f"member#{user_id}"}, "sk": {"S": "open"}})


# --- opening, attaching, raising --------------------------------------------------------


def test_a_first_signal_opens_a_case_at_its_severity(repo: CasesRepository) -> None:
    # Given a member with no case
    # When a high signal arrives
    case, started, raised = attach(repo, "high", "checkins:2026-11-24:a")
    # Then it opens their case at revision 1, and it is the member's open case
    assert (started, raised) == (True, False)
    assert (case.status, case.severity, case.revision, case.signals) == ("open", "high", 1, 1)
    assert (case.org_id, case.created_at) == ("school", "2026-11-24T13:00:00.000Z")
    assert case.execution_name == f"{case.case_id}-r1"
    assert repo.open_case_of("member-1") == case == repo.case(case.case_id)


@pytest.mark.parametrize("later", ["watch", "high"])
def test_a_signal_no_higher_attaches_and_never_lowers_the_severity(
    repo: CasesRepository, later: str
) -> None:
    # Given a high case
    opened = attach(repo, "high", "checkins:2026-11-24:a").case
    # When a signal at the same or a lower level arrives
    case, started, raised = attach(repo, later, "journal:e1:1", at=NOW + timedelta(hours=1))
    # Then it attaches: the severity and revision stay, the count grows
    assert (started, raised) == (False, False)
    assert case.case_id == opened.case_id
    assert (case.severity, case.revision, case.signals) == ("high", 1, 2)
    assert repo.case(opened.case_id) == case
    assert len(repo.signals(opened.case_id)) == 2


def test_a_higher_signal_raises_the_severity_and_bumps_the_revision(
    repo: CasesRepository,
) -> None:
    # Given a watch case
    opened = attach(repo, "watch", "checkins:2026-11-23:a").case
    # When an imminent signal arrives
    case, started, raised = attach(repo, "imminent", "journal:e2:3")
    # Then the case is imminent at revision 2: a new workflow run's name
    assert (started, raised) == (False, True)
    assert (case.case_id, case.severity, case.revision) == (opened.case_id, "imminent", 2)
    assert case.execution_name == f"{opened.case_id}-r2"
    assert repo.case(opened.case_id) == case


def test_a_raise_puts_an_acknowledged_case_back_in_the_unacknowledged_list(
    db: Any, table: str, repo: CasesRepository
) -> None:
    # Given a watch case a counsellor has acknowledged
    opened = attach(repo, "watch", "checkins:2026-11-23:a").case
    set_status(db, table, opened.case_id, "acknowledged")
    # When a high signal arrives
    case = attach(repo, "high", "checkins:2026-11-24:b").case
    # Then the case is open again, listed among the open cases and no longer elsewhere
    assert case.status == "open"
    assert [c.case_id for c in repo.page("school", "open", 10)[0]] == [opened.case_id]
    assert repo.page("school", "acknowledged", 10)[0] == []


def test_the_signal_keeps_the_sources_sealed_reasons_and_a_plain_level(
    repo: CasesRepository,
) -> None:
    # Given a signal whose reasons the check-ins feature sealed
    case = attach(repo, "high", "checkins:2026-11-24:a").case
    # When its item is read back
    (signal,) = repo.signals(case.case_id)
    # Then the ciphertext is byte for byte the source's, with what opening it needs
    assert bytes(signal["reasons_ct"]) == BLOB
    assert signal["severity"] == "high"
    assert (signal["source"], signal["item_id"]) == ("checkins", "2026-11-24")
    assert "reasons" not in signal


def test_an_unknown_severity_is_refused(repo: CasesRepository) -> None:
    with pytest.raises(ValueError, match="severity"):
        attach(repo, "none", "checkins:2026-11-24:a")


# --- replays ----------------------------------------------------------------------------


def test_a_replayed_signal_changes_nothing(db: Any, table: str, repo: CasesRepository) -> None:
    # Given a case opened by a signal and raised by another
    attach(repo, "watch", "checkins:2026-11-23:a")
    raised = attach(repo, "high", "checkins:2026-11-24:b").case
    before = everything(db, table)
    # When both records are delivered again
    first = attach(repo, "watch", "checkins:2026-11-23:a", at=NOW + timedelta(hours=2))
    second = attach(repo, "high", "checkins:2026-11-24:b", at=NOW + timedelta(hours=2))
    # Then nothing is written, and each answers with the case as it stands
    assert everything(db, table) == before
    assert first == second == Attached(raised, started=False, raised=False, replayed=True)


def test_a_signal_replayed_after_its_case_closed_opens_no_case(
    db: Any, table: str, repo: CasesRepository
) -> None:
    # Given a case that was closed
    opened = attach(repo, "high", "checkins:2026-11-24:a").case
    close(db, table, opened.case_id)
    # When its signal is replayed, and then a new signal arrives
    replay = attach(repo, "high", "checkins:2026-11-24:a")
    fresh = attach(repo, "watch", "checkins:2026-11-25:c")
    # Then the replay opens nothing; the new signal opens a second case
    assert (replay.replayed, replay.case.status) == (True, "closed")
    assert fresh.started and fresh.case.case_id != opened.case_id
    assert sorted(cases_of(db, table)) == sorted([opened.case_id, fresh.case.case_id])


# --- ten at once -------------------------------------------------------------------------


class LinedUp:
    """The moto client with each call atomic (as DynamoDB's are) and the writers lined up:
    every thread has read the member's pointer before any of them writes."""

    def __init__(self, client: Any, writers: int) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._gate = threading.Barrier(writers)
        self._passed = threading.local()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            with self._lock:
                result = method(**kwargs)
            pointer = name == "get_item" and kwargs["Key"]["sk"] == {"S": "open"}
            if pointer and not getattr(self._passed, "gate", False):
                self._passed.gate = True
                self._gate.wait(timeout=10)
            return result

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


def test_ten_signals_at_once_for_one_member_make_one_case(db: Any, table: str) -> None:
    # Given ten writers who all find the member without a case
    repo = CasesRepository(LinedUp(db, 10), table, sleep=lambda _: None)
    # When each attaches its own signal at once
    with ThreadPoolExecutor(10) as pool:
        results = list(
            pool.map(lambda n: attach(repo, SEVERITIES[n], f"checkins:day{n}:1"), range(10))
        )
    # Then one case holds all ten, at the highest severity, with a revision per raise
    (case_id,) = cases_of(db, table)
    case = CasesRepository(db, table).case(case_id)
    assert case is not None
    assert {r.case.case_id for r in results} == {case_id}
    assert sum(r.started for r in results) == 1
    assert (case.severity, case.signals) == ("imminent", 10)
    assert case.revision == 1 + sum(r.raised for r in results)
    assert len(CasesRepository(db, table).signals(case_id)) == 10


def test_ten_deliveries_of_one_signal_at_once_take_it_in_once(db: Any, table: str) -> None:
    # Given ten deliveries of the same record, all finding the member without a case
    repo = CasesRepository(LinedUp(db, 10), table, sleep=lambda _: None)
    # When they run at once
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: attach(repo, "high", "checkins:d:1"), range(10)))
    # Then one opens the case and nine are replays of it
    assert sum(r.started for r in results) == 1
    assert sum(r.replayed for r in results) == 9
    (case_id,) = cases_of(db, table)
    assert {r.case.case_id for r in results} == {case_id}
    stored = CasesRepository(db, table).case(case_id)
    assert stored is not None and (stored.signals, stored.revision) == (1, 1)


class Conflicting:
    """The moto client whose first `times` transactions are cancelled by a conflict."""

    def __init__(self, client: Any, times: int) -> None:
        self._client = client
        self.left = times

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **kwargs: Any) -> Any:
        if self.left > 0:
            self.left -= 1
            reasons = [{"Code": "None"}, {"Code": "TransactionConflict"}]
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": reasons + [{"Code": "None"}] * 3,
                },
                "TransactWriteItems",
            )
        return self._client.transact_write_items(**kwargs)


def test_a_transaction_conflict_is_tried_again_after_a_pause(db: Any, table: str) -> None:
    # Given two conflicting transactions before the third goes through
    pauses: list[float] = []
    repo = CasesRepository(Conflicting(db, 2), table, sleep=pauses.append)
    # When a signal opens a case
    attached = attach(repo, "high", "checkins:d:1")
    # Then it is written once, after two short pauses
    assert attached.started and len(pauses) == 2
    assert all(0 <= p <= 0.05 for p in pauses)
    assert cases_of(db, table) == [attached.case.case_id]


def test_a_case_that_keeps_changing_fails_the_record_after_bounded_tries(
    db: Any, table: str
) -> None:
    # Given transactions that always conflict
    pauses: list[float] = []
    repo = CasesRepository(Conflicting(db, 10_000), table, sleep=pauses.append)
    # When a signal arrives, then it gives up (the stream retries the record) having written nothing
    with pytest.raises(CasesBusy):
        attach(repo, "high", "checkins:d:1")
    assert len(pauses) == MAX_ATTEMPTS
    assert cases_of(db, table) == []


# --- the counsellor list -----------------------------------------------------------------


def test_the_list_shows_imminent_first_then_the_oldest(repo: CasesRepository) -> None:
    # Given open cases of four members, opened an hour apart
    opened = {}
    for hour, (member, severity) in enumerate(
        [("a", "high"), ("b", "imminent"), ("c", "watch"), ("d", "high")]
    ):
        at = NOW + timedelta(hours=hour)
        opened[member] = attach(repo, severity, f"s:{member}", user_id=member, at=at).case.case_id
    # When the organisation's open cases are listed, all and the high ones
    everyone, _ = repo.page("school", "open", 10)
    high, _ = repo.page("school", "open", 10, severity="high")
    # Then imminent comes first, then high oldest first, then watch
    assert [c.case_id for c in everyone] == [opened[m] for m in "badc"]
    assert [c.case_id for c in high] == [opened["a"], opened["d"]]


def test_the_list_pages_with_a_start_key(repo: CasesRepository) -> None:
    for n in range(3):
        attach(repo, "high", f"s:{n}", user_id=f"m{n}", at=NOW + timedelta(minutes=n))
    first, key = repo.page("school", "open", 2)
    second, last = repo.page("school", "open", 2, key)
    assert len(first) == 2 and key is not None
    assert len(second) == 1 and last is None
    assert {c.user_id for c in first + second} == {"m0", "m1", "m2"}


# --- task tokens and the vault's key ------------------------------------------------------


def test_a_waiting_step_leaves_its_token_on_the_case(
    db: Any, table: str, repo: CasesRepository
) -> None:
    case = attach(repo, "high", "s:1").case
    repo.keep_token(case.case_id, "ack", "token-1")
    item = db.get_item(
        TableName=table, Key={"pk": {"S": f"case#{case.case_id}"}, "sk": {"S": "#case"}}
    )["Item"]
    assert item["token_ack"] == {"S": "token-1"}
    # The counsellor list never shows it
    listed = db.query(
        TableName=table,
        IndexName="ByOrgStatus",
        KeyConditionExpression="list_pk = :p",
        ExpressionAttributeValues={":p": {"S": "org#school#open"}},
    )["Items"]
    assert listed and all("token_ack" not in i for i in listed)


def test_asking_again_for_an_ack_puts_a_taken_case_back_among_the_open_ones(
    db: Any, table: str, repo: CasesRepository
) -> None:
    # Given a case a counsellor acknowledged and is following up
    case = attach(repo, "high", "s:2").case
    set_status(db, table, case.case_id, "following_up")
    # When a worse answer re-escalates and the run asks for an acknowledgement again
    repo.keep_token(case.case_id, "ack", "token-2")
    # Then the case is open again, listed among the open ones, with the new token
    again = repo.case(case.case_id)
    assert again is not None and again.status == "open"
    assert [c.case_id for c in repo.page("school", "open", 10)[0]] == [case.case_id]
    item = db.get_item(
        TableName=table, Key={"pk": {"S": f"case#{case.case_id}"}, "sk": {"S": "#case"}}
    )["Item"]
    assert item["token_ack"] == {"S": "token-2"}


def test_a_token_needs_a_known_kind_and_an_existing_case(repo: CasesRepository) -> None:
    with pytest.raises(ValueError, match="kind"):
        repo.keep_token("any", "lunch", "t")
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        repo.keep_token("no-such-case", "ack", "t")


def test_the_vault_key_is_stored_once(repo: CasesRepository) -> None:
    assert repo.load_key("member-1") is None
    assert repo.store_key("member-1", b"first") is True
    assert repo.store_key("member-1", b"second") is False
    assert repo.load_key("member-1") == b"first"


# --- the follow-up answer's task token ------------------------------------------------------


def test_the_answer_token_is_taken_once(repo: CasesRepository) -> None:
    # Given a case whose run waits for an answer
    case = attach(repo, "high", "checkins:d1:1").case
    repo.keep_token(case.case_id, "answer", "tok-1")
    # When two callers take it, then only the first gets it
    assert repo.take_answer_token("member-1") == (case.case_id, "tok-1")
    assert repo.take_answer_token("member-1") is None


def test_no_case_or_no_token_gives_no_answer_token(repo: CasesRepository) -> None:
    assert repo.take_answer_token("member-1") is None
    attach(repo, "watch", "checkins:d1:1")
    assert repo.take_answer_token("member-1") is None


def test_a_given_back_token_never_replaces_a_newer_one(repo: CasesRepository) -> None:
    # Given an answer token taken, then the run leaving a new one
    case = attach(repo, "high", "checkins:d1:1").case
    repo.keep_token(case.case_id, "answer", "tok-1")
    assert repo.take_answer_token("member-1") == (case.case_id, "tok-1")
    assert repo.give_back_answer_token(case.case_id, "tok-1") is True
    assert repo.take_answer_token("member-1") == (case.case_id, "tok-1")
    repo.keep_token(case.case_id, "answer", "tok-2")
    # When the old one is given back, then the new one stays
    assert repo.give_back_answer_token(case.case_id, "tok-1") is False
    assert repo.take_answer_token("member-1") == (case.case_id, "tok-2")
