"""The load benchmark's plan: who does what, when, with which body; pure and seeded.

One session per member, the evening pattern: sign in, check in, write a journal entry,
read the inbox; a peer supporter then reads the peer inbox. Sessions start spread over
the first part of the load window and wait a think time between steps, so the plan is
bounded (one request per step) and the same seed always gives the same plan. Who the
people are (their Cognito users) is made per run: the plan only numbers them.

Each member checks in once, for the local today: a second POST for the same day is a
200 update, not the 201 the benchmark counts on. Bodies never carry risky words or
instrument answers: a correct system answers every planned request with 2xx and opens no
case (the crisis path is measured on its own, bench/load_crisis.py).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

LOGIN = "login (Cognito InitiateAuth)"
CHECKIN = "POST /checkins"
JOURNAL = "POST /journal/entries"
INBOX = "GET /notifications"
PEER_INBOX = "GET /peer/inbox"
PING = "GET /ping"
# Report order; PING is the denominator of every ratio.
ROUTES = (LOGIN, CHECKIN, JOURNAL, INBOX, PEER_INBOX, PING)
EXPECTED = {LOGIN: 200, CHECKIN: 201, JOURNAL: 201, INBOX: 200, PEER_INBOX: 200, PING: 200}

# Sessions start within this share of the window, so the last ones finish inside it.
START_SPREAD = 0.6
THINK_S = (0.5, 3.0)
SHARE_CHANCE = 0.6
MOODS = (2, 3, 3, 4, 4, 4, 5)
CALM_EMOTIONS = ("happy", "calm", "grateful", "hopeful", "tired", "bored", "relieved", "proud")
TAGS = ("school", "friends", "family", "sport", "music", "homework", "sleep", "food")
NOTES = (
    "Long day of classes, dinner with my family.",
    "Basketball after school, feeling fine.",
    "Quiet evening, finished the maths homework.",
    "Talked with a friend on the way home.",
)
TITLES = ("Evening", "Today", "After school", "Notes")
SENTENCES = (
    "We practised for the choir concert after lunch.",
    "The chemistry test went better than I expected.",
    "I walked home with Lin and we bought dumplings.",
    "My little brother wanted help with his drawing.",
    "I read two chapters of the novel for English class.",
    "The bus was late, so I listened to music while waiting.",
    "Tomorrow we have sports day and I am running the relay.",
)


@dataclass(frozen=True)
class Step:
    route: str
    think_s: float  # the pause after the previous step's answer (or the session's start)
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class Session:
    member: int  # index into the run's people
    supporter: bool
    unit: int
    start_s: float
    steps: tuple[Step, ...] = field(default_factory=tuple)


def unit_of(member: int, units: int) -> int:
    """Members are dealt round-robin into the units; member u (< units) supports unit u."""
    return member % units


def is_supporter(member: int, units: int) -> bool:
    return member < units


def checkin_body(rng: random.Random, share: bool) -> dict[str, Any]:
    return {
        "mood": rng.choice(MOODS),
        "energy": rng.randint(2, 5),
        "stress": rng.randint(1, 4),
        "sleep_hours": rng.choice((6.5, 7.0, 7.5, 8.0, 8.5)),
        "emotions": rng.sample(CALM_EMOTIONS, 2),
        "tags": rng.sample(TAGS, 2),
        "note": rng.choice(NOTES),
        "share_with_supporter": share,
    }


def journal_body(rng: random.Random) -> dict[str, Any]:
    return {
        "title": rng.choice(TITLES),
        "body": " ".join(rng.sample(SENTENCES, 3)),
        "mood": rng.choice(MOODS),
        "emotions": rng.sample(CALM_EMOTIONS, 2),
        "tags": rng.sample(TAGS, 1),
        # An app-made id (seeded, so the plan repeats): resending it would create nothing.
        "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    }


def session(rng: random.Random, member: int, units: int, spread_s: float) -> Session:
    supporter = is_supporter(member, units)

    def think() -> float:
        return round(rng.uniform(*THINK_S), 3)

    # Members share with their unit's supporter by chance; a supporter's own day is not
    # projected anywhere, so theirs stays private.
    share = not supporter and rng.random() < SHARE_CHANCE
    steps = [
        Step(LOGIN, 0.0),
        Step(CHECKIN, think(), checkin_body(rng, share)),
        Step(JOURNAL, think(), journal_body(rng)),
        Step(INBOX, think()),
    ]
    if supporter:
        steps.append(Step(PEER_INBOX, think()))
    start = round(rng.uniform(0.0, spread_s), 3)
    return Session(member, supporter, unit_of(member, units), start, tuple(steps))


def make_plan(seed: int, members: int, supporters: int, seconds: float) -> list[Session]:
    """Every member's session, ordered by start; the same arguments give the same plan."""
    if not 0 < supporters <= members:
        raise ValueError("need 1..members supporters (one per unit)")
    rng = random.Random(seed)
    spread = seconds * START_SPREAD
    plan = [session(rng, m, supporters, spread) for m in range(members)]
    return sorted(plan, key=lambda s: (s.start_s, s.member))


def ping_times(seconds: float, every_s: float) -> list[float]:
    """When the echo route is called: evenly through the whole window, beside the load."""
    count = int(seconds / every_s)
    return [round(i * every_s, 3) for i in range(count)]


def planned_requests(plan: list[Session], pings: int) -> dict[str, int]:
    """Requests per route the plan sends if it runs to the end."""
    counts = dict.fromkeys(ROUTES, 0)
    for s in plan:
        for step in s.steps:
            counts[step.route] += 1
    counts[PING] = pings
    return counts
