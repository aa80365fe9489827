"""Push payloads and SNS mobile push: what leaves for a device, endpoints kept as AWS
recommends (created once, updated in place), and SNS's answers mapped onto outcomes."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from shared.notifications.providers import Device, Push, apns_payload, fcm_payload
from shared.notifications.sns_push import (
    DEFAULT_TEXT,
    SnsEndpoints,
    SnsProvider,
    belongs_to,
    is_passing,
    publish_request,
    token_refused,
)
from tests.support.moto_cloud import REGION, fresh_name, moto_clients

PUSH = Push(
    title="New message",
    body="Your peer supporter replied",
    route="inbox",
    ref="thr-8c1f",
    collapse_id="inbox-thr-8c1f",
    badge=3,
    urgent=False,
    ttl_seconds=3600,
)
ALERT = replace(PUSH, title="Check in now", body="A member needs you", urgent=True)


def leaves(value: Any) -> list[Any]:
    """Every scalar in a JSON-like value."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


# What a payload may hold: the push's own fields and the fixed words of each format.
ALLOWED = {
    PUSH.title,
    PUSH.body,
    PUSH.route,
    PUSH.ref,
    PUSH.collapse_id,
    PUSH.badge,
    "default",
    "active",
    "normal",
    "5",
    "alert",
    f"{PUSH.ttl_seconds}s",
}


def test_providers_load_neither_fastapi_nor_pydantic() -> None:
    # Given the SQS sender, which is no HTTP function
    modules = ["shared.notifications.sns_push", "shared.notifications.jpush"]

    # When a fresh interpreter imports every provider
    script = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'fastapi', 'pydantic', 'starlette'})))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )

    # Then none of the HTTP stack was loaded
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


# Payload builders


def test_apns_payload_holds_only_aps_route_and_ref() -> None:
    # Given a push
    # When its APNs payload is built
    payload = apns_payload(PUSH)

    # Then besides aps only the route and the ref are there
    assert set(payload) == {"aps", "route", "ref"}
    assert (payload["route"], payload["ref"]) == ("inbox", "thr-8c1f")


def test_apns_alert_shows_title_body_badge_and_default_sound() -> None:
    # Given a push with a badge of 3
    # When its APNs payload is built
    aps = apns_payload(PUSH)["aps"]

    # Then the alert carries the title and body, with the badge and the default sound
    assert aps["alert"] == {"title": "New message", "body": "Your peer supporter replied"}
    assert (aps["badge"], aps["sound"]) == (3, "default")


def test_apns_thread_is_the_collapse_id() -> None:
    # Given a push with a collapse id
    # When its APNs payload is built
    aps = apns_payload(PUSH)["aps"]

    # Then notifications of one thread group together
    assert aps["thread-id"] == "inbox-thr-8c1f"


def test_urgent_push_is_time_sensitive_on_ios() -> None:
    # Given a counsellor alert
    # When its APNs payload is built
    aps = apns_payload(ALERT)["aps"]

    # Then it breaks through Focus
    assert aps["interruption-level"] == "time-sensitive"


def test_routine_push_is_active_on_ios() -> None:
    # Given a routine push
    # When its APNs payload is built
    aps = apns_payload(PUSH)["aps"]

    # Then it is delivered as an ordinary notification
    assert aps["interruption-level"] == "active"


def test_fcm_data_holds_only_route_and_ref() -> None:
    # Given a push
    # When its FCM v1 message is built
    message = fcm_payload(PUSH)["fcmV1Message"]["message"]

    # Then the data is the route and the ref, and the notification only title and body
    assert message["data"] == {"route": "inbox", "ref": "thr-8c1f"}
    assert message["notification"] == {
        "title": "New message",
        "body": "Your peer supporter replied",
    }
    assert set(message) == {"notification", "data", "android", "apns"}


def test_fcm_collapse_key_and_tag_are_the_collapse_id() -> None:
    # Given a push with a collapse id
    # When its FCM v1 message is built
    android = fcm_payload(PUSH)["fcmV1Message"]["message"]["android"]

    # Then FCM keeps one pending message and the tray one notification per collapse id
    assert android["collapse_key"] == "inbox-thr-8c1f"
    assert android["notification"] == {"tag": "inbox-thr-8c1f", "notification_count": 3}


def test_urgent_push_has_high_priority_on_fcm() -> None:
    # Given a counsellor alert
    # When its FCM v1 message is built
    message = fcm_payload(ALERT)["fcmV1Message"]["message"]

    # Then Android and APNs-through-FCM both deliver it at once
    assert message["android"]["priority"] == "high"
    assert message["apns"]["headers"]["apns-priority"] == "10"
    assert message["apns"]["payload"]["aps"]["interruption-level"] == "time-sensitive"


def test_routine_push_has_normal_priority_on_fcm() -> None:
    # Given a routine push
    # When its FCM v1 message is built
    android = fcm_payload(PUSH)["fcmV1Message"]["message"]["android"]

    # Then Android may batch it to save power
    assert android["priority"] == "normal"


def test_fcm_ttl_is_a_duration_in_seconds() -> None:
    # Given a push that lives an hour
    # When its FCM v1 message is built
    android = fcm_payload(PUSH)["fcmV1Message"]["message"]["android"]

    # Then the ttl is FCM's duration string
    assert android["ttl"] == "3600s"


def test_no_value_beyond_the_push_and_format_words_leaves_in_any_payload() -> None:
    # Given a push
    # When every payload format is built
    payloads = [apns_payload(PUSH), fcm_payload(PUSH)]

    # Then every value in them is a field of the push or a fixed word of the format
    assert {leaf for p in payloads for leaf in leaves(p)} <= ALLOWED


# Publish requests


def device(provider: str = "fcm", **changes: Any) -> Device:
    made = Device(
        installation_id=f"inst-{uuid.uuid4().hex[:8]}",
        platform="ios" if provider == "apns" else "android",
        provider=provider,  # type: ignore[arg-type]
        token=f"token-{uuid.uuid4().hex}",
        apns_environment="production" if provider == "apns" else None,
        endpoint_arn="arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/1",
    )
    return replace(made, **changes)


def test_production_apns_device_gets_the_apns_key_and_its_ttl() -> None:
    # Given an iPhone on production APNs
    # When a publish request is built
    request = publish_request(device("apns"), PUSH)

    # Then the message has APNS and default only, and the ttl is APNs's
    message = json.loads(request["Message"])
    assert set(message) == {"default", "APNS"}
    assert json.loads(message["APNS"]) == apns_payload(PUSH)
    assert request["MessageStructure"] == "json"
    assert request["MessageAttributes"]["AWS.SNS.MOBILE.APNS.TTL"]["StringValue"] == "3600"


def test_sandbox_apns_device_gets_the_sandbox_key_and_its_ttl() -> None:
    # Given an iPhone with a development build
    # When a publish request is built
    request = publish_request(device("apns", apns_environment="sandbox"), PUSH)

    # Then the message uses APNS_SANDBOX, whose ttl attribute has its own name
    assert set(json.loads(request["Message"])) == {"default", "APNS_SANDBOX"}
    attributes = request["MessageAttributes"]
    assert attributes["AWS.SNS.MOBILE.APNS_SANDBOX.TTL"]["StringValue"] == "3600"
    assert "AWS.SNS.MOBILE.APNS.TTL" not in attributes


def test_urgent_apns_publish_has_priority_10_and_routine_5() -> None:
    # Given an iPhone
    # When an alert and a routine push are built for it
    urgent = publish_request(device("apns"), ALERT)["MessageAttributes"]
    routine = publish_request(device("apns"), PUSH)["MessageAttributes"]

    # Then APNs sends the alert at once and the routine push when power allows
    assert urgent["AWS.SNS.MOBILE.APNS.PRIORITY"]["StringValue"] == "10"
    assert routine["AWS.SNS.MOBILE.APNS.PRIORITY"]["StringValue"] == "5"


def test_apns_publish_is_an_alert_push_with_the_collapse_id() -> None:
    # Given an iPhone
    # When a publish request is built
    attributes = publish_request(device("apns"), PUSH)["MessageAttributes"]

    # Then APNs gets the alert push type and the collapse id headers
    assert attributes["AWS.SNS.MOBILE.APNS.PUSH_TYPE"] == {
        "DataType": "String",
        "StringValue": "alert",
    }
    assert attributes["AWS.SNS.MOBILE.APNS.COLLAPSE_ID"]["StringValue"] == "inbox-thr-8c1f"


def test_fcm_device_gets_the_gcm_key_and_the_fcm_ttl() -> None:
    # Given an Android phone on FCM
    # When a publish request is built
    request = publish_request(device("fcm"), PUSH)

    # Then the message has GCM (the FCM v1 message) and default, with FCM's ttl attribute
    message = json.loads(request["Message"])
    assert set(message) == {"default", "GCM"}
    assert json.loads(message["GCM"]) == fcm_payload(PUSH)
    assert request["MessageAttributes"] == {
        "AWS.SNS.MOBILE.FCM.TTL": {"DataType": "String", "StringValue": "3600"}
    }


def test_default_text_says_nothing_about_the_push() -> None:
    # Given a push with a title and body
    # When a publish request is built
    message = json.loads(publish_request(device("fcm"), PUSH)["Message"])

    # Then the fallback text is the generic one
    assert message["default"] == DEFAULT_TEXT
    assert PUSH.title not in DEFAULT_TEXT and PUSH.body not in DEFAULT_TEXT


def test_a_device_without_an_endpoint_is_refused() -> None:
    # Given a device whose endpoint was never ensured
    # When a publish request is built
    # Then it is refused rather than sent nowhere
    with pytest.raises(ValueError, match="no SNS endpoint"):
        publish_request(device("fcm", endpoint_arn=None), PUSH)


def test_a_jpush_device_is_refused_by_sns() -> None:
    # Given a JPush device
    # When an SNS publish request is built for it
    # Then it is refused
    with pytest.raises(ValueError, match="jpush"):
        publish_request(device("jpush"), PUSH)


# Endpoints in moto


@pytest.fixture(scope="module")
def sns() -> Iterator[Any]:
    with moto_clients("sns") as clients:
        yield clients["sns"]


@pytest.fixture
def app_arn(sns: Any) -> str:
    made = sns.create_platform_application(
        Name=fresh_name("app"), Platform="GCM", Attributes={"PlatformCredential": "fcm-key"}
    )
    return str(made["PlatformApplicationArn"])


class SnsCalls:
    """The SNS operations a client makes while inside the block (botocore before-call)."""

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


def new_device() -> Device:
    """An Android FCM device with a token no other test uses (moto matches tokens across apps)."""
    return device("fcm", endpoint_arn=None)


def endpoints_of(sns: Any, app_arn: str) -> list[dict[str, Any]]:
    found = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app_arn)
    return list(found["Endpoints"])


def attributes_of(sns: Any, arn: str) -> dict[str, str]:
    return dict(sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"])


def test_ensure_creates_an_endpoint_when_none_is_stored(sns: Any, app_arn: str) -> None:
    # Given a device registering for the first time
    phone = new_device()

    # When its endpoint is ensured
    with SnsCalls(sns) as calls:
        arn = SnsEndpoints(sns).ensure(phone, app_arn, phone.installation_id)

    # Then one endpoint holds its token, created once and read back
    assert [e["EndpointArn"] for e in endpoints_of(sns, app_arn)] == [arn]
    assert attributes_of(sns, arn)["Token"] == phone.token
    assert calls.names == ["CreatePlatformEndpoint", "GetEndpointAttributes"]


def test_ensure_only_reads_an_endpoint_that_is_current(sns: Any, app_arn: str) -> None:
    # Given a device whose endpoint exists with its token, enabled
    phone = new_device()
    arn = SnsEndpoints(sns).ensure(phone, app_arn, phone.installation_id)

    # When its endpoint is ensured again
    with SnsCalls(sns) as calls:
        again = SnsEndpoints(sns).ensure(replace(phone, endpoint_arn=arn), app_arn, "u")

    # Then nothing is created or changed
    assert again == arn
    assert calls.names == ["GetEndpointAttributes"]


def test_ensure_updates_the_token_in_place_when_it_changed(sns: Any, app_arn: str) -> None:
    # Given a device whose token was refreshed after its endpoint was made
    phone = new_device()
    arn = SnsEndpoints(sns).ensure(phone, app_arn, phone.installation_id)
    refreshed = replace(phone, token=f"token-{uuid.uuid4().hex}", endpoint_arn=arn)

    # When its endpoint is ensured
    with SnsCalls(sns) as calls:
        again = SnsEndpoints(sns).ensure(refreshed, app_arn, phone.installation_id)

    # Then the same endpoint now holds the new token, and no endpoint was created
    assert again == arn
    assert attributes_of(sns, arn)["Token"] == refreshed.token
    assert "CreatePlatformEndpoint" not in calls.names
    assert len(endpoints_of(sns, app_arn)) == 1


def test_ensure_re_enables_a_disabled_endpoint(sns: Any, app_arn: str) -> None:
    # Given a device whose endpoint SNS disabled (say the app was reinstalled)
    phone = new_device()
    arn = SnsEndpoints(sns).ensure(phone, app_arn, phone.installation_id)
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})

    # When its endpoint is ensured
    again = SnsEndpoints(sns).ensure(replace(phone, endpoint_arn=arn), app_arn, "u")

    # Then the same endpoint is enabled again
    assert again == arn
    assert attributes_of(sns, arn)["Enabled"].lower() == "true"


def test_ensure_recreates_an_endpoint_that_was_deleted(sns: Any, app_arn: str) -> None:
    # Given a device whose stored endpoint has since been deleted
    phone = new_device()
    gone = SnsEndpoints(sns).ensure(phone, app_arn, phone.installation_id)
    sns.delete_endpoint(EndpointArn=gone)

    # When its endpoint is ensured
    arn = SnsEndpoints(sns).ensure(replace(phone, endpoint_arn=gone), app_arn, "u")

    # Then a new endpoint holds its token
    assert arn != gone
    assert [e["EndpointArn"] for e in endpoints_of(sns, app_arn)] == [arn]
    assert attributes_of(sns, arn)["Token"] == phone.token


def test_ensure_adopts_the_endpoint_already_holding_the_token(sns: Any, app_arn: str) -> None:
    # Given an endpoint for this token made with other user data, then disabled,
    # and a device that lost its stored ARN (say a reinstall)
    phone = new_device()
    made = sns.create_platform_endpoint(
        PlatformApplicationArn=app_arn, Token=phone.token, CustomUserData="older-installation"
    )
    existing = made["EndpointArn"]
    sns.set_endpoint_attributes(EndpointArn=existing, Attributes={"Enabled": "false"})

    # When its endpoint is ensured
    arn = SnsEndpoints(sns).ensure(phone, app_arn, phone.installation_id)

    # Then the existing endpoint is used and enabled, and no second one is made
    assert arn == existing
    assert len(endpoints_of(sns, app_arn)) == 1
    assert attributes_of(sns, arn)["Enabled"].lower() == "true"


def test_ensure_raises_when_the_platform_application_is_unknown(sns: Any) -> None:
    # Given a platform application ARN that does not exist
    missing = f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT_ID}:app/GCM/{fresh_name('none')}"

    # When an endpoint is ensured under it
    # Then SNS's error is raised, not swallowed
    with pytest.raises(ClientError):
        SnsEndpoints(sns).ensure(new_device(), missing, "u")


def test_delete_removes_the_endpoint(sns: Any, app_arn: str) -> None:
    # Given a device with an endpoint
    phone = new_device()
    arn = SnsEndpoints(sns).ensure(phone, app_arn, phone.installation_id)

    # When its endpoint is deleted
    SnsEndpoints(sns).delete(arn)

    # Then the application has no endpoint left
    assert endpoints_of(sns, app_arn) == []


# Publishing in moto


def published_messages(arn: str) -> list[str]:
    backend = sns_backends[DEFAULT_ACCOUNT_ID][REGION]
    return list(backend.platform_endpoints[arn].messages.values())


def test_publish_to_an_enabled_endpoint_is_delivered(sns: Any, app_arn: str) -> None:
    # Given an Android device with an enabled endpoint
    phone = new_device()
    phone = replace(phone, endpoint_arn=SnsEndpoints(sns).ensure(phone, app_arn, "u"))

    # When a push is sent to it
    outcome = SnsProvider(sns).send(phone, PUSH)

    # Then SNS took it, carrying the FCM v1 message
    assert outcome == "delivered"
    [message] = published_messages(str(phone.endpoint_arn))
    assert json.loads(json.loads(message)["GCM"]) == fcm_payload(PUSH)


def test_publish_to_a_disabled_endpoint_reports_the_token_dead(sns: Any, app_arn: str) -> None:
    # Given a device whose endpoint SNS disabled after FCM called the token invalid
    phone = new_device()
    phone = replace(phone, endpoint_arn=SnsEndpoints(sns).ensure(phone, app_arn, "u"))
    sns.set_endpoint_attributes(EndpointArn=phone.endpoint_arn, Attributes={"Enabled": "false"})

    # When a push is sent to it
    outcome = SnsProvider(sns).send(phone, PUSH)

    # Then the token is reported dead
    assert outcome == "token_dead"


def test_publish_to_a_deleted_endpoint_reports_the_token_dead(sns: Any, app_arn: str) -> None:
    # Given a device whose endpoint was deleted
    phone = new_device()
    phone = replace(phone, endpoint_arn=SnsEndpoints(sns).ensure(phone, app_arn, "u"))
    sns.delete_endpoint(EndpointArn=phone.endpoint_arn)

    # When a push is sent to it
    outcome = SnsProvider(sns).send(phone, PUSH)

    # Then it is reported dead (the app makes a new endpoint when it next registers)
    assert outcome == "token_dead"


# SNS errors moto does not produce


class FailingSns:
    """An SNS client whose Publish fails with `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def publish(self, **_: Any) -> dict[str, Any]:
        raise self.error


def client_error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Publish")


@pytest.mark.parametrize("code", ["Throttling", "InternalError", "KMSThrottling"])
def test_throttled_or_failing_sns_means_retry(code: str) -> None:
    # Given SNS throttling or failing inside
    sns = FailingSns(client_error(code))

    # When a push is sent
    # Then it is to be tried again later
    assert SnsProvider(sns).send(device("fcm"), PUSH) == "retry"


@pytest.mark.parametrize(
    "error",
    [
        ConnectTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com"),
    ],
)
def test_a_timeout_means_retry(error: Exception) -> None:
    # Given SNS not answering in time
    sns = FailingSns(error)

    # When a push is sent
    # Then it is to be tried again later
    assert SnsProvider(sns).send(device("fcm"), PUSH) == "retry"


def test_an_invalid_token_parameter_reports_the_token_dead() -> None:
    # Given SNS calling the endpoint's token invalid
    sns = FailingSns(client_error("InvalidParameter", "Invalid parameter: Token Reason: bad"))

    # When a push is sent
    # Then the token is reported dead
    assert SnsProvider(sns).send(device("fcm"), PUSH) == "token_dead"


def test_another_invalid_parameter_is_raised() -> None:
    # Given SNS calling our message invalid
    sns = FailingSns(
        client_error("InvalidParameter", "Invalid parameter: Message Reason: too long")
    )

    # When a push is sent
    # Then our bug surfaces, and no device is reported dead
    with pytest.raises(ClientError):
        SnsProvider(sns).send(device("fcm"), PUSH)


def test_a_disabled_platform_application_is_raised() -> None:
    # Given the APNs certificate expired, so SNS disabled the platform application
    sns = FailingSns(client_error("PlatformApplicationDisabled", "Platform application disabled"))

    # When a push is sent
    # Then the configuration fault surfaces, and no device is reported dead
    with pytest.raises(ClientError):
        SnsProvider(sns).send(device("apns"), PUSH)


# Reading SNS's answers while registering


def test_an_endpoint_belongs_to_the_application_it_was_made_in(sns: Any, app_arn: str) -> None:
    # Given an endpoint made in one application, and another application
    phone = new_device()
    arn = SnsEndpoints(sns).ensure(phone, app_arn, "u")
    other = sns.create_platform_application(
        Name=fresh_name("app"), Platform="GCM", Attributes={"PlatformCredential": "fcm-key"}
    )["PlatformApplicationArn"]
    # When each application is asked about it
    # Then only its own claims it
    assert belongs_to(arn, app_arn) is True
    assert belongs_to(arn, other) is False


def test_an_application_whose_name_extends_another_does_not_claim_its_endpoints() -> None:
    # Given applications "prod" and "prod-2", and an endpoint of "prod-2"
    app = f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT_ID}:app/GCM/prod"
    endpoint = f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT_ID}:endpoint/GCM/prod-2/5c68e2fb"
    # When "prod" is asked / Then it does not claim it
    assert belongs_to(endpoint, app) is False


def test_the_local_emulators_endpoint_form_belongs_to_its_application() -> None:
    # Given the endpoint ARN ministack answers: the application's ARN and an id
    app = f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT_ID}:app/APNS/stack-apns"
    emulated = f"{app}/0f4c"
    # When its application and a longer-named one are asked / Then only its own claims it
    assert belongs_to(emulated, app) is True
    assert belongs_to(emulated, app.replace("stack-apns", "stack-apns-sandbox")) is False
    assert belongs_to(f"{app}-sandbox/0f4c", app) is False


def test_an_invalid_token_while_registering_is_a_refused_token() -> None:
    # Given SNS refusing the token itself
    error = ClientError(
        {"Error": {"Code": "InvalidParameter", "Message": "Invalid parameter: Token Reason: x"}},
        "CreatePlatformEndpoint",
    )
    # When it is read / Then the token is refused
    assert token_refused(error) is True


def test_an_endpoint_already_holding_the_token_is_no_refused_token() -> None:
    # Given SNS's answer that an endpoint exists for the token (ensure adopts it)
    message = (
        "Invalid parameter: Token Reason: Endpoint "
        f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT_ID}:endpoint/GCM/app/1 already exists with "
        "the same Token, but different attributes."
    )
    error = ClientError(
        {"Error": {"Code": "InvalidParameter", "Message": message}}, "CreatePlatformEndpoint"
    )
    # When it is read / Then it is not a refused token
    assert token_refused(error) is False


@pytest.mark.parametrize(
    ("code", "passing"),
    [("Throttling", True), ("InternalError", True), ("AuthorizationError", False)],
)
def test_only_throttling_and_sns_failures_pass_by_themselves(code: str, passing: bool) -> None:
    # Given / When an SNS error is read / Then only a passing one says so
    assert is_passing(client_error(code)) is passing
