"""The peer network (issue 11): the supporter inbox, statistics and the inbox projector.

Against the throwaway local cloud, every function in-process with the environment
template.yaml gives it, every AWS call counted by bench/calls.py's recorder (and, for
DynamoDB, the table and the items each answer held, by a probe on the functions' client):

1. **The inbox page.** An organisation made with the orgs feature's own repository (units,
   a roster of members and peer supporters, each unit's supporters); INBOX_MEMBERS members
   of one class share INBOX_DAYS check-ins each, projected into their supporter's inbox by
   functions/peer/projector.py's Projector (as the projector writes them). Then
   `GET /peer/inbox` through functions/peer/handler.py as that supporter, twice: the first
   request of the container (roster entry, cursor key, audit head) and a warm one. Target:
   the warm page is one Query and one TransactWriteItems: the audit records every page
   writes (one per member shown, DESIGN.md §4: a member sees who read their check-ins),
   appended together (AuditLog.append_all).
2. **Statistics independent of the number of members.** Two organisations with the same
   unit tree, one of STATS_SIZES[0] members and one of STATS_SIZES[1], all on the roster
   (OrgsRepository.enrol). Their check-ins over STATS_DAYS days are counted by the stats
   aggregator's own `Aggregator.checkin`, over a store that keeps the counter rows in
   memory (the rows it would ADD in DynamoDB, keys from functions/stats/keys.py); the
   rows are then written with BatchWriteItem. `GET /orgs/{org_id}/stats?from=&to=` (the
   whole range, all units) through functions/stats/handler.py as the org admin, first
   and warm. Target: the warm calls and the items they read are the same for both sizes.
3. **The projector's batch.** PROJECTOR_MEMBERS members of a class with two supporters
   share a check-in each; their check-ins stream records, as the feature's FIFO queue
   delivers them (shared/change_events.py), go to `functions.peer.projector.handler` in
   one invocation; then the next day's, again (the roster now cached). Target: each batch
   in one invocation, no failed record, one inbox item per record and supporter.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from bench.calls import CallRecorder, Target, function_environment, quiet
from bench.events import LambdaContext, api_event, member_claims
from bench.reminders import seed, setup_client
from tests.support.change_events import queued

ZONE = "Asia/Shanghai"
# 1. The inbox: a class's members each share this many days; the page is the API's default.
INBOX_MEMBERS = 10
INBOX_DAYS = 3
INBOX_PAGE = 20
INBOX_FIRST_DAY = dt.date(2026, 11, 20)
# 2. Statistics: a school of GRADES grades of CLASSES classes each; members in the classes.
STATS_SIZES = (100, 10_000)
STATS_FIRST_DAY = dt.date(2026, 10, 1)
STATS_DAYS = 30  # 1-30 October: a range, not a whole month
GRADES, CLASSES = 3, 3
SKIP_EVERY = 4  # a member skips one day in four (so every class has check-ins every day)
ENROL_CHUNK = 500
SEED_THREADS = 4
# 3. The projector: a batch of the FIFO queue's size (the event source mapping's, 10).
PROJECTOR_MEMBERS = 10
PROJECTOR_SUPPORTERS = 2
PROJECTOR_FIRST_DAY = dt.date(2026, 11, 24)
SEED = 11
READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- counting DynamoDB calls: the table and the items read --------------------------------


@dataclass
class DynamoCall:
    operation: str
    tables: tuple[str, ...]  # features (stack.json's names), "audit", "peer"...
    items_read: int

    def label(self) -> str:
        return f"{self.operation}[{','.join(self.tables)}]" if self.tables else self.operation


def _tables_of(params: dict[str, Any]) -> tuple[str, ...]:
    """The tables an API call names: TableName, RequestItems' keys, TransactItems' tables."""
    names: list[str] = []
    if isinstance(params.get("TableName"), str):
        names.append(params["TableName"])
    if isinstance(params.get("RequestItems"), dict):
        names.extend(params["RequestItems"])
    for action in params.get("TransactItems") or ():
        for inner in action.values():
            if isinstance(inner, dict) and isinstance(inner.get("TableName"), str):
                names.append(inner["TableName"])
    return tuple(dict.fromkeys(names))


def _items_read(parsed: dict[str, Any]) -> int:
    """How many items a DynamoDB answer read (bench/reminders.py's rule)."""
    if "ScannedCount" in parsed:
        return int(parsed["ScannedCount"])
    if "Count" in parsed:
        return int(parsed["Count"])
    if "Item" in parsed:
        return 1
    if isinstance(parsed.get("Responses"), dict):
        return sum(len(items) for items in parsed["Responses"].values())
    return 0


class DynamoProbe:
    """Hooks on one DynamoDB client (the functions' `shared.aws.client("dynamodb")`)."""

    def __init__(self, client: Any, features: dict[str, str]) -> None:
        self.calls: list[DynamoCall] = []
        self._events = client.meta.events
        self._features = features
        self._tables: tuple[str, ...] = ()
        self._id = f"bench-peer-{uuid.uuid4().hex[:8]}"
        self._events.register(
            "before-parameter-build.dynamodb", self._before, unique_id=f"{self._id}-b"
        )
        self._events.register("after-call.dynamodb", self._after, unique_id=f"{self._id}-a")

    def close(self) -> None:
        self._events.unregister("before-parameter-build.dynamodb", unique_id=f"{self._id}-b")
        self._events.unregister("after-call.dynamodb", unique_id=f"{self._id}-a")

    # Hooks return None: a value from them would replace the call's parameters or answer.
    def _before(self, params: dict[str, Any], **_: Any) -> None:
        self._tables = tuple(self._features.get(t, t) for t in _tables_of(params))

    def _after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(DynamoCall(model.name, self._tables, _items_read(parsed)))
        self._tables = ()


@dataclass
class Counted:
    """The calls one invocation made: every service's (the recorder) and DynamoDB's detail."""

    name: str
    phase: str
    status: int | str
    calls: list[str]
    dynamodb: list[DynamoCall]
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def dynamodb_calls(self) -> int:
        return len(self.dynamodb)

    @property
    def items_read(self) -> int:
        return sum(c.items_read for c in self.dynamodb)

    @property
    def other_calls(self) -> int:
        return sum(not c.startswith("dynamodb.") for c in self.calls)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "phase": self.phase,
            "status": self.status,
            "dynamodb_calls": self.dynamodb_calls,
            "items_read": self.items_read,
            "other_calls": self.other_calls,
            "operations": [c.label() for c in self.dynamodb]
            + [c for c in self.calls if not c.startswith("dynamodb.")],
            "seconds": self.seconds,
            **self.extra,
        }


class Bench:
    """The functions' environment and the counters, for the three measurements."""

    def __init__(self, stack: dict[str, Any], recorder: CallRecorder) -> None:
        self.stack = stack
        self.recorder = recorder
        self.tables: dict[str, str] = stack["tables"]
        os.environ.update(
            function_environment(stack)
            | {"PEER_TABLE": self.tables["peer"], "STATS_TABLE": self.tables["stats"]}
        )
        import_module("shared.settings").settings.cache_clear()
        # The functions' wiring, made afresh on this environment (as in a new container).
        peer_routes = import_module("functions.peer.routes")
        for made in (
            peer_routes.repository,
            peer_routes.audit_log,
            import_module("functions.peer.projector").projector,
            import_module("functions.stats.routes").stats_store,
            import_module("functions.stats.routes").orgs_reader,
        ):
            made.cache_clear()
        features = {name: feature for feature, name in self.tables.items()}
        self.probe = DynamoProbe(import_module("shared.aws").client("dynamodb"), features)
        self.setup_db = setup_client("dynamodb", stack)  # seeding: not counted
        self.issuer = f"https://cognito-idp.{stack['region']}.amazonaws.com/{stack['user_pool_id']}"

    def claims(self, user_id: str, org_id: str, role: str) -> dict[str, str]:
        claims = member_claims(
            user_id,
            f"bench-{user_id[:8]}",
            issuer=self.issuer,
            audience=self.stack["user_pool_client_id"],
            zoneinfo=ZONE,
            org_id=org_id,
        )
        return claims | {"cognito:groups": f"[{role}]"}

    def invoke(
        self, name: str, phase: str, handler: Any, event: dict[str, Any], function: str
    ) -> tuple[Counted, dict[str, Any]]:
        first, first_dynamo = len(self.recorder.calls), len(self.probe.calls)
        context = LambdaContext(function_name=f"bench-{function}", region=self.stack["region"])
        started = time.perf_counter()
        with quiet():
            answer = handler(event, context)
        seconds = round(time.perf_counter() - started, 3)
        calls = [f"{c.service}.{c.operation}" for c in self.recorder.calls[first:]]
        dynamo = self.probe.calls[first_dynamo:]
        if len(dynamo) != sum(c.startswith("dynamodb.") for c in calls):
            raise RuntimeError(f"{name}: a DynamoDB call went through another client")
        status = answer.get("statusCode", "-")
        return Counted(name, phase, status, calls, dynamo, seconds), answer

    # ---- the orgs table, written by the orgs feature's repository (not counted) --------

    def orgs(self) -> Any:
        repository = import_module("functions.orgs.repository")
        return repository.OrgsRepository(self.setup_db, self.tables["orgs"])

    def new_org(self, org_id: str, units: list[tuple[str, str, str | None]]) -> None:
        """The organisation's settings and units (id, kind, parent), as the API writes them."""
        repo = self.orgs()
        stamp = _stamp(dt.datetime.now(dt.UTC))
        repo.create_settings(
            org_id,
            {
                "name": f"Bench {org_id}",
                "kind": "school",
                "time_zone": ZONE,
                "locale": "zh-CN",
                "region_code": "CN",
                "updated_at": stamp,
            },
        )
        for unit_id, kind, parent in units:
            repo.create_unit(
                org_id,
                {
                    "unit_id": unit_id,
                    "name": unit_id,
                    "kind": kind,
                    "parent_id": parent,
                    "created_at": stamp,
                    "updated_at": stamp,
                },
            )

    def enrol(self, org_id: str, people: Sequence[tuple[str, str, str | None, str]]) -> None:
        """People (user id, role, unit, display name) on the roster, BatchWriteItem in threads."""
        stamp = _stamp(dt.datetime.now(dt.UTC))
        items = [
            {
                "org_id": org_id,
                "user_id": user_id,
                "username": f"bench-{user_id[:8]}",
                "display_name": name,
                "role": role,
                "unit_id": unit,
                "status": "active",
                "created_at": stamp,
                "updated_at": stamp,
            }
            for user_id, role, unit, name in people
        ]
        repo = self.orgs()
        chunks = [items[i : i + ENROL_CHUNK] for i in range(0, len(items), ENROL_CHUNK)]
        with ThreadPoolExecutor(SEED_THREADS) as pool:
            list(pool.map(repo.enrol, chunks))

    def set_supporters(self, org_id: str, unit_id: str, supporters: list[str]) -> None:
        self.orgs().set_supporters(org_id, unit_id, supporters, [], _stamp(dt.datetime.now(dt.UTC)))


def _ids(rng: random.Random, n: int) -> list[str]:
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)]


def checkin_image(
    org_id: str, user_id: str, day: dt.date, mood: int, created: dt.datetime
) -> dict[str, Any]:
    """A shared check-in as the check-ins table holds it (scores, risk, sealed fields too)."""
    stamp = _stamp(created)
    return {
        "user_id": user_id,
        "date": day.isoformat(),
        "org_id": org_id,
        "mood": mood,
        "energy": 3,
        "stress": 2,
        "emotions": ["anxious", "tired"],
        "share_with_supporter": True,
        "instruments": {"phq2": [1, 1], "gad2": [1, 0]},
        "scores": {"phq2": {"total": 2, "band": "negative", "positive": False}},
        "risk": {"level": "none"},
        "risk_level": "none",
        "note_ct": b"sealed-note",
        "tags_ct": b"sealed-tags",
        "time_zone": ZONE,
        "created_at": stamp,
        "updated_at": stamp,
    }


# --- 1. the inbox page -----------------------------------------------------------------


def measure_inbox(bench: Bench, rng: random.Random) -> tuple[dict[str, Any], Target]:
    org_id = f"bench-peer-{uuid.uuid4().hex[:8]}"
    supporter, *members = _ids(rng, 1 + INBOX_MEMBERS)
    bench.new_org(org_id, [("school", "school", None), ("class-a", "class", "school")])
    bench.enrol(
        org_id,
        [(supporter, "peer_supporter", "school", "Supporter A")]
        + [(m, "member", "class-a", f"Member A{n:02d}") for n, m in enumerate(members)],
    )
    bench.set_supporters(org_id, "class-a", [supporter])

    # The check-ins, projected as the projector projects them (its classes; not counted).
    peer = import_module("functions.peer.repository")
    projector_module = import_module("functions.peer.projector")
    vault = import_module("shared.vault").Vault(
        import_module("shared.envelope").KeyRing(
            setup_client("kms", bench.stack), bench.stack["sealing_key_id"], "peer"
        ),
        import_module("functions.peer.keys").PeerKeys(bench.setup_db, bench.tables["peer"]),
    )
    projector = projector_module.Projector(
        peer.PeerRepository(bench.setup_db, bench.tables["peer"], vault),
        import_module("shared.orgs.roster").Roster(bench.setup_db, bench.tables["orgs"], 60),
        import_module("shared.orgs.units").UnitSupporters(bench.setup_db, bench.tables["orgs"], 60),
    )
    now = dt.datetime.now(dt.UTC)
    done: Counter[str] = Counter()
    for d in range(INBOX_DAYS):
        day = INBOX_FIRST_DAY + dt.timedelta(days=d)
        for n, member in enumerate(members):
            created = dt.datetime.combine(day, dt.time(12, n), tzinfo=dt.UTC)
            image = checkin_image(org_id, member, day, 1 + (n + d) % 5, created)
            done[projector.apply("INSERT", image, None, now)] += 1
    shared = INBOX_MEMBERS * INBOX_DAYS
    if done != Counter({"projected": shared}):
        raise RuntimeError(f"the inbox seed was not all projected: {dict(done)}")

    handler = import_module("functions.peer.handler").handler
    claims = bench.claims(supporter, org_id, "peer_supporter")
    rows: list[Counted] = []
    pages: list[dict[str, Any]] = []
    for phase in ("first", "warm"):
        event = api_event("GET", "/peer/inbox", claims=claims)
        counted, answer = bench.invoke(
            f"GET /peer/inbox (page of {INBOX_PAGE} of {shared})", phase, handler, event, "peer"
        )
        body = json.loads(answer.get("body") or "{}")
        items = body.get("items") or []
        counted.extra = {
            "items": len(items),
            "members_on_page": len({i.get("member_id") for i in items}),
            "next_cursor": bool(body.get("next_cursor")),
        }
        rows.append(counted)
        pages.append(body)
    print_counted(rows)
    warm = rows[-1]
    reads = [c for c in warm.dynamodb if c.operation in READS]
    writes = [c for c in warm.dynamodb if c.operation not in READS]
    audit_writes = [c for c in writes if c.operation == "TransactWriteItems" and c.tables]
    audit_only = all(c.tables == ("audit",) for c in audit_writes) and len(audit_writes) == len(
        writes
    )
    members_on_page = int(warm.extra["members_on_page"])
    answered = (
        warm.status == 200 and warm.extra["items"] == INBOX_PAGE and warm.extra["next_cursor"]
    )
    print(
        f"warm page: {len(reads)} read ({', '.join(c.label() for c in reads)}, "
        f"{sum(c.items_read for c in reads)} items); {len(writes)} audit write(s) "
        f"(one record per member shown: {members_on_page} members on the page); "
        f"{warm.other_calls} calls to other services"
    )
    passed = (
        answered
        and [(c.operation, c.tables) for c in reads] == [("Query", ("peer",))]
        and audit_only
        and len(audit_writes) == 1
        and warm.other_calls == 0
    )
    target = Target(
        f"GET /peer/inbox (warm, page of {INBOX_PAGE}): DynamoDB reads",
        "exactly 1 dynamodb.Query (peer table) and 1 TransactWriteItems (the audit "
        "records of every member on the page)",
        f"HTTP {warm.status}, {warm.extra['items']} items; "
        + (", ".join(c.label() for c in reads) or "no read")
        + f"; {len(audit_writes)} TransactWriteItems[audit] for {members_on_page} members"
        + (
            f"; other: {[c for c in warm.calls if not c.startswith('dynamodb.')]}"
            if warm.other_calls
            else ""
        ),
        passed,
    )
    data = {
        "org_members": INBOX_MEMBERS,
        "shared_checkins": shared,
        "requests": [r.to_json() for r in rows],
    }
    return data, target


# --- 2. statistics: the same calls for 100 and 10,000 members -----------------------------


class SummingStore:
    """The aggregator's StatsStore in memory: the organisation's counter rows it would ADD.

    Member items: only the week's and month's (the distinct members); each member-day is
    counted once here, so the day items (what a replay is checked against) are not kept.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Counter[str]] = {}  # (pk, sk) → counters
        self.periods: dict[tuple[str, str], dict[str, Any]] = {}

    def get_many(self, pk: str, sks: list[str]) -> dict[str, dict[str, Any]]:
        return {sk: self.periods[(pk, sk)] for sk in sks if (pk, sk) in self.periods}

    def apply_checkin(
        self,
        user_id: str,
        day_sk: str,
        day_item: dict[str, Any],
        period_items: dict[str, tuple[dict[str, int], int | None]],
        deltas: dict[tuple[str, str, str], dict[str, int]],
        now: dt.datetime,
    ) -> None:
        keys = import_module("functions.stats.keys")
        pk = keys.member_pk(user_id)
        for sk, (units, version) in period_items.items():
            self.periods[(pk, sk)] = {"units": dict(units), "version": (version or 0) + 1}
        for (org_id, period, unit), changes in deltas.items():
            row = self.rows.setdefault(
                (keys.stats_pk(org_id), keys.row_sk(period, unit)), Counter()
            )
            row.update(changes)


def _classes() -> list[tuple[str, str, str | None]]:
    units: list[tuple[str, str, str | None]] = [("school", "school", None)]
    for g in range(GRADES):
        units.append((f"grade-{g + 1}", "grade", "school"))
        units += [(f"class-{g + 1}-{c + 1}", "class", f"grade-{g + 1}") for c in range(CLASSES)]
    return units


@dataclass
class StatsOrg:
    org_id: str
    members: int
    member_days: int
    counter_rows: int
    seed_seconds: float
    admin: str


def seed_stats_org(bench: Bench, members: int, rng: random.Random) -> StatsOrg:
    """An organisation of `members` members, counted by the aggregator, rows written."""
    started = time.perf_counter()
    org_id = f"bench-stats-{members}-{uuid.uuid4().hex[:6]}"
    units = _classes()
    classes = [u for u, kind, _ in units if kind == "class"]
    admin, *people = _ids(rng, 1 + members)
    unit_of = {user_id: classes[n % len(classes)] for n, user_id in enumerate(people)}
    bench.new_org(org_id, units)
    bench.enrol(
        org_id,
        [(admin, "org_admin", None, "Admin")]
        + [(u, "member", unit_of[u], f"Member {n}") for n, u in enumerate(people)],
    )
    aggregator_module = import_module("functions.stats.aggregator")
    store = SummingStore()
    aggregator = aggregator_module.Aggregator(
        store, lambda org, user_id: unit_of[user_id], lambda org: ZONE
    )
    sequence = 10**20
    member_days = 0
    for d in range(STATS_DAYS):
        day = STATS_FIRST_DAY + dt.timedelta(days=d)
        for n, user_id in enumerate(people):
            if (n + d) % SKIP_EVERY == 0:
                continue
            sequence += 1
            tier = "watch" if (n * 3 + d) % 17 == 0 else "none"
            image = {"org_id": org_id, "mood": 1 + (n * 7 + d) % 5, "risk_level": tier}
            if not aggregator.checkin(user_id, day, image, str(sequence)):
                raise RuntimeError("the aggregator counted nothing for a new member-day")
            member_days += 1
    to_item = import_module("shared.dynamo").to_item
    items = [
        to_item({"pk": pk, "sk": sk, **{k: v for k, v in row.items() if v}})
        for (pk, sk), row in store.rows.items()
    ]
    seed(bench.stack, bench.tables["stats"], items)
    return StatsOrg(
        org_id,
        members,
        member_days,
        len(items),
        round(time.perf_counter() - started, 1),
        admin,
    )


def measure_stats(bench: Bench, rng: random.Random) -> tuple[dict[str, Any], Target]:
    handler = import_module("functions.stats.handler").handler
    first, last = STATS_FIRST_DAY, STATS_FIRST_DAY + dt.timedelta(days=STATS_DAYS - 1)
    orgs: list[StatsOrg] = []
    rows: list[Counted] = []
    totals: dict[int, Any] = {}
    for size in STATS_SIZES:
        org = seed_stats_org(bench, size, rng)
        orgs.append(org)
        print(
            f"seeded {org.members:,} members on the roster and {org.member_days:,} member-days "
            f"counted by the aggregator into {org.counter_rows} counter rows in "
            f"{org.seed_seconds} s (not counted)"
        )
        claims = bench.claims(org.admin, org.org_id, "org_admin")
        for phase in ("first", "warm"):
            event = api_event(
                "GET",
                f"/orgs/{org.org_id}/stats",
                claims=claims,
                resource="/orgs/{org_id}/stats",
                path_parameters={"org_id": org.org_id},
                query={"from": first.isoformat(), "to": last.isoformat()},
            )
            counted, answer = bench.invoke(
                f"GET /orgs/{{id}}/stats ({size:,} members, {STATS_DAYS} days)",
                phase,
                handler,
                event,
                "stats",
            )
            body = json.loads(answer.get("body") or "{}")
            checkins = ((body.get("unit") or {}).get("participation") or {}).get("checkins") or {}
            counted.extra = {"members": size, "checkins_reported": checkins.get("value")}
            rows.append(counted)
        totals[size] = rows[-1].extra["checkins_reported"]
    print_counted(rows, items=True)
    warm = {r.extra["members"]: r for r in rows if r.phase == "warm"}
    small, large = (warm[s] for s in STATS_SIZES)
    correct = all(
        warm[o.members].status == 200 and totals[o.members] == o.member_days for o in orgs
    )
    same = (
        small.dynamodb_calls == large.dynamodb_calls
        and [c.label() for c in small.dynamodb] == [c.label() for c in large.dynamodb]
        and small.items_read == large.items_read
    )
    target = Target(
        "GET /orgs/{id}/stats (warm, 30 days, all units): DynamoDB calls by members",
        f"the same calls and items read for {STATS_SIZES[0]:,} and {STATS_SIZES[1]:,} "
        "members; the report counts every member-day",
        "; ".join(
            f"{r.extra['members']:,} members: {r.dynamodb_calls} calls "
            f"({', '.join(c.label() for c in r.dynamodb)}), {r.items_read} items read, "
            f"{totals[r.extra['members']]} check-ins reported"
            for r in (small, large)
        ),
        same and correct,
    )
    data = {
        "orgs": [o.__dict__ for o in orgs],
        "requests": [r.to_json() for r in rows],
    }
    return data, target


# --- 3. the projector: a batch in one invocation ------------------------------------------


def _binary_as_json(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON as a stream record carries it through SNS and SQS (binary in base64)."""

    def plain(value: Any) -> Any:
        if isinstance(value, bytes):
            return base64.b64encode(value).decode()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return {k: plain(v) for k, v in item.items()}


def stream_records(
    org_id: str, members: list[str], day: dt.date, sequence: Iterator[int]
) -> dict[str, Any]:
    """The check-ins stream's INSERT records (NEW_AND_OLD_IMAGES) of the members' day."""
    to_item = import_module("shared.dynamo").to_item
    records = []
    for n, member in enumerate(members):
        created = dt.datetime.combine(day, dt.time(9, n), tzinfo=dt.UTC)
        image = checkin_image(org_id, member, day, 1 + n % 5, created)
        number = str(next(sequence))
        records.append(
            {
                "eventID": uuid.uuid4().hex,
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "dynamodb": {
                    "ApproximateCreationDateTime": int(created.timestamp()),
                    "Keys": to_item({"user_id": member, "date": day.isoformat()}),
                    "NewImage": _binary_as_json(to_item(image)),
                    "SequenceNumber": number,
                    "SizeBytes": 512,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        )
    return {"Records": records}


def _inbox_sizes(bench: Bench, supporters: list[str]) -> int:
    """Inbox items of the supporters (read with an uncounted client)."""
    to_item = import_module("shared.dynamo").to_item
    inbox_pk = import_module("functions.peer.keys").inbox_pk
    total = 0
    for supporter in supporters:
        total += int(
            bench.setup_db.query(
                TableName=bench.tables["peer"],
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=to_item({":pk": inbox_pk(supporter)}),
                Select="COUNT",
                ConsistentRead=True,
            )["Count"]
        )
    return total


def measure_projector(bench: Bench, rng: random.Random) -> tuple[dict[str, Any], Target]:
    org_id = f"bench-proj-{uuid.uuid4().hex[:8]}"
    ids = _ids(rng, PROJECTOR_SUPPORTERS + PROJECTOR_MEMBERS)
    supporters, members = ids[:PROJECTOR_SUPPORTERS], ids[PROJECTOR_SUPPORTERS:]
    bench.new_org(org_id, [("school", "school", None), ("class-b", "class", "school")])
    bench.enrol(
        org_id,
        [(s, "peer_supporter", "school", f"Supporter B{n}") for n, s in enumerate(supporters)]
        + [(m, "member", "class-b", f"Member B{n:02d}") for n, m in enumerate(members)],
    )
    bench.set_supporters(org_id, "class-b", supporters)
    handler = import_module("functions.peer.projector").handler
    sequence = iter(range(10**20, 10**21))
    rows: list[Counted] = []
    before = _inbox_sizes(bench, supporters)
    for n, phase in enumerate(("first", "warm")):
        day = PROJECTOR_FIRST_DAY + dt.timedelta(days=n)
        event = queued(stream_records(org_id, members, day, sequence))
        counted, answer = bench.invoke(
            f"projector: {len(members)} records in one invocation",
            phase,
            handler,
            event,
            "peer-projector",
        )
        after = _inbox_sizes(bench, supporters)
        counted.extra = {
            "records": len(event["Records"]),
            "failures": len(answer.get("batchItemFailures") or []),
            "inbox_items_added": after - before,
            "calls_per_record": round(len(counted.calls) / len(event["Records"]), 2),
        }
        counted.status = f"{counted.extra['failures']} failed"
        before = after
        rows.append(counted)
    print_counted(rows)
    for r in rows:
        ops = Counter(c.operation for c in r.dynamodb)
        print(
            f"{r.phase}: {r.extra['records']} records, {r.extra['failures']} failed, "
            f"{r.extra['inbox_items_added']} inbox items added, "
            f"{r.extra['calls_per_record']} AWS calls a record ("
            + ", ".join(f"{op} {k}" for op, k in sorted(ops.items()))
            + ")"
        )
    expected_items = PROJECTOR_MEMBERS * PROJECTOR_SUPPORTERS
    passed = all(
        r.extra["records"] == PROJECTOR_MEMBERS
        and r.extra["failures"] == 0
        and r.extra["inbox_items_added"] == expected_items
        for r in rows
    )
    target = Target(
        f"peer inbox projector: a batch of {PROJECTOR_MEMBERS} shared check-ins in one invocation",
        f"no failed record, {expected_items} inbox items ({PROJECTOR_SUPPORTERS} supporters)",
        "; ".join(
            f"{r.phase}: {r.extra['failures']} failed of {r.extra['records']}, "
            f"{r.extra['inbox_items_added']} inbox items, {r.extra['calls_per_record']} AWS "
            "calls a record"
            for r in rows
        ),
        passed,
    )
    return {"requests": [r.to_json() for r in rows]}, target


# --- printing, and the whole --------------------------------------------------------------


def print_counted(rows: list[Counted], *, items: bool = False) -> None:
    read = f" {'read':>5}" if items else ""
    print(
        f"{'request':<46} {'phase':<5} {'status':>8} {'dynamodb':>8}{read} {'other':>5}  operations"
    )
    for r in rows:
        ops = Counter(c.label() for c in r.dynamodb) + Counter(
            c for c in r.calls if not c.startswith("dynamodb.")
        )
        listed = ", ".join(f"{op}" + (f" ×{n}" if n > 1 else "") for op, n in ops.items())
        shown = f" {r.items_read:>5}" if items else ""
        print(
            f"{r.name:<46} {r.phase:<5} {r.status!s:>8} {r.dynamodb_calls:>8}{shown} "
            f"{r.other_calls:>5}  {listed or '-'}"
        )


def measure(stack: dict[str, Any], recorder: CallRecorder) -> tuple[dict[str, Any], list[Target]]:
    """The three measurements; printed, and their data and targets."""
    bench = Bench(stack, recorder)
    rng = random.Random(SEED)
    try:
        print(
            f"-- the inbox: {INBOX_MEMBERS} members of a class share {INBOX_DAYS} days each, "
            "projected; GET /peer/inbox as their supporter"
        )
        inbox, inbox_target = measure_inbox(bench, rng)
        print(
            f"-- statistics: {STATS_SIZES[0]:,} and {STATS_SIZES[1]:,} members, "
            f"{STATS_DAYS} days counted by the aggregator; GET /orgs/{{id}}/stats as the admin"
        )
        stats, stats_target = measure_stats(bench, rng)
        print(
            f"-- the projector: {PROJECTOR_MEMBERS} members of a class with "
            f"{PROJECTOR_SUPPORTERS} supporters share a day, one batch"
        )
        projector, projector_target = measure_projector(bench, rng)
    finally:
        bench.probe.close()
    data = {"inbox": inbox, "stats": stats, "projector": projector}
    return data, [inbox_target, stats_target, projector_target]


def main() -> int:
    """The peer network bench alone, on a throwaway local cloud of its own."""
    from bench.cold import verdict
    from local.cloud import bring_up
    from local.emulator import free_port

    aws = import_module("shared.aws")
    if aws.client.cache_info().currsize:
        raise RuntimeError("an AWS client was made before the call hook was installed")
    recorder = CallRecorder()
    recorder.install()
    started = time.perf_counter()
    emulator, stack = bring_up(free_port())
    try:
        print(f"local cloud up in {time.perf_counter() - started:.1f} s")
        print("\n== Peer network (issue 11; in-process, calls counted)")
        _, found = measure(stack, recorder)
    finally:
        emulator.stop()
    for t in found:
        print(f"{verdict(t.passed)}  {t.name}: {t.measured} (target {t.expected})")
    return 0 if all(t.passed for t in found) else 1


if __name__ == "__main__":
    sys.exit(main())
