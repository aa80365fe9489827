"""JPush: the request JPush documents, and each of its answers mapped onto an outcome;
first against an injected `post`, then over a socket against the local JPush double."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import urllib.error
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from pytest_socket import disable_socket, enable_socket, socket_allow_hosts

from local.jpush_double import JPushDouble
from shared.notifications.jpush import (
    JPushConfigError,
    JPushProvider,
    JPushRequestError,
    jpush_body,
    urllib_post,
)
from shared.notifications.providers import Device, Push

APP_KEY = "7d431e42dfa6a6d693ac2d04"
MASTER_SECRET = "5e987ac6d2e04d95a9d8f0d1"
BASIC = "Basic " + base64.b64encode(f"{APP_KEY}:{MASTER_SECRET}".encode()).decode()

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
ALERT = replace(PUSH, urgent=True)


def phone(token: str | None = None) -> Device:
    return Device(
        installation_id=f"inst-{uuid.uuid4().hex[:8]}",
        platform="android",
        provider="jpush",
        token=token or f"1507bfd3f7{uuid.uuid4().hex[:9]}",
        apns_environment=None,
        endpoint_arn=None,
    )


def answer(status: int, code: int | None = None, message: str = "") -> tuple[int, bytes]:
    if code is None:
        return status, b'{"sendno": "0", "msg_id": "18100000000000001"}'
    return status, json.dumps({"error": {"code": code, "message": message}}).encode()


@dataclass
class FakePost:
    """A `post` that records each call and gives one answer (or raises one error)."""

    reply: tuple[int, bytes] | Exception = field(default_factory=lambda: answer(200))
    calls: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)

    def __call__(self, url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
        self.calls.append((url, dict(headers), json.loads(body)))
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


def provider(post: FakePost) -> JPushProvider:
    return JPushProvider(APP_KEY, MASTER_SECRET, post=post)


# The request


def test_request_goes_to_v3_push_with_basic_auth_of_app_key_and_master_secret() -> None:
    # Given a JPush provider
    post = FakePost()

    # When a push is sent
    provider(post).send(phone(), PUSH)

    # Then it is one JSON POST to /v3/push, authorised with base64(appKey:masterSecret)
    [(url, headers, _)] = post.calls
    assert url == "https://api.jpush.cn/v3/push"
    assert headers["Authorization"] == BASIC
    assert headers["Content-Type"] == "application/json"


def test_request_targets_the_one_registration_id_on_android() -> None:
    # Given an Android phone registered with JPush
    device = phone("1507bfd3f7c466c355c")

    # When its request body is built
    body = jpush_body(device, PUSH)

    # Then the audience is its registration id alone, on the android platform
    assert body["platform"] == "android"
    assert body["audience"] == {"registration_id": ["1507bfd3f7c466c355c"]}


def test_notification_carries_title_body_and_only_route_and_ref() -> None:
    # Given a push
    # When its request body is built
    android = jpush_body(phone(), PUSH)["notification"]["android"]

    # Then the alert is the body, and the extras hold only the route and the ref
    assert (android["title"], android["alert"]) == ("New message", "Your peer supporter replied")
    assert android["extras"] == {"route": "inbox", "ref": "thr-8c1f"}
    assert set(android) == {"alert", "title", "extras", "priority"}


def test_urgent_push_has_jpush_priority_2() -> None:
    # Given a counsellor alert
    # When its request body is built
    android = jpush_body(phone(), ALERT)["notification"]["android"]

    # Then it has JPush's highest priority
    assert android["priority"] == 2


def test_routine_push_has_jpush_default_priority() -> None:
    # Given a routine push
    # When its request body is built
    android = jpush_body(phone(), PUSH)["notification"]["android"]

    # Then it has JPush's default priority
    assert android["priority"] == 0


def test_options_carry_the_ttl_and_no_apns_production() -> None:
    # Given a push that lives an hour
    # When its request body is built
    options = jpush_body(phone(), PUSH)["options"]

    # Then JPush keeps it offline for an hour
    assert options == {"time_to_live": 3600, "apns_production": False}


def test_a_harmony_device_is_refused_before_any_request() -> None:
    # Given a HarmonyOS device (its hmos notification is not built yet)
    post = FakePost()
    device = replace(phone(), platform="harmony")

    # When a push is sent to it
    # Then it is refused and nothing is sent
    with pytest.raises(ValueError, match="harmony"):
        provider(post).send(device, PUSH)
    assert post.calls == []


def test_urllib_post_refuses_a_url_that_is_not_http() -> None:
    # Given a base URL that is not HTTP
    # When a push is posted to it
    # Then it is refused before anything is opened
    with pytest.raises(ValueError, match="not an HTTP URL"):
        urllib_post("file:///etc/passwd", {}, b"{}")


# Each answer


def test_200_is_delivered() -> None:
    # Given JPush accepting the push
    post = FakePost(answer(200))

    # When it is sent
    # Then it is delivered
    assert provider(post).send(phone(), PUSH) == "delivered"


def test_429_rate_limit_is_retry() -> None:
    # Given JPush saying the app's rate limit is exceeded (2002)
    post = FakePost(answer(429, 2002, "Request times of the app_key exceed the limit"))

    # When a push is sent
    # Then it is to be tried again later
    assert provider(post).send(phone(), PUSH) == "retry"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_is_retry(status: int) -> None:
    # Given JPush failing inside, offline or timing out
    post = FakePost((status, b"<html>Bad Gateway</html>"))

    # When a push is sent
    # Then it is to be tried again later
    assert provider(post).send(phone(), PUSH) == "retry"


@pytest.mark.parametrize(
    "error",
    [
        urllib.error.URLError("Name or service not known"),
        TimeoutError("timed out"),
        ConnectionResetError("reset by peer"),
        http.client.RemoteDisconnected("closed"),
        http.client.IncompleteRead(b""),
    ],
)
def test_no_answer_is_retry(error: Exception) -> None:
    # Given the network failing before JPush answers
    post = FakePost(error)

    # When a push is sent
    # Then it is to be tried again later
    assert provider(post).send(phone(), PUSH) == "retry"


def test_1011_unknown_audience_is_token_dead() -> None:
    # Given JPush not knowing the registration id
    post = FakePost(answer(400, 1011, "cannot find user by this audience"))

    # When a push is sent
    # Then the token is reported dead
    assert provider(post).send(phone(), PUSH) == "token_dead"


def test_1003_naming_the_registration_id_is_token_dead() -> None:
    # Given JPush calling the registration id malformed
    post = FakePost(answer(400, 1003, "registration_id value is invalid"))

    # When a push is sent
    # Then the token is reported dead
    assert provider(post).send(phone(), PUSH) == "token_dead"


def test_1003_about_another_value_is_raised() -> None:
    # Given JPush calling some other value of ours invalid
    post = FakePost(answer(400, 1003, "options.time_to_live is invalid"))

    # When a push is sent
    # Then our bug surfaces, and no device is reported dead
    with pytest.raises(JPushRequestError) as raised:
        provider(post).send(phone(), PUSH)
    assert (raised.value.status, raised.value.code) == (400, 1003)


def test_401_raises_a_configuration_error() -> None:
    # Given JPush refusing our app key and master secret (1004)
    post = FakePost(answer(401, 1004, "Authen failed"))

    # When a push is sent
    # Then the credentials are blamed, never the device
    with pytest.raises(JPushConfigError, match="401"):
        provider(post).send(phone(), PUSH)


@pytest.mark.parametrize("code", [1008, 2003])
def test_an_app_key_refusal_raises_a_configuration_error(code: int) -> None:
    # Given JPush calling the app key invalid (1008) or barred from pushing (2003)
    post = FakePost(answer(400, code, "appkey"))

    # When a push is sent
    # Then the configuration is blamed, never the device
    with pytest.raises(JPushConfigError):
        provider(post).send(phone(), PUSH)


@pytest.mark.parametrize(
    ("status", "code"), [(400, 1002), (400, 1005), (400, 1009), (403, 2004), (405, 1001)]
)
def test_another_client_error_is_raised_as_ours(status: int, code: int) -> None:
    # Given JPush refusing the request itself
    post = FakePost(answer(status, code, "refused"))

    # When a push is sent
    # Then it is raised as our bug, not reported as a dead device or a retry
    with pytest.raises(JPushRequestError):
        provider(post).send(phone(), PUSH)


# Against the local JPush double, over 127.0.0.1


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Sockets on for this test, and connections to 127.0.0.1 only."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    true_connect = socket.socket.connect
    enable_socket()
    socket_allow_hosts(["127.0.0.1"])
    yield
    socket.socket.connect = true_connect  # type: ignore[method-assign]
    disable_socket(allow_unix_socket=True)


@pytest.fixture
def double(loopback: None) -> Iterator[JPushDouble]:
    with JPushDouble(APP_KEY, MASTER_SECRET) as running:
        yield running


def over_http(double: JPushDouble, master_secret: str = MASTER_SECRET) -> JPushProvider:
    return JPushProvider(APP_KEY, master_secret, base_url=double.url)


def test_double_success_is_delivered_and_the_request_recorded(double: JPushDouble) -> None:
    # Given a registered phone
    device = phone()

    # When a push is sent to it over HTTP
    outcome = over_http(double).send(device, PUSH)

    # Then it is delivered, and the double saw the documented request
    assert outcome == "delivered"
    [seen] = double.requests
    assert seen.path == "/v3/push"
    assert seen.body == jpush_body(device, PUSH)
    assert seen.status == 200


def test_double_rate_limited_is_retry(double: JPushDouble) -> None:
    # Given JPush rate limiting this phone's pushes
    device = phone()
    double.behave(device.token, "rate_limited")

    # When a push is sent to it over HTTP
    # Then it is to be tried again later
    assert over_http(double).send(device, PUSH) == "retry"
    assert [r.status for r in double.requests] == [429]


def test_double_invalid_token_is_token_dead(double: JPushDouble) -> None:
    # Given a registration id JPush no longer knows
    device = phone()
    double.behave(device.token, "invalid_token")

    # When a push is sent to it over HTTP
    # Then the token is reported dead
    assert over_http(double).send(device, PUSH) == "token_dead"


def test_double_wrong_master_secret_raises_a_configuration_error(double: JPushDouble) -> None:
    # Given a provider configured with the wrong master secret
    wrong = over_http(double, master_secret="not-the-secret")

    # When a push is sent over HTTP
    # Then the credentials are blamed, and the double accepted nothing
    with pytest.raises(JPushConfigError) as raised:
        wrong.send(phone(), PUSH)
    assert (raised.value.status, raised.value.code) == (401, 1004)
    assert double.requests == []


def test_double_refuses_a_body_without_an_alert(double: JPushDouble) -> None:
    # Given a push object whose android notification has no alert
    body = jpush_body(phone(), PUSH)
    del body["notification"]["android"]["alert"]
    headers = {
        "Authorization": "Basic "
        + base64.b64encode(f"{APP_KEY}:{MASTER_SECRET}".encode()).decode(),
        "Content-Type": "application/json",
    }

    # When it is posted to the double
    status, answered = urllib_post(f"{double.url}/v3/push", headers, json.dumps(body).encode())

    # Then it is refused as JPush refuses an invalid value
    assert status == 400
    assert json.loads(answered)["error"]["code"] == 1003
    assert double.requests == []


def test_double_refuses_a_body_that_is_not_json_typed(double: JPushDouble) -> None:
    # Given a correct push object sent without the JSON content type
    body = json.dumps(jpush_body(phone(), PUSH)).encode()
    headers = {
        "Authorization": "Basic "
        + base64.b64encode(f"{APP_KEY}:{MASTER_SECRET}".encode()).decode(),
        "Content-Type": "text/plain",
    }

    # When it is posted to the double
    status, answered = urllib_post(f"{double.url}/v3/push", headers, body)

    # Then it is refused
    assert (status, json.loads(answered)["error"]["code"]) == (400, 1003)


def test_nothing_listening_is_retry(loopback: None) -> None:
    # Given a JPush address where nothing listens any more
    with JPushDouble(APP_KEY, MASTER_SECRET) as stopped:
        url = stopped.url

    # When a push is sent there
    outcome = JPushProvider(APP_KEY, MASTER_SECRET, base_url=url).send(phone(), PUSH)

    # Then the refused connection means try again later
    assert outcome == "retry"


def control(double: JPushDouble, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A request to the double's steering routes, as the stack tier sends it."""
    host, port = double.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        payload = None if body is None else json.dumps(body).encode()
        connection.request(method, f"/_double/{path}", body=payload)
        answer = connection.getresponse()
        raw = answer.read()
        return answer.status, json.loads(raw) if raw else None
    finally:
        connection.close()


def test_double_is_steered_and_read_over_http_from_another_process(double: JPushDouble) -> None:
    # Given a registration id the stack tier tells the double to refuse, over HTTP
    status, _ = control(double, "PUT", "behaviours/reg-gone", {"behaviour": "invalid_token"})
    assert status == 204

    # When the sender pushes to it
    outcome = over_http(double).send(phone("reg-gone"), PUSH)

    # Then it is refused as the real API would, and the request log says so over HTTP
    assert outcome == "token_dead"
    status, answered = control(double, "GET", "requests")
    (recorded,) = answered["requests"]
    assert (recorded["registration_ids"], recorded["status"]) == (["reg-gone"], 400)


def test_double_refuses_an_unknown_behaviour(double: JPushDouble) -> None:
    # When a behaviour the double does not have is asked for
    status, _ = control(double, "PUT", "behaviours/reg-1", {"behaviour": "explode"})
    # Then it is refused and the id keeps succeeding
    assert status == 400
    assert over_http(double).send(phone("reg-1"), PUSH) == "delivered"
