"""The load benchmark's people: Cognito users on the demo school's roster, made fast.

As tests/support/appointments_stack.roster_people and the seed do it (local.seed.make_user,
then OrgsRepository.enrol), but many at once: the Cognito calls from a few threads, the
roster in BatchWriteItem chunks. The load's peer supporters are trained, supervised by a
demo counsellor and each named the supporter of a class of their own (under Grade 7,
with an id of this run), so their members' shared check-ins reach their inbox. Names and
usernames are numbered, never anyone's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bench.calls import DEMO_ORG
from bench.reminders import setup_client
from functions.orgs.repository import OrgsRepository
from local.seed import DEMO_PASSWORD, make_user

ZONE = "Asia/Shanghai"
PARENT_UNIT = "grade-7"
SUPERVISOR = "counsellor-wang"
# Cognito calls at once: make_user is four sequential calls, the emulator answers in ms.
SETUP_THREADS = 8
MEMBER, SUPPORTER = "member", "peer_supporter"


@dataclass(frozen=True)
class Person:
    username: str
    password: str
    user_id: str
    role: str
    unit_id: str | None
    display_name: str


@dataclass(frozen=True)
class Wanted:
    username: str
    role: str
    unit_id: str | None
    display_name: str


def run_tag() -> str:
    """This run's part of every username and unit id: runs on one stack never collide."""
    return uuid.uuid4().hex[:6]


def unit_id(tag: str, unit: int) -> str:
    return f"load-{tag}-{unit:02d}"


def wanted_load(tag: str, members: int, units: int) -> list[Wanted]:
    """The plan's people in its order (bench.load_plan: unit = index % units, the first
    `units` are the supporters)."""
    out = []
    for m in range(members):
        supporter = m < units
        out.append(
            Wanted(
                f"load-{tag}-m{m:03d}",
                SUPPORTER if supporter else MEMBER,
                unit_id(tag, m % units),
                f"Load {'supporter' if supporter else 'member'} {m:03d}",
            )
        )
    return out


def wanted_extra(tag: str, prefix: str, count: int, role: str = MEMBER) -> list[Wanted]:
    """People outside the plan's units (warm-up, crisis): nobody supports them."""
    return [
        Wanted(f"load-{tag}-{prefix}{n:02d}", role, None, f"Load {prefix} {n:02d}")
        for n in range(count)
    ]


def _cognito_users(stack: dict[str, Any], wanted: list[Wanted]) -> list[Person]:
    cognito = setup_client("cognito-idp", stack)

    def make(w: Wanted) -> Person:
        user_id = make_user(
            cognito,
            stack["user_pool_id"],
            w.username,
            DEMO_PASSWORD,
            org_id=DEMO_ORG,
            group=w.role,
            zoneinfo=ZONE,
            locale="en",
        )
        return Person(w.username, DEMO_PASSWORD, user_id, w.role, w.unit_id, w.display_name)

    with ThreadPoolExecutor(max_workers=SETUP_THREADS) as pool:
        return list(pool.map(make, wanted))


def _row(p: Person, stamp: str, training_until: str, supervisor: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "org_id": DEMO_ORG,
        "user_id": p.user_id,
        "username": p.username,
        "display_name": p.display_name,
        "role": p.role,
        "unit_id": p.unit_id,
        "status": "active",
        "created_at": stamp,
        "updated_at": stamp,
    }
    if p.role == SUPPORTER:
        # What the supporter checks read (a valid training, a supervisor); the training
        # record itself is left out, as no route of the load reads it.
        row |= {"training_valid_until": training_until, "supervisor_id": supervisor}
    return row


def _units(repo: OrgsRepository, tag: str, people: Iterable[Person], stamp: str) -> None:
    """A class per load supporter, the supporter named in it (the real transaction)."""
    for p in people:
        if p.role != SUPPORTER or p.unit_id is None:
            continue
        name = f"Load {p.unit_id.rsplit('-', 1)[1]} {tag}"
        repo.create_unit(
            DEMO_ORG,
            {
                "unit_id": p.unit_id,
                "name": name,
                "kind": "class",
                "parent_id": PARENT_UNIT,
                "created_at": stamp,
                "updated_at": stamp,
            },
        )
        repo.set_supporters(DEMO_ORG, p.unit_id, [p.user_id], [], stamp)


def enrol(stack: dict[str, Any], tag: str, wanted: list[Wanted]) -> list[Person]:
    """Make everyone wanted (Cognito, roster, load units); the people in the same order."""
    people = _cognito_users(stack, wanted)
    repo = OrgsRepository(setup_client("dynamodb", stack), stack["tables"]["orgs"])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    until = (dt.date.today() + dt.timedelta(days=365)).isoformat()
    supervisor = next(u["user_id"] for u in stack["demo_users"] if u["username"] == SUPERVISOR)
    repo.enrol([_row(p, stamp, until, supervisor) for p in people])
    # Units after the people: naming a supporter checks their roster entry.
    _units(repo, tag, people, stamp)
    return people
