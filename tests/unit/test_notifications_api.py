"""The notifications HTTP contract, driven in-process over moto DynamoDB (template schema)
and moto SNS (the platform applications a deployment makes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from fastapi.testclient import TestClient
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from functions.notifications import routes
from functions.notifications.logic import PlatformApps, PushEndpoints
from functions.notifications.repository import (
    NotificationsRepository,
    SenderRepository,
    inbox_sk,
    partition,
    token_pk,
)
from functions.notifications.routes import app, push_endpoints, repository
from shared.dynamo import from_item, to_item
from shared.errors import PROBLEM_TYPE_BASE
from shared.identity import current_identity
from shared.routing import clock
from tests.support.fakes import Caller, MovableClock, member
from tests.support.moto_cloud import REGION, fresh_name, moto_clients
from tests.support.tables import create_table

# Tuesday 24 November 2026, 12:00 in Shanghai, 04:00 UTC.
START = dt.datetime(2026, 11, 24, 4, 0, tzinfo=dt.UTC)
PROBLEM_JSON = "application/problem+json"
TOKEN = "fcm-registration-token-that-must-never-be-echoed"
INSTALL = "install-0001"


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, Any]]:
    with moto_clients("dynamodb", "sns") as made:
        yield made


@pytest.fixture
def db(clients: dict[str, Any]) -> Any:
    return clients["dynamodb"]


@pytest.fixture
def sns(clients: dict[str, Any]) -> Any:
    """SNS with no endpoint left by an earlier test (moto matches tokens across apps)."""
    sns_backends[DEFAULT_ACCOUNT_ID][REGION].platform_endpoints.clear()
    return clients["sns"]


def platform_app(sns: Any, platform: str) -> str:
    made = sns.create_platform_application(
        Name=fresh_name(platform.lower()),
        Platform=platform,
        Attributes={"PlatformCredential": "key", "PlatformPrincipal": "key-id"},
    )
    return str(made["PlatformApplicationArn"])


@pytest.fixture
def apps(sns: Any) -> PlatformApps:
    """A deployment with every platform configured."""
    return PlatformApps(
        apns=platform_app(sns, "APNS"),
        apns_sandbox=platform_app(sns, "APNS_SANDBOX"),
        fcm=platform_app(sns, "GCM"),
    )


class Deployment:
    """The platform applications the routes see; tests change them between requests."""

    def __init__(self, apps: PlatformApps, sns: Any) -> None:
        self.apps = apps
        self.sns = sns

    def __call__(self) -> PushEndpoints:
        return PushEndpoints(self.apps, sns=lambda: self.sns)


@pytest.fixture
def deployment(apps: PlatformApps, sns: Any) -> Deployment:
    return Deployment(apps, sns)


@pytest.fixture
def table(db: Any) -> str:
    return create_table(db, "NotificationsTable", fresh_name("notifications"))


@pytest.fixture
def repo(db: Any, table: str) -> NotificationsRepository:
    return NotificationsRepository(db, table)


@pytest.fixture
def caller() -> Caller:
    return Caller(member("user-a", zoneinfo="Asia/Shanghai"))


@pytest.fixture
def now() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def api(
    repo: NotificationsRepository,
    caller: Caller,
    now: MovableClock,
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    app.dependency_overrides[current_identity] = caller
    app.dependency_overrides[repository] = lambda: repo
    app.dependency_overrides[push_endpoints] = deployment
    app.dependency_overrides[clock] = lambda: now
    monkeypatch.setattr(routes, "cursor_secret", lambda: b"k" * 32)
    try:
        yield TestClient(app)
    finally:
        app.dependency_overrides.clear()


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """An RFC 9457 problem of this status and type that does not echo the push token."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_TYPE_BASE + slug
    assert TOKEN not in response.text
    return body


def stored(db: Any, table: str, user_id: str, sk: str) -> dict[str, Any] | None:
    key = to_item({"pk": partition(user_id), "sk": sk})
    item = db.get_item(TableName=table, Key=key).get("Item")
    return from_item(item) if item else None


# --- devices -------------------------------------------------------------------------------


def android(**fields: Any) -> dict[str, Any]:
    return {"platform": "android", "provider": "fcm", "token": TOKEN} | fields


def iphone(**fields: Any) -> dict[str, Any]:
    return {
        "platform": "ios",
        "provider": "apns",
        "token": TOKEN,
        "apns_environment": "sandbox",
        "app_version": "2.0.1",
        "locale": "zh-Hans-CN",
    } | fields


def device_item(
    db: Any, table: str, user_id: str = "user-a", installation_id: str = INSTALL
) -> dict[str, Any]:
    item = stored(db, table, user_id, f"device#{installation_id}")
    assert item is not None, f"no device {installation_id} of {user_id}"
    return item


def test_registering_a_device_stores_it_with_its_endpoint_and_answers_without_the_token(
    api: TestClient, db: Any, table: str, sns: Any, apps: PlatformApps
) -> None:
    # Given / When an iPhone on the APNs sandbox registers
    response = api.put(f"/devices/{INSTALL}", json=iphone())
    # Then it is answered enabled, without its token, and stored with it and its endpoint
    assert response.status_code == 200, response.text
    assert response.json() == {
        "installation_id": INSTALL,
        "platform": "ios",
        "provider": "apns",
        "apns_environment": "sandbox",
        "app_version": "2.0.1",
        "locale": "zh-Hans-CN",
        "enabled": True,
        "disabled_reason": None,
        "created_at": "2026-11-24T04:00:00.000Z",
        "updated_at": "2026-11-24T04:00:00.000Z",
    }
    assert TOKEN not in response.text
    item = device_item(db, table)
    assert item["token"] == TOKEN
    assert item["token_pk"] == token_pk("apns", TOKEN)
    [endpoint] = endpoints_of(sns, apps.apns_sandbox)
    assert item["endpoint_arn"] == endpoint["EndpointArn"]
    assert endpoint["Attributes"]["Token"] == TOKEN


def test_registering_the_same_installation_again_updates_it_keeping_created_at(
    api: TestClient, now: MovableClock
) -> None:
    # Given a registered phone
    api.put(f"/devices/{INSTALL}", json=android())
    # When it registers again an hour later with a new token
    now.now = START + dt.timedelta(hours=1)
    response = api.put(f"/devices/{INSTALL}", json=android(token="new-token"))
    # Then there is still one device, first registered at the start
    devices = api.get("/devices").json()["items"]
    assert [(d["created_at"], d["updated_at"]) for d in devices] == [
        ("2026-11-24T04:00:00.000Z", "2026-11-24T05:00:00.000Z")
    ]
    assert response.status_code == 200


def test_a_member_may_have_many_devices_and_lists_only_their_own(
    api: TestClient, caller: Caller
) -> None:
    # Given a phone and a tablet of user-a, and a phone of user-b
    api.put("/devices/phone-0001", json=android())
    api.put("/devices/tablet-0001", json=iphone())
    caller.identity = member("user-b")
    api.put("/devices/phone-0002", json=android(token="fcm-token-of-user-b"))
    caller.identity = member("user-a")
    # When user-a lists their devices
    response = api.get("/devices")
    # Then both of theirs come back and nothing of user-b's
    assert response.status_code == 200
    assert sorted(d["installation_id"] for d in response.json()["items"]) == [
        "phone-0001",
        "tablet-0001",
    ]


def test_a_21st_device_is_409_but_one_of_the_20_may_still_be_updated(api: TestClient) -> None:
    # Given 20 devices
    for n in range(20):
        registered = api.put(f"/devices/device-{n:04}", json=android(token=f"token-{n}"))
        assert registered.status_code == 200
    # When a 21st registers, and one of the 20 registers again
    extra = api.put("/devices/device-0020", json=android(token="token-20"))
    known = api.put("/devices/device-0007", json=android(token="refreshed"))
    # Then the new one is refused and the known one updated
    assert_problem(extra, 409, "conflict")
    assert known.status_code == 200
    assert len(api.get("/devices").json()["items"]) == 20


def test_deleting_a_device_is_204_and_then_404(api: TestClient) -> None:
    # Given a registered device
    api.put(f"/devices/{INSTALL}", json=android())
    # When it is deleted twice
    first, second = api.delete(f"/devices/{INSTALL}"), api.delete(f"/devices/{INSTALL}")
    # Then it is gone after the first, and the second finds nothing
    assert first.status_code == 204
    assert_problem(second, 404, "not-found")
    assert api.get("/devices").json() == {"items": []}


def test_deleting_another_members_device_is_404_and_leaves_it(
    api: TestClient, caller: Caller, db: Any, table: str
) -> None:
    # Given user-b's device
    caller.identity = member("user-b")
    api.put(f"/devices/{INSTALL}", json=android())
    # When user-a deletes that installation id
    caller.identity = member("user-a")
    response = api.delete(f"/devices/{INSTALL}")
    # Then it is not found for them, and user-b's device stays
    assert_problem(response, 404, "not-found")
    assert stored(db, table, "user-b", f"device#{INSTALL}") is not None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(android(platform="windows"), id="unknown-platform"),
        pytest.param(android(provider="mpns"), id="unknown-provider"),
        pytest.param(android(token=""), id="empty-token"),
        pytest.param(android(token=TOKEN + " x"), id="token-with-space"),
        pytest.param(android(token=TOKEN + "\n"), id="token-with-newline"),
        pytest.param(android(token="t" * 4097), id="token-4097-chars"),
        pytest.param(iphone(apns_environment=None), id="apns-without-environment"),
        pytest.param(iphone(apns_environment="staging"), id="apns-unknown-environment"),
        pytest.param(android(apns_environment="production"), id="fcm-with-environment"),
        pytest.param(android(app_version="1" * 33), id="app-version-33-chars"),
        pytest.param(android(locale="english"), id="locale-not-bcp47"),
        pytest.param(android(colour="blue"), id="unknown-field"),
        pytest.param({"platform": "android", "provider": "fcm"}, id="no-token"),
    ],
)
def test_a_bad_device_is_422_and_nothing_is_stored(
    api: TestClient, db: Any, table: str, body: dict[str, Any]
) -> None:
    # Given a device with one bad field
    # When registered
    response = api.put(f"/devices/{INSTALL}", json=body)
    # Then it is an invalid-input problem without the token, and nothing is stored
    assert_problem(response, 422, "invalid-input")
    assert stored(db, table, "user-a", f"device#{INSTALL}") is None


@pytest.mark.parametrize(
    "installation_id",
    [
        pytest.param("short12", id="7-chars"),
        pytest.param("x" * 65, id="65-chars"),
        pytest.param("install.0001", id="dot"),
        pytest.param("install%230001", id="hash"),
    ],
)
def test_a_bad_installation_id_is_422(api: TestClient, installation_id: str) -> None:
    # Given / When a device registers under an id outside [A-Za-z0-9_-]{8,64}
    # Then it is refused
    assert_problem(api.put(f"/devices/{installation_id}", json=android()), 422, "invalid-input")


# --- SNS endpoints -------------------------------------------------------------------------


class SnsCalls:
    """The SNS operations made while inside the block (botocore before-call)."""

    def __init__(self, client: Any) -> None:
        self.names: list[str] = []
        self._client = client

    def __enter__(self) -> SnsCalls:
        self._client.meta.events.register("before-call.sns", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.meta.events.unregister("before-call.sns", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.names.append(model.name)


def endpoints_of(sns: Any, app_arn: str) -> list[dict[str, Any]]:
    found = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app_arn)
    return list(found["Endpoints"])


def endpoint_attributes(sns: Any, arn: str) -> dict[str, str]:
    return dict(sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"])


def test_registering_again_with_the_same_token_only_reads_the_endpoint(
    api: TestClient, db: Any, table: str, sns: Any, apps: PlatformApps
) -> None:
    # Given a registered Android phone
    api.put(f"/devices/{INSTALL}", json=android())
    arn = device_item(db, table)["endpoint_arn"]
    # When the app starts again and registers the same token
    with SnsCalls(sns) as calls:
        response = api.put(f"/devices/{INSTALL}", json=android())
    # Then SNS is only asked for the endpoint's attributes, and the endpoint is kept
    assert response.status_code == 200, response.text
    assert calls.names == ["GetEndpointAttributes"]
    assert device_item(db, table)["endpoint_arn"] == arn
    assert [e["EndpointArn"] for e in endpoints_of(sns, apps.fcm)] == [arn]


def test_a_first_registration_creates_the_endpoint_once(
    api: TestClient, sns: Any, apps: PlatformApps
) -> None:
    # Given / When a phone registers for the first time
    with SnsCalls(sns) as calls:
        api.put(f"/devices/{INSTALL}", json=android())
    # Then one endpoint is created and read back
    assert calls.names == ["CreatePlatformEndpoint", "GetEndpointAttributes"]
    assert len(endpoints_of(sns, apps.fcm)) == 1


def test_a_new_token_updates_the_endpoint_in_place(
    api: TestClient, db: Any, table: str, sns: Any, apps: PlatformApps
) -> None:
    # Given a registered phone
    api.put(f"/devices/{INSTALL}", json=android())
    arn = device_item(db, table)["endpoint_arn"]
    # When FCM gives it a new token and it registers again
    with SnsCalls(sns) as calls:
        api.put(f"/devices/{INSTALL}", json=android(token="fcm-token-refreshed"))
    # Then the same endpoint holds the new token, and none was created
    assert "CreatePlatformEndpoint" not in calls.names
    assert endpoint_attributes(sns, arn)["Token"] == "fcm-token-refreshed"
    item = device_item(db, table)
    assert (item["endpoint_arn"], item["token"]) == (arn, "fcm-token-refreshed")
    assert item["token_pk"] == token_pk("fcm", "fcm-token-refreshed")
    assert len(endpoints_of(sns, apps.fcm)) == 1


def test_registering_re_enables_an_endpoint_sns_disabled_and_the_dead_device(
    api: TestClient, db: Any, table: str, sns: Any
) -> None:
    # Given a phone whose endpoint SNS disabled, and which the sender then marked dead
    api.put(f"/devices/{INSTALL}", json=android())
    arn = device_item(db, table)["endpoint_arn"]
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    assert SenderRepository(db, table).disable_device("user-a", INSTALL, TOKEN)
    dead = api.get("/devices").json()["items"][0]
    # When the app registers again
    response = api.put(f"/devices/{INSTALL}", json=android())
    # Then the same endpoint is enabled again, and so is the device
    assert (dead["enabled"], dead["disabled_reason"]) == (False, "token_dead")
    assert endpoint_attributes(sns, arn)["Enabled"].lower() == "true"
    assert (response.json()["enabled"], response.json()["disabled_reason"]) == (True, None)
    assert device_item(db, table)["endpoint_arn"] == arn


def test_an_endpoint_deleted_out_of_band_is_created_again(
    api: TestClient, db: Any, table: str, sns: Any, apps: PlatformApps
) -> None:
    # Given a phone whose endpoint someone deleted in SNS
    api.put(f"/devices/{INSTALL}", json=android())
    gone = device_item(db, table)["endpoint_arn"]
    sns.delete_endpoint(EndpointArn=gone)
    # When the app registers again
    api.put(f"/devices/{INSTALL}", json=android())
    # Then a new endpoint holds its token, and the device stores it
    [endpoint] = endpoints_of(sns, apps.fcm)
    assert endpoint["EndpointArn"] != gone
    assert device_item(db, table)["endpoint_arn"] == endpoint["EndpointArn"]


def test_a_device_on_an_unconfigured_platform_is_stored_disabled_with_no_sns_call(
    api: TestClient, db: Any, table: str, sns: Any, deployment: Deployment
) -> None:
    # Given a deployment without an APNs production application
    deployment.apps = PlatformApps(apns="", apns_sandbox="", fcm=deployment.apps.fcm)
    # When an iPhone on APNs production registers
    with SnsCalls(sns) as calls:
        response = api.put(f"/devices/{INSTALL}", json=iphone(apns_environment="production"))
    # Then it is stored, disabled as not configured, without an endpoint or any SNS call
    assert response.status_code == 200, response.text
    assert (response.json()["enabled"], response.json()["disabled_reason"]) == (
        False,
        "provider_not_configured",
    )
    assert calls.names == []
    assert "endpoint_arn" not in device_item(db, table)
    assert api.get("/devices").json()["items"][0]["disabled_reason"] == "provider_not_configured"


def test_registering_after_the_platform_is_configured_enables_the_device(
    api: TestClient, db: Any, table: str, sns: Any, apps: PlatformApps, deployment: Deployment
) -> None:
    # Given an iPhone registered while APNs was not configured
    deployment.apps = PlatformApps()
    api.put(f"/devices/{INSTALL}", json=iphone(apns_environment="production"))
    # When APNs is configured and the app registers again
    deployment.apps = apps
    response = api.put(f"/devices/{INSTALL}", json=iphone(apns_environment="production"))
    # Then the device is enabled with an endpoint in the production application
    assert (response.json()["enabled"], response.json()["disabled_reason"]) == (True, None)
    [endpoint] = endpoints_of(sns, apps.apns)
    assert device_item(db, table)["endpoint_arn"] == endpoint["EndpointArn"]


def test_a_jpush_device_is_enabled_without_any_sns_call(
    api: TestClient, db: Any, table: str, sns: Any
) -> None:
    # Given / When an Android phone in mainland China registers with JPush
    with SnsCalls(sns) as calls:
        response = api.put(f"/devices/{INSTALL}", json=android(provider="jpush"))
    # Then it is enabled, with no endpoint and no SNS call
    assert response.json()["enabled"] is True
    assert calls.names == []
    assert "endpoint_arn" not in device_item(db, table)


def test_a_token_that_moves_to_another_account_leaves_the_first_one(
    api: TestClient, caller: Caller, db: Any, table: str, sns: Any, apps: PlatformApps
) -> None:
    # Given a phone registered by user-a
    api.put(f"/devices/{INSTALL}", json=android())
    arn = device_item(db, table, "user-a")["endpoint_arn"]
    # When user-b signs in on the same phone and registers its token
    caller.identity = member("user-b")
    response = api.put(f"/devices/{INSTALL}", json=android())
    # Then user-a's device is gone, and user-b's pushes go through the same endpoint, kept
    assert response.status_code == 200, response.text
    assert stored(db, table, "user-a", f"device#{INSTALL}") is None
    assert device_item(db, table, "user-b")["endpoint_arn"] == arn
    assert [e["EndpointArn"] for e in endpoints_of(sns, apps.fcm)] == [arn]
    caller.identity = member("user-a")
    assert api.get("/devices").json() == {"items": []}


def test_a_token_registered_under_a_new_installation_id_leaves_the_old_one(
    api: TestClient, db: Any, table: str
) -> None:
    # Given a phone registered under one installation id (the app was reinstalled since)
    api.put("/devices/install-old1", json=android())
    # When the same token registers under a new installation id of the same member
    api.put("/devices/install-new1", json=android())
    # Then only the new installation is left
    assert [d["installation_id"] for d in api.get("/devices").json()["items"]] == ["install-new1"]


def test_the_same_token_on_another_provider_is_another_device(
    api: TestClient, caller: Caller
) -> None:
    # Given user-a's phone registered with FCM
    api.put(f"/devices/{INSTALL}", json=android())
    # When user-b registers a JPush device whose registration id reads the same
    caller.identity = member("user-b")
    api.put(f"/devices/{INSTALL}", json=android(provider="jpush"))
    # Then user-a keeps theirs: a token is one provider's
    caller.identity = member("user-a")
    assert len(api.get("/devices").json()["items"]) == 1


def test_switching_platform_application_deletes_the_endpoint_left_behind(
    api: TestClient, db: Any, table: str, sns: Any, apps: PlatformApps
) -> None:
    # Given an iPhone registered on the APNs sandbox
    api.put(f"/devices/{INSTALL}", json=iphone(apns_environment="sandbox"))
    # When the release build registers on APNs production with its own token
    api.put(f"/devices/{INSTALL}", json=iphone(apns_environment="production", token="prod-1"))
    # Then the sandbox endpoint is gone and the production one is stored
    assert endpoints_of(sns, apps.apns_sandbox) == []
    [endpoint] = endpoints_of(sns, apps.apns)
    assert endpoint["Attributes"]["Token"] == "prod-1"
    assert device_item(db, table)["endpoint_arn"] == endpoint["EndpointArn"]


def test_deleting_a_device_deletes_its_endpoint(
    api: TestClient, sns: Any, apps: PlatformApps
) -> None:
    # Given a registered phone
    api.put(f"/devices/{INSTALL}", json=android())
    # When it is deleted (sign-out)
    with SnsCalls(sns) as calls:
        response = api.delete(f"/devices/{INSTALL}")
    # Then its endpoint is deleted too
    assert response.status_code == 204
    assert "DeleteEndpoint" in calls.names
    assert endpoints_of(sns, apps.fcm) == []


def test_deleting_a_device_keeps_an_endpoint_another_device_still_uses(
    api: TestClient, db: Any, table: str, sns: Any, apps: PlatformApps
) -> None:
    # Given user-a's phone and, from a registration racing it, user-b's item on its endpoint
    api.put(f"/devices/{INSTALL}", json=android())
    twin = device_item(db, table) | {"pk": partition("user-b")}
    db.put_item(TableName=table, Item=to_item(twin))
    # When user-a deletes theirs
    assert api.delete(f"/devices/{INSTALL}").status_code == 204
    # Then the endpoint stays for user-b
    assert [e["EndpointArn"] for e in endpoints_of(sns, apps.fcm)] == [twin["endpoint_arn"]]


def test_deleting_a_jpush_device_makes_no_sns_call(api: TestClient, sns: Any) -> None:
    # Given a JPush phone
    api.put(f"/devices/{INSTALL}", json=android(provider="jpush"))
    # When it is deleted
    with SnsCalls(sns) as calls:
        response = api.delete(f"/devices/{INSTALL}")
    # Then SNS is not called
    assert response.status_code == 204
    assert calls.names == []


class FailingSns:
    """An SNS client whose every call fails with `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def fail(**_: Any) -> Any:
            raise self.error

        return fail


def sns_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "CreatePlatformEndpoint")


def test_a_token_sns_refuses_is_422_without_the_token_and_nothing_is_stored(
    api: TestClient, db: Any, table: str, deployment: Deployment
) -> None:
    # Given SNS refusing the token (SNS's message quotes it)
    reason = f"Invalid parameter: Token Reason: {TOKEN} is not a valid FCM registration token"
    deployment.sns = FailingSns(sns_error("InvalidParameter", reason))
    # When the phone registers
    response = api.put(f"/devices/{INSTALL}", json=android())
    # Then it is invalid input naming the token field, never the token; nothing is stored
    body = assert_problem(response, 422, "invalid-input")
    assert body["errors"][0]["location"] == ["body", "token"]
    assert stored(db, table, "user-a", f"device#{INSTALL}") is None


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(sns_error("Throttling", "Rate exceeded"), id="throttled"),
        pytest.param(sns_error("InternalError", "oops"), id="sns-failing"),
        pytest.param(sns_error("AuthorizationError", f"not allowed {TOKEN}"), id="not-allowed"),
        pytest.param(sns_error("InvalidParameter", "Invalid parameter: Attributes"), id="ours"),
        pytest.param(EndpointConnectionError(endpoint_url="https://sns"), id="unreachable"),
    ],
)
def test_any_other_sns_failure_is_503_try_again_and_nothing_is_stored(
    api: TestClient, db: Any, table: str, deployment: Deployment, error: Exception
) -> None:
    # Given SNS failing
    deployment.sns = FailingSns(error)
    # When a phone registers
    response = api.put(f"/devices/{INSTALL}", json=android())
    # Then the app is told to try again, with nothing of SNS's answer, and nothing is stored
    body = assert_problem(response, 503, "push-service-unavailable")
    assert "try again" in body["detail"]
    assert "Rate exceeded" not in response.text and "oops" not in response.text
    assert stored(db, table, "user-a", f"device#{INSTALL}") is None


def test_a_device_is_deleted_even_when_sns_fails_to_delete_its_endpoint(
    api: TestClient, db: Any, table: str, deployment: Deployment
) -> None:
    # Given a registered phone, and SNS failing afterwards
    api.put(f"/devices/{INSTALL}", json=android())
    deployment.sns = FailingSns(sns_error("Throttling", "Rate exceeded"))
    # When it is deleted
    response = api.delete(f"/devices/{INSTALL}")
    # Then it is gone all the same (no pushes reach it), the endpoint left behind
    assert response.status_code == 204
    assert stored(db, table, "user-a", f"device#{INSTALL}") is None


# --- preferences ---------------------------------------------------------------------------

PREFS = "/me/notification-preferences"


def test_preferences_never_set_are_the_defaults_in_the_tokens_zone(
    api: TestClient, caller: Caller
) -> None:
    # Given a member whose token says Europe/London, who never set preferences
    caller.identity = member("user-a", zoneinfo="Europe/London")
    # When they are read
    response = api.get(PREFS)
    # Then no reminder, every day, no quiet hours, everything on, generic previews
    assert response.status_code == 200
    assert response.json() == {
        "reminder_time": None,
        "reminder_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "quiet_hours": None,
        "opt_outs": [],
        "lock_screen_preview": "generic",
        "time_zone": "Europe/London",
        "next_reminder_at": None,
        "updated_at": None,
    }


def test_preferences_without_a_zone_anywhere_use_the_deployment_default(
    api: TestClient, caller: Caller
) -> None:
    # Given a token without zoneinfo / When preferences are read / Then the default zone applies
    caller.identity = member("user-a", zoneinfo=None)
    assert api.get(PREFS).json()["time_zone"] == "Asia/Shanghai"


def test_turning_reminders_on_puts_the_member_in_the_slot_of_the_next_reminder(
    api: TestClient, db: Any, table: str
) -> None:
    # Given Tuesday noon in Shanghai
    # When the member asks for a reminder at 20:00 on weekdays, with quiet hours
    body = {
        "reminder_time": "20:00",
        "reminder_days": ["fri", "tue", "mon"],
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "opt_outs": ["announcements"],
        "lock_screen_preview": "full",
    }
    response = api.put(PREFS, json=body)
    # Then tonight's 20:00 (12:00 UTC) is next, and the index holds them in the 12:00 slot
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["next_reminder_at"] == "2026-11-24T12:00:00.000Z"
    assert answer["reminder_days"] == ["mon", "tue", "fri"]
    assert answer["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert api.get(PREFS).json() == answer
    item = stored(db, table, "user-a", "prefs")
    assert item is not None
    assert (item["due_pk"], item["due_sk"]) == ("2026-11-24T12:00Z", "user-a")
    assert (item["quiet_start"], item["quiet_end"], item["time_zone"]) == (
        "22:00",
        "07:00",
        "Asia/Shanghai",
    )


def test_the_reminder_follows_the_zone_on_the_token(
    api: TestClient, caller: Caller, db: Any, table: str
) -> None:
    # Given a member in London (token zoneinfo)
    caller.identity = member("user-a", zoneinfo="Europe/London")
    # When they ask for 20:00 without naming a zone
    response = api.put(PREFS, json={"reminder_time": "20:00"})
    # Then it fires at 20:00 London time (UTC in November)
    assert response.json()["time_zone"] == "Europe/London"
    assert response.json()["next_reminder_at"] == "2026-11-24T20:00:00.000Z"
    item = stored(db, table, "user-a", "prefs")
    assert item is not None and item["due_pk"] == "2026-11-24T20:00Z"


def test_a_zone_in_the_body_wins_over_the_token(api: TestClient) -> None:
    # Given a Shanghai token / When preferences name New York
    response = api.put(PREFS, json={"reminder_time": "08:30", "time_zone": "America/New_York"})
    # Then 08:30 in New York on Tuesday (13:30 UTC) is next
    assert response.json()["time_zone"] == "America/New_York"
    assert response.json()["next_reminder_at"] == "2026-11-24T13:30:00.000Z"


def test_changing_the_zone_moves_the_reminder_to_another_slot(
    api: TestClient, db: Any, table: str
) -> None:
    # Given a reminder at 20:00 in Shanghai (the 12:00 UTC slot)
    api.put(PREFS, json={"reminder_time": "20:00"})
    # When the member moves to Berlin
    api.put(PREFS, json={"reminder_time": "20:00", "time_zone": "Europe/Berlin"})
    # Then the reminder sits in the 19:00 UTC slot
    item = stored(db, table, "user-a", "prefs")
    assert item is not None and item["due_pk"] == "2026-11-24T19:00Z"


@pytest.mark.parametrize(
    "off",
    [
        pytest.param({"reminder_time": None}, id="no-reminder-time"),
        pytest.param({"reminder_time": "20:00", "opt_outs": ["reminders"]}, id="opted-out"),
    ],
)
def test_turning_reminders_off_takes_the_member_out_of_the_index(
    api: TestClient, db: Any, table: str, off: dict[str, Any]
) -> None:
    # Given reminders on
    api.put(PREFS, json={"reminder_time": "20:00"})
    # When they are turned off
    response = api.put(PREFS, json=off)
    # Then no reminder is next and the index keys are gone
    assert response.json()["next_reminder_at"] is None
    item = stored(db, table, "user-a", "prefs")
    assert item is not None
    assert not {"due_pk", "due_sk", "next_due"} & item.keys()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"reminder_time": "24:00"}, id="hour-24"),
        pytest.param({"reminder_time": "8:00"}, id="one-digit-hour"),
        pytest.param({"reminder_time": "08:00:00"}, id="seconds"),
        pytest.param({"reminder_time": 800}, id="number"),
        pytest.param({"reminder_days": []}, id="no-days"),
        pytest.param({"reminder_days": ["mon", "mon"]}, id="repeated-day"),
        pytest.param({"reminder_days": ["monday"]}, id="unknown-day"),
        pytest.param({"reminder_days": "mon"}, id="days-not-a-list"),
        pytest.param({"quiet_hours": {"start": "22:00", "end": "22:00"}}, id="quiet-empty"),
        pytest.param({"quiet_hours": {"start": "22:00", "end": "25:00"}}, id="quiet-bad-end"),
        pytest.param({"quiet_hours": {"start": "22:00"}}, id="quiet-no-end"),
        pytest.param({"quiet_hours": {"start": "20:30", "end": "22:00"}}, id="reminder-in-quiet"),
        pytest.param(
            {"reminder_time": "23:30", "quiet_hours": {"start": "22:00", "end": "07:00"}},
            id="reminder-in-overnight-quiet",
        ),
        pytest.param(
            {"reminder_time": "06:59", "quiet_hours": {"start": "22:00", "end": "07:00"}},
            id="reminder-before-quiet-ends",
        ),
        pytest.param({"opt_outs": ["safety"]}, id="opt-out-safety"),
        pytest.param({"opt_outs": ["counsellor_alert"]}, id="opt-out-counsellor-alert"),
        pytest.param({"opt_outs": ["reminders", "reminders"]}, id="repeated-opt-out"),
        pytest.param({"lock_screen_preview": "none"}, id="unknown-preview"),
        pytest.param({"time_zone": "Mars/Olympus_Mons"}, id="unknown-zone"),
        pytest.param({"time_zone": "../../etc/passwd"}, id="path-as-zone"),
        pytest.param({"time_zone": ""}, id="empty-zone"),
        pytest.param({"sound": "bell"}, id="unknown-field"),
    ],
)
def test_bad_preferences_are_422_and_leave_what_was_stored(
    api: TestClient, db: Any, table: str, body: dict[str, Any]
) -> None:
    # Given preferences with a reminder at 20:00
    api.put(PREFS, json={"reminder_time": "20:00"})
    before = stored(db, table, "user-a", "prefs")
    # When preferences with one bad field are sent
    response = api.put(PREFS, json={"reminder_time": "21:00"} | body)
    # Then it is an invalid-input problem and the stored preferences are unchanged
    assert_problem(response, 422, "invalid-input")
    assert stored(db, table, "user-a", "prefs") == before


def test_a_reminder_just_as_quiet_hours_end_or_begin_is_accepted(api: TestClient) -> None:
    # When the reminder is at the minute quiet hours end, and one just before they begin
    at_end = api.put(
        PREFS, json={"reminder_time": "07:00", "quiet_hours": {"start": "22:00", "end": "07:00"}}
    )
    before = api.put(
        PREFS, json={"reminder_time": "21:59", "quiet_hours": {"start": "22:00", "end": "07:00"}}
    )
    # Then both are saved
    assert (at_end.status_code, before.status_code) == (200, 200)


# --- inbox ---------------------------------------------------------------------------------


def stamp(minutes: int) -> str:
    moment = START + dt.timedelta(minutes=minutes)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def deliver(repo: NotificationsRepository, user_id: str, n: int) -> str:
    """What the sender does for its n-th notification; the entry's public id."""
    entry = {
        "category": "peer_message",
        "title": f"New message {n}",
        "body": "You have a new message",
        "route": "messages",
        "ref": f"thread-{n}",
        "created_at": stamp(n),
    }
    assert repo.add_inbox_entry(user_id, f"n-{n}", entry, f"req-{n}")
    return f"{stamp(n)}~req-{n}"


def test_inbox_pages_newest_first_with_the_unread_count(
    api: TestClient, repo: NotificationsRepository, now: MovableClock
) -> None:
    # Given five notifications a minute apart
    for n in range(1, 6):
        deliver(repo, "user-a", n)
    now.now = START + dt.timedelta(hours=1)
    # When the inbox is read two at a time, following next_cursor
    pages: list[list[str]] = []
    counts: list[int] = []
    cursor: str | None = None
    for _ in range(4):
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = api.get("/notifications", params=params)
        assert response.status_code == 200, response.text
        pages.append([i["title"] for i in response.json()["items"]])
        counts.append(response.json()["unread_count"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    # Then every entry comes once, newest first, and each page says five are unread
    assert pages == [
        ["New message 5", "New message 4"],
        ["New message 3", "New message 2"],
        ["New message 1"],
    ]
    assert counts == [5, 5, 5]


def test_an_entry_that_expired_unread_no_longer_counts(
    api: TestClient, repo: NotificationsRepository, db: Any, table: str, now: MovableClock
) -> None:
    # Given two unread notifications, the older of which has passed its 90 days
    deliver(repo, "user-a", 1)
    deliver(repo, "user-a", 2)
    first = inbox_sk(f"{stamp(1)}~req-1")
    assert first is not None
    db.update_item(
        TableName=table,
        Key={"pk": {"S": partition("user-a")}, "sk": {"S": first}},
        UpdateExpression="SET expires_at = :gone",
        ExpressionAttributeValues={":gone": {"N": "1"}},
    )
    now.now = START + dt.timedelta(hours=1)
    # When the whole inbox is read, twice
    answers = [api.get("/notifications").json() for _ in range(2)]
    # Then only the live entry shows, and the count agrees with it (and stays agreed)
    assert [a["unread_count"] for a in answers] == [1, 1]
    assert [[i["title"] for i in a["items"]] for a in answers] == [["New message 2"]] * 2
    assert repo.unread_count("user-a") == 1


def test_a_partial_inbox_page_leaves_the_unread_count_alone(
    api: TestClient, repo: NotificationsRepository, now: MovableClock
) -> None:
    # Given three unread notifications
    for n in range(1, 4):
        deliver(repo, "user-a", n)
    now.now = START + dt.timedelta(hours=1)
    # When only the first page of one is read
    answer = api.get("/notifications", params={"limit": 1}).json()
    # Then the count is the counter's: the page cannot tell what the others are
    assert answer["unread_count"] == 3 and repo.unread_count("user-a") == 3


def test_an_inbox_entry_reads_as_the_sender_wrote_it(
    api: TestClient, repo: NotificationsRepository
) -> None:
    # Given one notification
    entry_id = deliver(repo, "user-a", 1)
    # When the inbox is read
    [item] = api.get("/notifications").json()["items"]
    # Then it carries its id, words, route and ref, unread
    assert item == {
        "id": entry_id,
        "category": "peer_message",
        "title": "New message 1",
        "body": "You have a new message",
        "route": "messages",
        "ref": "thread-1",
        "created_at": stamp(1),
        "read_at": None,
    }


def test_another_members_cursor_is_400(
    api: TestClient, repo: NotificationsRepository, caller: Caller
) -> None:
    # Given a cursor handed to user-a, and user-b with an inbox of their own
    for n in range(1, 4):
        deliver(repo, "user-a", n)
        deliver(repo, "user-b", n)
    cursor = api.get("/notifications", params={"limit": 1}).json()["next_cursor"]
    assert cursor
    # When user-b sends it
    caller.identity = member("user-b")
    response = api.get("/notifications", params={"limit": 1, "cursor": cursor})
    # Then it is refused as an invalid cursor
    assert_problem(response, 400, "invalid-cursor")


def test_an_empty_inbox_has_no_entries_and_nothing_unread(api: TestClient) -> None:
    # Given / When a new member reads their inbox / Then it is empty
    assert api.get("/notifications").json() == {
        "items": [],
        "next_cursor": None,
        "unread_count": 0,
    }


def test_reading_an_entry_twice_lowers_the_unread_count_once(
    api: TestClient, repo: NotificationsRepository, now: MovableClock
) -> None:
    # Given three unread notifications
    ids = [deliver(repo, "user-a", n) for n in range(1, 4)]
    now.now = START + dt.timedelta(hours=1)
    # When the second is marked read twice
    first = api.post(f"/notifications/{ids[1]}/read")
    second = api.post(f"/notifications/{ids[1]}/read")
    # Then both answer 204, two stay unread, and the entry has the first read time
    assert (first.status_code, second.status_code) == (204, 204)
    inbox = api.get("/notifications").json()
    assert inbox["unread_count"] == 2
    assert [i["read_at"] for i in inbox["items"]] == [None, "2026-11-24T05:00:00.000Z", None]


@pytest.mark.parametrize(
    "entry_id",
    [
        pytest.param(f"{'2026-11-24T04:01:00.000Z'}~req-9", id="unknown"),
        pytest.param("not-an-entry-id", id="malformed"),
        pytest.param("2026-11-24T04:01:00Z~req-1", id="no-milliseconds"),
    ],
)
def test_reading_an_unknown_entry_is_404_and_counts_nothing(
    api: TestClient, repo: NotificationsRepository, entry_id: str
) -> None:
    # Given one unread notification
    deliver(repo, "user-a", 1)
    # When an entry that is not there is marked read
    response = api.post(f"/notifications/{entry_id}/read")
    # Then it is not found and one is still unread
    assert_problem(response, 404, "not-found")
    assert api.get("/notifications").json()["unread_count"] == 1


def test_reading_another_members_entry_is_404_and_leaves_it_unread(
    api: TestClient, repo: NotificationsRepository, caller: Caller
) -> None:
    # Given user-b's notification
    entry_id = deliver(repo, "user-b", 1)
    # When user-a marks its id read
    response = api.post(f"/notifications/{entry_id}/read")
    # Then user-a is told there is none, and user-b still has it unread
    assert_problem(response, 404, "not-found")
    caller.identity = member("user-b")
    assert api.get("/notifications").json()["unread_count"] == 1


def test_read_all_marks_every_entry_and_zeroes_the_count(
    api: TestClient, repo: NotificationsRepository, caller: Caller
) -> None:
    # Given four notifications of user-a, one already read, and one of user-b
    ids = [deliver(repo, "user-a", n) for n in range(1, 5)]
    api.post(f"/notifications/{ids[0]}/read")
    deliver(repo, "user-b", 1)
    # When user-a marks all read
    response = api.post("/notifications/read-all")
    # Then nothing of theirs is unread, and user-b's entry is untouched
    assert response.status_code == 204
    inbox = api.get("/notifications").json()
    assert inbox["unread_count"] == 0
    assert all(i["read_at"] for i in inbox["items"])
    caller.identity = member("user-b")
    assert api.get("/notifications").json()["unread_count"] == 1


def test_the_handler_module_wires_the_app() -> None:
    # Given / When the Lambda entry point is imported / Then it exposes a handler over this app
    from functions.notifications import handler

    assert callable(handler.handler)
    assert handler.app is app
