"""The organisations function's world for the unit tier.

moto's DynamoDB (one mock per test module, `orgs_cloud`), an in-memory Cognito with the
template's groups and custom attributes, and a queue that records what it is sent. Each
test gets a `World` (`orgs_world`): tables of its own shaped as the template's OrgsTable
and AuditTable, filled with a copy of two organisations seeded once per module through
OrgsRepository:

- org A ("school"), in Asia/Shanghai: units school → Grade 7 → Class 7-1, Class 7-2;
  an admin, a counsellor, a peer supporter of Grade 7 (trained until TODAY + 180 days,
  supervised by the counsellor) and a member of Class 7-1; Class 7-2 stays empty;
- org B ("company"): a unit and one person of each role ("other_<role>").

`wired` points the app at a world for one test: settings from the environment, every
cached provider and client cleared before and after, `shared.aws.client` answering with
the module's moto client and the fake Cognito. Only the caller (`World.as_`), the clock,
the import queue and the cursor key are replaced by dependency overrides.

(moto's own cognito-idp needs `joserfc`, which the dev dependencies do not include.)
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from functions.orgs import data_rights, import_worker, wiring
from functions.orgs.repository import OrgsRepository
from functions.orgs.roster_app import app as roster_app
from functions.orgs.rota_app import app as rota_app
from functions.orgs.routes import app as org_app
from local.template import load_template
from shared import aws
from shared import settings as settings_module
from shared.audit import ChainReport, read_chain, verify_org
from shared.identity import Identity, current_identity
from shared.orgs import duty, roster
from shared.orgs.roles import ROLES
from shared.routing import clock
from shared.signing_keys import SigningKeys
from tests.support.calls import DynamoCalls
from tests.support.fakes import Caller, MovableClock
from tests.support.moto_cloud import REGION, fresh_name, moto_clients
from tests.support.tables import create_table

HEADER = "display_name,email,phone,role,unit_path"  # a roster CSV's columns


class _Overrides(dict[Any, Any]):
    """Dependency overrides set on every app of the organisations API at once."""

    def __init__(self, apps: tuple[FastAPI, ...]) -> None:
        super().__init__()
        self._apps = apps

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        for each in self._apps:
            each.dependency_overrides[key] = value

    def clear(self) -> None:
        super().clear()
        for each in self._apps:
            each.dependency_overrides.clear()


class OrgsApi:
    """The three functions of the organisations API behind one test client: each request
    goes to the app whose route matches it, as API Gateway sends it to that function."""

    def __init__(self, *apps: FastAPI) -> None:
        self.apps = apps
        self.dependency_overrides = _Overrides(apps)

    def openapi(self) -> dict[str, Any]:
        paths: dict[str, Any] = {}
        for each in self.apps:
            for path, operations in each.openapi()["paths"].items():
                paths.setdefault(path, {}).update(operations)
        return {"paths": paths}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for each in self.apps:
                if any(r.matches(scope)[0] == Match.FULL for r in each.router.routes):
                    await each(scope, receive, send)
                    return
        await self.apps[0](scope, receive, send)


app = OrgsApi(org_app, roster_app, rota_app)

_REAL_CLIENT = aws.client  # kept before any test replaces it
# Org A's seeded people by role; org B's are "other_<role>".
SEEDED_KEYS = {
    "member": "member",
    "peer_supporter": "supporter",
    "counsellor": "counsellor",
    "org_admin": "admin",
}
POOL_ID = f"{REGION}_OrgsPool"
CURSOR_KEYS = SigningKeys(current=b"orgs-cursor-key-for-unit-tests!!")
ZONE = "Asia/Shanghai"
# Tuesday 24 November 2026, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 24)
SUPPORTER_TRAINED_UNTIL = TODAY + dt.timedelta(days=180)
CONTACT = {"name": "Head of Pastoral Care", "phone": "+8613800000000"}

# Cognito's standard attributes; every other name in the pool's Schema is "custom:<name>".
_STANDARD_ATTRIBUTES = frozenset(
    {
        "address",
        "birthdate",
        "email",
        "email_verified",
        "family_name",
        "gender",
        "given_name",
        "locale",
        "middle_name",
        "name",
        "nickname",
        "phone_number",
        "phone_number_verified",
        "picture",
        "preferred_username",
        "profile",
        "sub",
        "updated_at",
        "website",
        "zoneinfo",
    }
)


# --- Cognito -------------------------------------------------------------------------------


@cache
def _user_pool_shape() -> tuple[frozenset[str], frozenset[str]]:
    """The template's user pool groups and the attribute names its users may have."""
    resources = load_template()["Resources"]
    groups = frozenset(
        str(r["Properties"]["GroupName"])
        for r in resources.values()
        if r.get("Type") == "AWS::Cognito::UserPoolGroup"
    )
    schema = [str(a["Name"]) for a in resources["UserPool"]["Properties"].get("Schema", ())]
    custom = {f"custom:{n}" for n in schema if n not in _STANDARD_ATTRIBUTES}
    return groups, frozenset(_STANDARD_ATTRIBUTES | custom)


def _cognito_error(kind: type[ClientError], code: str, operation: str) -> ClientError:
    return kind({"Error": {"Code": code, "Message": code}}, operation)


class UsernameExists(ClientError):
    pass


class UserNotFound(ClientError):
    pass


class GroupNotFound(ClientError):
    pass


class InvalidParameter(ClientError):
    pass


@dataclass
class CognitoUser:
    username: str
    attributes: dict[str, str]
    enabled: bool = True
    groups: set[str] = field(default_factory=set)
    global_sign_outs: int = 0
    temporary_password: str | None = None
    delivery: list[str] = field(default_factory=list)


class FakeCognito:
    """The Cognito admin calls enrolment makes, on one pool shaped as template.yaml's UserPool.

    Refuses what Cognito refuses: another pool id, an existing username, an unknown group
    or attribute, a user that is not there.
    """

    class exceptions:  # named as on a boto3 client
        UsernameExistsException = UsernameExists
        UserNotFoundException = UserNotFound
        ResourceNotFoundException = GroupNotFound
        InvalidParameterException = InvalidParameter

    def __init__(self, pool_id: str = POOL_ID) -> None:
        self.pool_id = pool_id
        self.group_names, self.attribute_names = _user_pool_shape()
        self.users: dict[str, CognitoUser] = {}
        self.calls: list[str] = []

    # helpers for tests
    def add_user(self, username: str, org_id: str, role: str) -> str:
        """A user as an earlier enrolment left it; returns its sub."""
        sub = str(uuid.uuid4())
        self.users[username] = CognitoUser(
            username, {"sub": sub, "custom:org_id": org_id}, groups={role}
        )
        return sub

    def groups_of(self, username: str) -> set[str]:
        return set(self.users[username].groups)

    def by_email(self, email: str) -> CognitoUser:
        (user,) = [u for u in self.users.values() if u.attributes.get("email") == email]
        return user

    # the boto3 calls
    def _user(self, pool: str, username: str, operation: str) -> CognitoUser:
        self._check_pool(pool, operation)
        if username not in self.users:
            raise _cognito_error(UserNotFound, "UserNotFoundException", operation)
        return self.users[username]

    def _check_pool(self, pool: str, operation: str) -> None:
        self.calls.append(operation)
        if pool != self.pool_id:
            raise _cognito_error(GroupNotFound, "ResourceNotFoundException", operation)

    def admin_create_user(
        self,
        *,
        UserPoolId: str,
        Username: str,
        UserAttributes: list[dict[str, str]],
        DesiredDeliveryMediums: list[str] | None = None,
        MessageAction: str | None = None,
        TemporaryPassword: str | None = None,
    ) -> dict[str, Any]:
        self._check_pool(UserPoolId, "AdminCreateUser")
        attributes = {a["Name"]: a["Value"] for a in UserAttributes}
        if not attributes.keys() <= self.attribute_names or "sub" in attributes:
            raise _cognito_error(InvalidParameter, "InvalidParameterException", "AdminCreateUser")
        if Username in self.users:
            raise _cognito_error(UsernameExists, "UsernameExistsException", "AdminCreateUser")
        attributes["sub"] = str(uuid.uuid4())
        user = CognitoUser(
            Username,
            attributes,
            temporary_password=TemporaryPassword,
            delivery=[] if MessageAction == "SUPPRESS" else list(DesiredDeliveryMediums or ()),
        )
        self.users[Username] = user
        return {"User": self._view(user, "Attributes")}

    def admin_get_user(self, *, UserPoolId: str, Username: str) -> dict[str, Any]:
        return self._view(self._user(UserPoolId, Username, "AdminGetUser"), "UserAttributes")

    def admin_add_user_to_group(self, *, UserPoolId: str, Username: str, GroupName: str) -> None:
        user = self._user(UserPoolId, Username, "AdminAddUserToGroup")
        if GroupName not in self.group_names:
            raise _cognito_error(GroupNotFound, "ResourceNotFoundException", "AdminAddUserToGroup")
        user.groups.add(GroupName)

    def admin_remove_user_from_group(
        self, *, UserPoolId: str, Username: str, GroupName: str
    ) -> None:
        self._user(UserPoolId, Username, "AdminRemoveUserFromGroup").groups.discard(GroupName)

    def admin_enable_user(self, *, UserPoolId: str, Username: str) -> None:
        self._user(UserPoolId, Username, "AdminEnableUser").enabled = True

    def admin_disable_user(self, *, UserPoolId: str, Username: str) -> None:
        self._user(UserPoolId, Username, "AdminDisableUser").enabled = False

    def admin_user_global_sign_out(self, *, UserPoolId: str, Username: str) -> None:
        self._user(UserPoolId, Username, "AdminUserGlobalSignOut").global_sign_outs += 1

    @staticmethod
    def _view(user: CognitoUser, attributes_key: str) -> dict[str, Any]:
        return {
            "Username": user.username,
            attributes_key: [{"Name": k, "Value": v} for k, v in user.attributes.items()],
            "Enabled": user.enabled,
            "UserStatus": "FORCE_CHANGE_PASSWORD",
        }


# --- the import queue ------------------------------------------------------------------------


class RecordingQueue:
    """Stands in for wiring.ImportQueue: keeps each message body as the worker would read it."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def send(self, bodies: list[dict[str, Any]]) -> None:
        self.messages.extend(json.loads(json.dumps(b, ensure_ascii=False)) for b in bodies)


# --- caches ------------------------------------------------------------------------------------


# Modules whose `functools.cache` providers and settings the orgs code reads.
_CACHING_MODULES = (settings_module, roster, duty, wiring, import_worker, data_rights)


def reset_orgs_caches() -> None:
    """Forget every per-container value the orgs code keeps: settings, AWS clients and each
    cached provider (found by looking, so a provider added later is cleared too)."""
    _REAL_CLIENT.cache_clear()
    for module in _CACHING_MODULES:
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


# --- the world ---------------------------------------------------------------------------------


class Cloud:
    """One moto mock per test module (a client costs more than a table), and the world seeded
    once that every test's world is a copy of (copying costs a few calls, seeding a dozen)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self._golden: World | None = None

    @property
    def golden(self) -> World:
        if self._golden is None:
            self._golden = World(self, seed=True)
        return self._golden


@contextmanager
def orgs_cloud() -> Iterator[Cloud]:
    with moto_clients("dynamodb") as clients:
        yield Cloud(clients["dynamodb"])


@dataclass(frozen=True)
class Person:
    """Someone seeded on a roster (and in Cognito)."""

    org_id: str
    user_id: str
    username: str
    role: str
    unit_id: str | None
    display_name: str


class World:
    """Two seeded organisations, the app wired to them, and helpers to look inside."""

    def __init__(self, cloud: Cloud, *, seed: bool = False) -> None:
        self.db = cloud.db
        # Tables of its own, not shared: moto copies a whole table for every transaction.
        self.orgs_table = create_table(self.db, "OrgsTable", fresh_name("orgs"))
        self.audit_table = create_table(self.db, "AuditTable", fresh_name("audit"))
        self.queue = RecordingQueue()
        self.clock = MovableClock(NOW)
        self.repo = OrgsRepository(self.db, self.orgs_table)
        self._stored_items: list[dict[str, Any]] | None = None
        if seed:
            self.cognito = FakeCognito()
            self.org, self.other_org = "school", "company"
            self.people: dict[str, Person] = {}
            self._seed()
        else:
            self._copy(cloud.golden)
        self.caller = Caller(self.identity(self.people["admin"]))
        self.api = TestClient(app)
        self._monkeypatch: pytest.MonkeyPatch | None = None

    def close(self) -> None:
        for table in (self.orgs_table, self.audit_table):
            self.db.delete_table(TableName=table)

    # configuration
    def configure(self, *, return_temporary_passwords: bool) -> None:
        """Set the function's environment (only while wired) and forget what was read of it."""
        assert self._monkeypatch is not None, "configure a wired world"
        env = {
            "AWS_DEFAULT_REGION": REGION,
            "ORGS_TABLE": self.orgs_table,
            "AUDIT_TABLE": self.audit_table,
            "USER_POOL_ID": self.cognito.pool_id,
            "RETURN_TEMPORARY_PASSWORDS": str(return_temporary_passwords).lower(),
        }
        for name, value in env.items():
            self._monkeypatch.setenv(name, value)
        reset_orgs_caches()

    # seeding
    def _copy(self, source: World) -> None:
        """The same organisations, people and accounts as `source`, in this world's tables."""
        self.cognito = copy.deepcopy(source.cognito)
        self.org, self.other_org = source.org, source.other_org
        self.people = dict(source.people)
        items = source.stored_items()
        for start in range(0, len(items), 25):
            puts = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            self.db.batch_write_item(RequestItems={self.orgs_table: puts})

    def stored_items(self) -> list[dict[str, Any]]:
        """Every item of the orgs table as DynamoDB holds it (read once: a Scan is slow)."""
        if self._stored_items is None:
            items: list[dict[str, Any]] = []
            scan: dict[str, Any] = {"TableName": self.orgs_table}
            while True:
                page = self.db.scan(**scan)
                items += page["Items"]
                if "LastEvaluatedKey" not in page:
                    break
                scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            self._stored_items = items
        return self._stored_items

    def _seed(self) -> None:
        stamp = "2026-09-01T00:00:00.000Z"
        self.repo.create_settings(
            self.org,
            {
                "name": "Demo School",
                "kind": "school",
                "time_zone": ZONE,
                "locale": "zh-CN",
                "region_code": "CN",
                "escalation_contact": CONTACT,
                "updated_at": stamp,
            },
        )
        self.repo.create_settings(
            self.other_org,
            {
                "name": "Demo Company",
                "kind": "workplace",
                "time_zone": "Europe/London",
                "locale": "en-GB",
                "region_code": "GB",
                "updated_at": stamp,
            },
        )
        for unit_id, name, kind, parent in (
            ("school", "Demo School", "school", None),
            ("g7", "Grade 7", "grade", "school"),
            ("c71", "Class 7-1", "class", "g7"),
            ("c72", "Class 7-2", "class", "g7"),
        ):
            self.add_unit(self.org, unit_id, name, kind, parent)
        self.add_unit(self.other_org, "hq", "Head Office", "company", None)
        self.enrol_many(
            [
                (self.org, "admin", "org_admin", "school"),
                (self.org, "counsellor", "counsellor", "school"),
                (self.org, "supporter", "peer_supporter", "g7"),
                (self.org, "member", "member", "c71"),
                *((self.other_org, f"other_{r}", r, "hq") for r in ROLES),
            ]
        )
        self.train(self.people["supporter"], SUPPORTER_TRAINED_UNTIL)
        self.supervise(self.people["supporter"], self.people["counsellor"])

    def add_unit(
        self, org_id: str, unit_id: str, name: str, kind: str, parent_id: str | None
    ) -> None:
        stamp = "2026-09-01T00:00:00.000Z"
        self.repo.create_unit(
            org_id,
            {
                "unit_id": unit_id,
                "name": name,
                "kind": kind,
                "parent_id": parent_id,
                "created_at": stamp,
                "updated_at": stamp,
            },
        )

    def enrol_many(self, wanted: list[tuple[str, str, str, str | None]]) -> list[Person]:
        """(org, key, role, unit) each: a Cognito user and one batched roster write for all."""
        made = []
        for org_id, key, role, unit_id in wanted:
            username = f"{key.replace('_', '.')}@{org_id}.example"
            user_id = self.cognito.add_user(username, org_id, role)
            person = Person(org_id, user_id, username, role, unit_id, key.replace("_", " ").title())
            self.people[key] = person
            made.append(person)
        self.repo.enrol(
            [
                {
                    "org_id": p.org_id,
                    "user_id": p.user_id,
                    "username": p.username,
                    "display_name": p.display_name,
                    "email": p.username,
                    "role": p.role,
                    "unit_id": p.unit_id,
                    "status": "active",
                    "created_at": "2026-09-01T00:00:00.000Z",
                    "updated_at": "2026-09-01T00:00:00.000Z",
                }
                for p in made
            ]
        )
        return made

    def enrol(self, key: str, role: str, unit_id: str | None = None) -> Person:
        """One more person of org A."""
        (person,) = self.enrol_many([(self.org, key, role, unit_id)])
        return person

    def train(self, person: Person, valid_until: dt.date) -> None:
        stored = self.repo.person(person.org_id, person.user_id)
        assert stored is not None
        record = {
            "training_id": uuid.uuid4().hex[:12],
            "user_id": person.user_id,
            "course": "Psychological First Aid",
            "completed_on": (valid_until - dt.timedelta(days=365)).isoformat(),
            "valid_until": valid_until.isoformat(),
            "trainer": "Red Cross",
            "recorded_at": "2026-09-01T00:00:00.000Z",
        }
        self.repo.add_training(person.org_id, person.user_id, record, stored, stored["updated_at"])

    def supervise(self, person: Person, supervisor: Person) -> None:
        self.repo.update_person(
            person.org_id, person.user_id, {"supervisor_id": supervisor.user_id}
        )

    # callers
    def seeded(self, role: str, *, other_org: bool = False) -> Person:
        """The person seeded with `role` in org A (or org B)."""
        return self.people[f"other_{role}" if other_org else SEEDED_KEYS[role]]

    def identity(
        self,
        person: Person,
        *,
        roles: tuple[str, ...] | None = None,
        org_id: str | None = None,
    ) -> Identity:
        return Identity.model_validate(
            {
                "user_id": person.user_id,
                "username": person.username,
                "roles": frozenset(roles or (person.role,)),
                "org_id": org_id or person.org_id,
            }
        )

    def as_(
        self,
        person: Person,
        *,
        roles: tuple[str, ...] | None = None,
        org_id: str | None = None,
    ) -> None:
        """The next requests are made by `person` (their token's roles and org unless given)."""
        self.caller.identity = self.identity(person, roles=roles, org_id=org_id)

    # looking inside
    def stored_person(self, person: Person) -> dict[str, Any]:
        return self.stored_person_by_id(person.user_id, person.org_id)

    def stored_person_by_id(self, user_id: str, org_id: str | None = None) -> dict[str, Any]:
        stored = self.repo.person(org_id or self.org, user_id)
        assert stored is not None
        return stored

    def audit_records(self, org_id: str | None = None) -> list[dict[str, Any]]:
        records, _ = read_chain(self.db, self.audit_table, org_id or self.org)
        return records

    def audit_length(self, org_id: str | None = None) -> int:
        """How many records the chain's head counts (0 before the first)."""
        head = self.db.get_item(
            TableName=self.audit_table,
            Key={"org_id": {"S": org_id or self.org}, "seq": {"N": "0"}},
            ConsistentRead=True,
        ).get("Item")
        return int(head["last_seq"]["N"]) if head else 0

    def audit_actions(self, org_id: str | None = None) -> list[str]:
        return [str(r["action"]) for r in self.audit_records(org_id)]

    def verify_audit(self, org_id: str | None = None) -> ChainReport:
        return verify_org(self.db, self.audit_table, org_id or self.org)

    def url(self, path: str, org_id: str | None = None) -> str:
        return f"/orgs/{org_id or self.org}{path}"

    def count_calls(self) -> DynamoCalls:
        return DynamoCalls(self.db)


@contextmanager
def wired(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The app, its settings and the AWS clients pointed at `world` for one test; the caller
    is the admin of org A and the clock NOW until the test says otherwise."""

    def client(service: str) -> Any:
        # The module's moto client: building a boto3 client per test would cost more than it.
        clients = {"dynamodb": world.db, "cognito-idp": world.cognito}
        assert service in clients, f"the orgs function asked for an unexpected {service} client"
        return clients[service]

    monkeypatch.setattr(aws, "client", client)
    world._monkeypatch = monkeypatch
    world.caller.identity = world.identity(world.people["admin"])
    world.clock.now = NOW
    try:
        world.configure(return_temporary_passwords=True)
        app.dependency_overrides[current_identity] = world.caller
        app.dependency_overrides[clock] = lambda: world.clock
        app.dependency_overrides[wiring.import_queue] = lambda: world.queue
        app.dependency_overrides[wiring.cursor_secret] = lambda: CURSOR_KEYS
        with TestClient(app) as world.api:  # one event loop for the test's requests
            yield world
    finally:
        world._monkeypatch = None
        app.dependency_overrides.clear()
        reset_orgs_caches()


@contextmanager
def orgs_world(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A freshly seeded world, wired for one test and dropped afterwards."""
    world = World(cloud)
    try:
        with wired(world, monkeypatch):
            yield world
    finally:
        world.close()


# Fixtures the orgs test modules share (each imports them): a cloud per module, a world per test.
@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloud]:
    with orgs_cloud() as made:
        yield made


@pytest.fixture
def world(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with orgs_world(cloud, monkeypatch) as made:
        yield made
