"""AWS calls per request: the handlers in-process against a throwaway local cloud.

Every botocore API call is seen through a 'before-call' hook on boto3's default
session, registered before the functions create any client (a client copies the
session's event hooks when it is made). 'before-send' counts HTTP attempts too,
so retries would show up as attempts > calls.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

import boto3

from bench.events import LambdaContext, api_event, member_claims

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

MEMBER_ZONE = "Asia/Shanghai"
SEEDED_CHECKINS = 25
PAGE_SIZE = 20
# The write, Powertools' two idempotency calls, and the replay's read of the check-in: the
# idempotency record keeps no personal data, so the answer is read back (decision 17).
MAX_POST_DYNAMODB_CALLS = 4
# Who is on duty, warm: settings, rota and overrides in one BatchGetItem; the caller's
# roster entry and the names come from the roster cache (issue 8).
MAX_ROTA_NOW_DYNAMODB_CALLS = 1
DEMO_ORG = "demo-school"


@dataclass
class Call:
    service: str
    operation: str
    table: str | None = None

    def label(self, features: dict[str, str]) -> str:
        name = f"{self.service}.{self.operation}"
        return f"{name}[{features.get(self.table, self.table)}]" if self.table else name


class CallRecorder:
    """Service, operation and table of every API call made through boto3's default session."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.http_attempts = 0
        self._table: str | None = None

    def install(self) -> None:
        boto3.setup_default_session()
        events = boto3.DEFAULT_SESSION.events
        events.register("before-parameter-build", self._before_parameter_build)
        events.register("before-call", self._before_call)
        events.register("before-send", self._before_send)

    # Hooks return None: a value from 'before-call' or 'before-send' would replace the call.
    def _before_parameter_build(self, params: dict[str, Any], **_: Any) -> None:
        table = params.get("TableName")
        self._table = table if isinstance(table, str) else None

    def _before_call(self, model: Any, **_: Any) -> None:
        self.calls.append(Call(model.service_model.service_name, model.name, self._table))
        self._table = None

    def _before_send(self, **_: Any) -> None:
        self.http_attempts += 1


@dataclass
class Row:
    endpoint: str
    function: str
    phase: str
    status: int
    expected_status: int
    calls: list[Call]
    http_attempts: int
    operations: list[str] = field(default_factory=list)
    # which target applies: "post", "list", "health", "lookup", "journal-list"
    kind: str | None = None

    @property
    def dynamodb_calls(self) -> int:
        return sum(c.service == "dynamodb" for c in self.calls)

    @property
    def other_calls(self) -> int:
        return len(self.calls) - self.dynamodb_calls

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "function": self.function,
            "phase": self.phase,
            "status": self.status,
            "expected_status": self.expected_status,
            "dynamodb_calls": self.dynamodb_calls,
            "other_calls": self.other_calls,
            "http_attempts": self.http_attempts,
            "operations": self.operations,
        }


@dataclass
class Target:
    name: str
    expected: str
    measured: str
    passed: bool

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__}


def function_environment(stack: dict[str, Any]) -> dict[str, str]:
    """What template.yaml and the Lambda runtime give the functions, pointed at the local cloud."""
    return {
        "AWS_ENDPOINT_URL": stack["aws_endpoint_url"],
        "AWS_DEFAULT_REGION": stack["region"],
        "AWS_REGION": stack["region"],
        "AWS_ACCESS_KEY_ID": "test",  # the emulator's documented placeholder pair
        "AWS_SECRET_ACCESS_KEY": "test",
        "ACCOUNTS_TABLE": stack["tables"]["accounts"],
        "USER_POOL_ID": stack["user_pool_id"],
        "CHECKINS_TABLE": stack["tables"]["checkins"],
        "IDEMPOTENCY_TABLE": stack["tables"]["idempotency"],
        "CURSOR_SECRET_ARN": stack["cursor_secret_arn"],
        "RESOURCES_TABLE": stack["tables"]["resources"],
        "JOURNAL_TABLE": stack["tables"]["journal"],
        "SEALING_KEY_ID": stack["sealing_key_id"],
        "REVOKED_TABLE": stack["tables"]["revoked"],
        "ORGS_TABLE": stack["tables"]["orgs"],
        "AUDIT_TABLE": stack["tables"]["audit"],
        "IMPORT_QUEUE_URL": stack["outputs"]["OrgsImportQueueUrl"],
        "NOTIFICATIONS_TABLE": stack["tables"]["notifications"],
        "APNS_PLATFORM_APP_ARN": stack["push_platform_apps"]["apns"],
        "APNS_SANDBOX_PLATFORM_APP_ARN": stack["push_platform_apps"]["apns_sandbox"],
        "FCM_PLATFORM_APP_ARN": stack["push_platform_apps"]["fcm"],
        "ROSTER_CACHE_SECONDS": "60",
        "RETURN_TEMPORARY_PASSWORDS": "true",
        # Measure per-request work: the revocation list is refreshed on its own schedule
        # (every 30 s in production) and reported as a cold cost.
        "REVOCATION_CACHE_SECONDS": "3600",
        "DEFAULT_TIME_ZONE": MEMBER_ZONE,
        "TRACE_AWS_CALLS": "false",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "PeerSupportBench",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
    }


def create_member(stack: dict[str, Any]) -> tuple[str, str]:
    """A real Cognito member (so PUT /me can update it); returns (username, sub).

    Made with a session of its own, so these calls are not counted.
    """
    cognito = boto3.session.Session().client("cognito-idp")
    pool = stack["user_pool_id"]
    username = f"bench-{uuid.uuid4().hex[:10]}"
    user = cognito.admin_create_user(
        UserPoolId=pool,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "custom:org_id", "Value": "demo-school"},
            {"Name": "zoneinfo", "Value": MEMBER_ZONE},
            {"Name": "locale", "Value": "zh-CN"},
        ],
    )["User"]
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="member")
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    return username, str(sub)


def staff_claims(stack: dict[str, Any], member: dict[str, str], username: str) -> dict[str, str]:
    """A demo staff member's claims: their sub and group on the member's token shape."""
    user = next(u for u in stack["demo_users"] if u["username"] == username)
    return member | {
        "sub": user["user_id"],
        "cognito:username": username,
        "cognito:groups": f"[{user['role']}]",
        "custom:org_id": user["org_id"],
    }


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Hide the EMF metric lines and the 'no metrics to publish' warning of each invocation."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        yield


class Scenario:
    def __init__(self, stack: dict[str, Any], recorder: CallRecorder, claims: dict[str, str]):
        self.stack = stack
        self.recorder = recorder
        self.claims = claims
        self.features = {name: feature for feature, name in stack["tables"].items()}
        modules = {
            name: f"functions.{name}.handler"
            for name in ("accounts", "checkins", "resources", "journal", "orgs", "notifications")
        } | {
            "orgs_rota": "functions.orgs.rota_handler",
            "orgs_roster": "functions.orgs.roster_handler",
        }
        self.handlers: dict[str, Handler] = {
            name: import_module(module).handler for name, module in modules.items()
        }
        self.rows: list[Row] = []
        self.problems: list[str] = []

    def request(
        self,
        endpoint: str,
        function: str,
        event: dict[str, Any],
        expected_status: int,
        *,
        phase: str = "warm",
        record: bool = True,
        kind: str | None = None,
    ) -> dict[str, Any]:
        """Invoke a handler; record its calls as a row; return the parsed response body."""
        first_call, first_attempt = len(self.recorder.calls), self.recorder.http_attempts
        context = LambdaContext(function_name=f"bench-{function}", region=self.stack["region"])
        with quiet():
            response = self.handlers[function](event, context)
        status = int(response["statusCode"])
        body = json.loads(response["body"]) if response.get("body") else None
        if status != expected_status:
            detail = json.dumps(body, ensure_ascii=False)[:300]
            self.problems.append(f"{endpoint}: HTTP {status}, expected {expected_status}: {detail}")
            if not record:
                raise RuntimeError(self.problems[-1])
        if record:
            calls = self.recorder.calls[first_call:]
            self.rows.append(
                Row(
                    endpoint=endpoint,
                    function=function,
                    phase=phase,
                    status=status,
                    expected_status=expected_status,
                    calls=calls,
                    http_attempts=self.recorder.http_attempts - first_attempt,
                    operations=[c.label(self.features) for c in calls],
                    kind=kind,
                )
            )
        # A wrong answer is recorded above; an empty body lets the run go on to report it.
        return body if status == expected_status and isinstance(body, dict) else {}

    def check(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)

    def run(self) -> None:
        claims = self.claims
        today = dt.datetime.now(ZoneInfo(MEMBER_ZONE)).date()

        def day(back: int) -> str:
            return (today - dt.timedelta(days=back)).isoformat()

        def checkin(date: str | None = None) -> dict[str, Any]:
            body: dict[str, Any] = {
                "mood": 3,
                "energy": 3,
                "stress": 2,
                "sleep_hours": 7.5,
                "emotions": ["calm", "tired"],
                "tags": ["bench"],
                "instruments": {"phq2": [0, 1], "gad2": [1, 0]},
            }
            return body | ({"date": date} if date else {})

        def post(body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
            headers = {"Idempotency-Key": key} if key else None
            return api_event("POST", "/checkins", claims=claims, body=body, headers=headers)

        def get(path: str, *, resource: str | None = None, **parts: Any) -> dict[str, Any]:
            return api_event("GET", path, claims=claims, resource=resource, **parts)

        # Cold: the first request of each container builds its clients and reads the secret.
        self.request(
            "GET /me (first use: creates the profile)", "accounts", get("/me"), 200, phase="cold"
        )
        self.request(
            "GET /checkins (no check-ins yet)", "checkins", get("/checkins"), 200, phase="cold"
        )

        # The resources function: the first lookup reads the directory, later ones memory.
        self.request(
            "GET /resources (first lookup: loads the directory)",
            "resources",
            get("/resources", query={"region": "CN-SC"}),
            200,
            phase="cold",
        )
        found = self.request(
            "GET /resources?region=CN-SC",
            "resources",
            get("/resources", query={"region": "CN-SC"}),
            200,
            kind="lookup",
        )
        self.check(bool(found.get("items")), f"GET /resources found nothing: {found}")
        self.request(
            "GET /resources/crisis",
            "resources",
            get("/resources/crisis", query={"region": "CN-SC"}),
            200,
            kind="lookup",
        )
        first_id = (found.get("items") or [{}])[0].get("id", "missing")
        self.request(
            "GET /resources/{id}",
            "resources",
            get(
                f"/resources/{first_id}",
                resource="/resources/{id}",
                path_parameters={"id": first_id},
            ),
            200,
            kind="lookup",
        )

        # The journal: 25 entries, then a page of 20 from a container that forgot its keys.
        # The last one, from a warm container, is the row `make cost` prices an entry by.
        for n in range(SEEDED_CHECKINS):
            body = {"title": f"day {n}", "body": "今天还好。" * 50, "tags": ["bench"]}
            last = n == SEEDED_CHECKINS - 1
            self.request(
                "POST /journal/entries" if last else "seed journal",
                "journal",
                api_event("POST", "/journal/entries", claims=claims, body=body),
                201,
                record=last,
            )
        # One list first: it reads the cursor secret, a once-per-container cost.
        self.request("warm journal", "journal", get("/journal/entries"), 200, record=False)
        import_module("shared.aws").client.cache_clear()
        journal_routes = import_module("functions.journal.routes")
        journal_routes.repository.cache_clear()
        journal_routes.vault.cache_clear()
        entries = self.request(
            f"GET /journal/entries (page of {PAGE_SIZE}, keys not cached)",
            "journal",
            get("/journal/entries"),
            200,
            kind="journal-list",
        )
        self.check(len(entries.get("items", [])) == PAGE_SIZE, f"journal page: {entries}")
        self.request(
            f"GET /journal/entries (page of {PAGE_SIZE}, warm)",
            "journal",
            get("/journal/entries"),
            200,
            kind="journal-list",
        )

        # Warm: the accounts function.
        self.request(
            "GET /health", "accounts", api_event("GET", "/health", claims=None), 200, kind="health"
        )
        self.request("GET /me", "accounts", get("/me"), 200)
        same = api_event("PUT", "/me", claims=claims, body={"time_zone": MEMBER_ZONE})
        self.request("PUT /me (time_zone unchanged)", "accounts", same, 200)
        moved = api_event("PUT", "/me", claims=claims, body={"time_zone": "Europe/London"})
        profile = self.request("PUT /me (time_zone changed)", "accounts", moved, 200)
        self.check(profile.get("time_zone") == "Europe/London", f"PUT /me returned {profile}")

        # Warm: the check-ins function, reads over 25 stored check-ins.
        for back in range(1, SEEDED_CHECKINS + 1):
            self.request("seed", "checkins", post(checkin(day(back))), 201, record=False)
        page = self.request(
            f"GET /checkins (page of {PAGE_SIZE} of {SEEDED_CHECKINS})",
            "checkins",
            get("/checkins"),
            200,
            kind="list",
        )
        self.check(
            len(page.get("items", [])) == PAGE_SIZE and bool(page.get("next_cursor")),
            f"first page: {len(page.get('items', []))} items, cursor {page.get('next_cursor')!r}",
        )
        rest = self.request(
            "GET /checkins?cursor= (next page)",
            "checkins",
            get("/checkins", query={"cursor": page.get("next_cursor") or ""}),
            200,
            kind="list",
        )
        self.check(
            len(rest.get("items", [])) == SEEDED_CHECKINS - PAGE_SIZE
            and not rest.get("next_cursor"),
            f"second page: {len(rest.get('items', []))} items, cursor {rest.get('next_cursor')!r}",
        )
        one = self.request(
            "GET /checkins/{date}",
            "checkins",
            get(
                f"/checkins/{day(1)}", resource="/checkins/{date}", path_parameters={"date": day(1)}
            ),
            200,
        )
        self.check(one.get("date") == day(1), f"GET /checkins/{day(1)} returned {one}")
        summary = self.request("GET /checkins/summary", "checkins", get("/checkins/summary"), 200)
        self.check(summary.get("checkins_30d") == SEEDED_CHECKINS, f"summary: {summary}")

        # Warm: writes.
        key = str(uuid.uuid4())
        first = self.request(
            "POST /checkins (fresh Idempotency-Key)",
            "checkins",
            post(checkin(), key),
            201,
            kind="post",
        )
        replay = self.request(
            "POST /checkins (same key: replay)", "checkins", post(checkin(), key), 201, kind="post"
        )
        self.check(bool(first) and replay == first, "the replay did not return the first answer")
        self.request(
            "POST /checkins (no key, new day)",
            "checkins",
            post(checkin(day(SEEDED_CHECKINS + 1))),
            201,
            kind="post",
        )
        risky = checkin(day(SEEDED_CHECKINS + 2)) | {"instruments": {"phq9": [1] * 9}}
        flagged = self.request(
            "POST /checkins (high risk: carries crisis lines)",
            "checkins",
            post(risky),
            201,
            kind="post",
        )
        self.check(
            bool((flagged.get("crisis_resources") or {}).get("resources")),
            "a high-risk check-in came back without crisis lines",
        )
        self.request(
            "POST /checkins (no key, same day again)",
            "checkins",
            post(checkin(day(SEEDED_CHECKINS + 1))),
            200,
            kind="post",
        )

    def run_orgs(self) -> None:
        """The organisations function as a counsellor and an admin of the demo school."""
        counsellor = staff_claims(self.stack, self.claims, "counsellor-wang")
        admin = staff_claims(self.stack, self.claims, "admin-li")
        base = f"/orgs/{DEMO_ORG}"

        def get(claims: dict[str, str], suffix: str, resource: str, **query: str) -> dict[str, Any]:
            return api_event(
                "GET",
                base + suffix,
                claims=claims,
                resource="/orgs/{org_id}" + resource,
                path_parameters={"org_id": DEMO_ORG},
                query=query or None,
            )

        self.request(
            "GET /orgs/{id}/rota/now (first: roster, names)",
            "orgs_rota",
            get(counsellor, "/rota/now", "/rota/now"),
            200,
            phase="cold",
        )
        on_duty = self.request(
            "GET /orgs/{id}/rota/now",
            "orgs_rota",
            get(counsellor, "/rota/now", "/rota/now"),
            200,
            kind="rota-now",
        )
        self.check(bool(on_duty.get("primary")), f"rota/now named nobody: {on_duty}")
        self.request(
            "GET /orgs/{id}/rota/now?at= (night)",
            "orgs_rota",
            get(counsellor, "/rota/now", "/rota/now", at="2026-11-24T15:30:00Z"),
            200,
            kind="rota-now",
        )
        self.request("GET /orgs/{id}/units (admin)", "orgs", get(admin, "/units", "/units"), 200)
        self.request(
            "GET /orgs/{id}/people (audited read)",
            "orgs_roster",
            get(admin, "/people", "/people"),
            200,
        )

    def run_notifications(self) -> None:
        """A phone registering at app start (twice), preferences, the inbox."""
        token = uuid.uuid4().hex * 2
        device = {"platform": "ios", "provider": "apns", "token": token}
        device["apns_environment"] = "production"

        def put_device() -> dict[str, Any]:
            return api_event(
                "PUT",
                "/devices/bench-phone-1",
                claims=self.claims,
                resource="/devices/{installation_id}",
                path_parameters={"installation_id": "bench-phone-1"},
                body=device,
            )

        self.request(
            "PUT /devices/{id} (new: SNS endpoint made)", "notifications", put_device(), 200
        )
        self.request(
            "PUT /devices/{id} (app start, unchanged)",
            "notifications",
            put_device(),
            200,
            kind="device-again",
        )
        prefs = api_event(
            "PUT",
            "/me/notification-preferences",
            claims=self.claims,
            body={"reminder_time": "20:00", "quiet_hours": {"start": "22:00", "end": "07:00"}},
        )
        self.request("PUT /me/notification-preferences", "notifications", prefs, 200)
        inbox = api_event("GET", "/notifications", claims=self.claims)
        self.request("GET /notifications", "notifications", inbox, 200, kind="inbox")

    def targets(self) -> list[Target]:
        warm = [r for r in self.rows if r.phase == "warm"]
        targets = []
        for row in warm:
            if row.kind == "rota-now":
                targets.append(
                    Target(
                        f"{row.endpoint}: DynamoDB calls (warm)",
                        f"<= {MAX_ROTA_NOW_DYNAMODB_CALLS}",
                        f"{row.dynamodb_calls} ({', '.join(row.operations) or 'none'})",
                        row.dynamodb_calls <= MAX_ROTA_NOW_DYNAMODB_CALLS,
                    )
                )
            elif row.kind == "post":
                targets.append(
                    Target(
                        f"{row.endpoint}: DynamoDB calls incl. idempotency",
                        f"<= {MAX_POST_DYNAMODB_CALLS}",
                        str(row.dynamodb_calls),
                        row.dynamodb_calls <= MAX_POST_DYNAMODB_CALLS,
                    )
                )
            elif row.kind == "list":
                ops = [f"{c.service}.{c.operation}" for c in row.calls]
                targets.append(
                    Target(
                        f"{row.endpoint}: AWS calls",
                        "exactly 1 dynamodb.Query",
                        ", ".join(ops) or "none",
                        ops == ["dynamodb.Query"],
                    )
                )
            elif row.kind == "journal-list":
                # The wrapped key lives on the member's "#meta" item only (so it can be
                # re-wrapped in one write): a container that forgot it reads it once.
                ops = [f"{c.service}.{c.operation}" for c in row.calls]
                queries = ops.count("dynamodb.Query")
                gets = ops.count("dynamodb.GetItem")
                kms = sum(op.startswith("kms.") for op in ops)
                targets.append(
                    Target(
                        f"{row.endpoint}: AWS calls",
                        "1 dynamodb.Query, at most 1 GetItem (key item) and 1 KMS call",
                        ", ".join(ops) or "none",
                        queries == 1
                        and gets <= 1
                        and kms <= 1
                        and len(ops) == queries + gets + kms,
                    )
                )
            elif row.kind == "device-again":
                # AWS's advice: read the endpoint, change it only when it changed.
                ops = [f"{c.service}.{c.operation}" for c in row.calls]
                sns = [op for op in ops if op.startswith("sns.")]
                targets.append(
                    Target(
                        f"{row.endpoint}: SNS calls",
                        "only sns.GetEndpointAttributes",
                        ", ".join(sns) or "none",
                        sns == ["sns.GetEndpointAttributes"],
                    )
                )
            elif row.kind == "inbox":
                ops = sorted(f"{c.service}.{c.operation}" for c in row.calls)
                targets.append(
                    Target(
                        f"{row.endpoint}: AWS calls",
                        "1 Query and 1 GetItem (the unread counter)",
                        ", ".join(ops) or "none",
                        ops == ["dynamodb.GetItem", "dynamodb.Query"],
                    )
                )
            elif row.kind in ("health", "lookup"):
                targets.append(
                    Target(f"{row.endpoint}: AWS calls", "0", str(len(row.calls)), not row.calls)
                )
        targets.append(
            Target(
                "responses: expected status and content",
                "all as expected",
                "; ".join(self.problems) or f"{len(self.rows)} of {len(self.rows)} as expected",
                not self.problems,
            )
        )
        return targets


def measure(stack: dict[str, Any]) -> Scenario:
    """Set the functions' environment, hook boto3, import the handlers, run the scenario."""
    os.environ.update(function_environment(stack))
    username, sub = create_member(stack)

    # Imported by name, like the handlers: the functions' code is measured, not type-checked here.
    aws = import_module("shared.aws")
    import_module("shared.settings").settings.cache_clear()
    import_module("shared.signing_keys")._provider.cache_clear()
    import_module("shared.signing_keys")._KEYS.clear()
    if aws.client.cache_info().currsize:
        raise RuntimeError("an AWS client was made before the call hook was installed")
    recorder = CallRecorder()
    recorder.install()
    region, pool = stack["region"], stack["user_pool_id"]
    claims = member_claims(
        sub,
        username,
        issuer=f"https://cognito-idp.{region}.amazonaws.com/{pool}",
        audience=stack["user_pool_client_id"],
        zoneinfo=MEMBER_ZONE,
    )
    scenario = Scenario(stack, recorder, claims)
    scenario.run()
    scenario.run_orgs()
    scenario.run_notifications()
    return scenario
