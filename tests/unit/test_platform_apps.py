"""The SNS platform applications custom resource: Create, Update and Delete against moto,
secrets checked without ever showing them, and CloudFormation always answered."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions.notifications import platform_apps
from tests.support.events import lambda_context
from tests.support.moto_cloud import fresh_name, moto_clients

RESPONSE_URL = "https://cloudformation-custom-resource-response.example/signed?X-Amz-Signature=1"


def pem(body: str) -> str:
    return f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"


SIGNING_KEY = pem("MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQgSECRETKEY1")
ROTATED_KEY = pem("MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQgSECRETKEY2")
APNS = {
    "signing_key": SIGNING_KEY,
    "key_id": "ABC123DEFG",
    "team_id": "TEAM456XYZ",
    "bundle_id": "org.peer.app",
}
FCM = {
    "type": "service_account",
    "project_id": "peer-support",
    "private_key_id": "0f1e2d",
    "private_key": "-----BEGIN PRIVATE KEY-----\nFCMSECRETKEY\n-----END PRIVATE KEY-----\n",
    "client_email": "push@peer-support.iam.gserviceaccount.com",
}


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, Any]]:
    with moto_clients("sns", "secretsmanager") as made:
        yield made


class Responses:
    """Stands in for the PUT to CloudFormation's response URL."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, url: str, body: bytes) -> None:
        self.sent.append((url, json.loads(body)))

    @property
    def only(self) -> dict[str, Any]:
        (sent,) = self.sent
        return sent[1]


@pytest.fixture
def responses(clients: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Responses:
    made = Responses()
    monkeypatch.setattr(platform_apps, "client", lambda service: clients[service])
    monkeypatch.setattr(platform_apps, "http_put", made)
    return made


@pytest.fixture
def prefix() -> str:
    return fresh_name("stack")


def secret(clients: dict[str, Any], value: Any) -> str:
    """A new secret holding `value` (JSON-encoded unless a string); its ARN."""
    text = value if isinstance(value, str) else json.dumps(value)
    made = clients["secretsmanager"].create_secret(Name=fresh_name("push"), SecretString=text)
    return str(made["ARN"])


def event(
    request: str, prefix: str, apns: str = "", fcm: str = "", physical_id: str | None = None
) -> dict[str, Any]:
    made: dict[str, Any] = {
        "RequestType": request,
        "ResponseURL": RESPONSE_URL,
        "StackId": "arn:aws:cloudformation:us-east-1:000000000000:stack/peer/1",
        "RequestId": "req-1",
        "LogicalResourceId": "PushPlatformApps",
        "ResourceType": "Custom::PushPlatformApps",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:000000000000:function:apps",
            "NamePrefix": prefix,
            "ApnsSecretArn": apns,
            "FcmSecretArn": fcm,
        },
    }
    if physical_id is not None:
        made["PhysicalResourceId"] = physical_id
    return made


def invoke(made: dict[str, Any]) -> dict[str, Any]:
    return platform_apps.handler(made, lambda_context("platform-apps"))


def apps(clients: dict[str, Any], prefix: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Our applications as name -> (ARN, attributes)."""
    listed = clients["sns"].list_platform_applications()["PlatformApplications"]
    found = {}
    for app in listed:
        arn = app["PlatformApplicationArn"]
        name = arn.rsplit("/", 1)[-1]
        if name.startswith(f"{prefix}-"):
            found[name] = (arn, app["Attributes"])
    return found


def operations(client: Any) -> tuple[list[str], Callable[[], None]]:
    """The names of the calls `client` makes from now on, and a way to stop recording."""
    seen: list[str] = []

    def record(model: Any, **_: Any) -> None:
        seen.append(model.name)

    client.meta.events.register("before-call.sns", record)
    return seen, lambda: client.meta.events.unregister("before-call.sns", record)


# --- Create -----------------------------------------------------------------------------


def test_create_with_both_secrets_makes_three_apps(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given an APNs and an FCM secret
    apns, fcm = secret(clients, APNS), secret(clients, FCM)
    # When CloudFormation creates the resource
    invoke(event("Create", prefix, apns, fcm))
    # Then three apps exist and their ARNs are the answer's Data, under a stable id
    made = apps(clients, prefix)
    answer = responses.only
    assert (answer["Status"], answer["PhysicalResourceId"]) == (
        "SUCCESS",
        f"{prefix}-platform-apps",
    )
    assert answer["Data"] == {
        "ApnsArn": made[f"{prefix}-apns"][0],
        "ApnsSandboxArn": made[f"{prefix}-apns-sandbox"][0],
        "FcmArn": made[f"{prefix}-fcm"][0],
    }
    assert ":app/APNS_SANDBOX/" in answer["Data"]["ApnsSandboxArn"]
    assert ":app/GCM/" in answer["Data"]["FcmArn"]


def test_apns_apps_use_token_auth_from_the_secrets_fields(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given an APNs secret
    apns = secret(clients, APNS)
    # When the resource is created
    invoke(event("Create", prefix, apns))
    # Then both APNs apps carry the signing key, key id, team id and bundle id
    expected = {
        "PlatformCredential": SIGNING_KEY,
        "PlatformPrincipal": "ABC123DEFG",
        "ApplePlatformTeamID": "TEAM456XYZ",
        "ApplePlatformBundleID": "org.peer.app",
    }
    made = apps(clients, prefix)
    for name in (f"{prefix}-apns", f"{prefix}-apns-sandbox"):
        assert {k: made[name][1].get(k) for k in expected} == expected


def test_fcm_app_credential_is_the_service_account_json(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given the FCM service-account JSON in a secret
    fcm = secret(clients, FCM)
    # When the resource is created
    invoke(event("Create", prefix, fcm=fcm))
    # Then the GCM app's credential is that JSON string, with no principal
    attributes = apps(clients, prefix)[f"{prefix}-fcm"][1]
    assert json.loads(attributes["PlatformCredential"]) == FCM
    assert "PlatformPrincipal" not in attributes


def test_create_with_no_secrets_makes_nothing(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given no secret ARNs at all
    # When the resource is created
    invoke(event("Create", prefix))
    # Then it succeeds with every ARN empty and no app made
    assert responses.only["Status"] == "SUCCESS"
    assert responses.only["Data"] == {"ApnsArn": "", "ApnsSandboxArn": "", "FcmArn": ""}
    assert apps(clients, prefix) == {}


def test_create_with_only_fcm_skips_apns(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given only an FCM secret
    fcm = secret(clients, FCM)
    # When the resource is created
    invoke(event("Create", prefix, fcm=fcm))
    # Then only the FCM app exists and the APNs ARNs are empty
    assert set(apps(clients, prefix)) == {f"{prefix}-fcm"}
    data = responses.only["Data"]
    assert (data["ApnsArn"], data["ApnsSandboxArn"]) == ("", "")
    assert data["FcmArn"].endswith(f"/{prefix}-fcm")


# --- Update -----------------------------------------------------------------------------


def test_update_rotating_the_apns_key_sets_attributes_in_place(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given apps made from one APNs key
    invoke(event("Create", prefix, secret(clients, APNS)))
    before = apps(clients, prefix)
    rotated = secret(clients, {**APNS, "signing_key": ROTATED_KEY, "key_id": "NEWKEY0001"})
    # When the stack is updated to the rotated key
    seen, stop = operations(clients["sns"])
    try:
        invoke(event("Update", prefix, rotated, physical_id=f"{prefix}-platform-apps"))
    finally:
        stop()
    # Then both apps keep their ARNs, get the new key through SetPlatformApplicationAttributes,
    # and nothing is created anew
    after = apps(clients, prefix)
    for name in (f"{prefix}-apns", f"{prefix}-apns-sandbox"):
        assert after[name][0] == before[name][0]
        assert after[name][1]["PlatformCredential"] == ROTATED_KEY
        assert after[name][1]["PlatformPrincipal"] == "NEWKEY0001"
    assert seen.count("SetPlatformApplicationAttributes") == 2
    assert "CreatePlatformApplication" not in seen
    assert responses.sent[-1][1]["PhysicalResourceId"] == f"{prefix}-platform-apps"


def test_update_without_fcm_deletes_the_fcm_app(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given APNs and FCM apps
    apns = secret(clients, APNS)
    invoke(event("Create", prefix, apns, secret(clients, FCM)))
    # When the stack is updated with the FCM secret ARN emptied
    invoke(event("Update", prefix, apns, "", physical_id=f"{prefix}-platform-apps"))
    # Then the FCM app is gone, its ARN is empty, and the APNs apps remain
    assert set(apps(clients, prefix)) == {f"{prefix}-apns", f"{prefix}-apns-sandbox"}
    answer = responses.sent[-1][1]
    assert (answer["Status"], answer["Data"]["FcmArn"]) == ("SUCCESS", "")


def test_update_to_a_new_prefix_answers_a_new_id_and_leaves_the_old_apps(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given apps under one prefix
    fcm = secret(clients, FCM)
    invoke(event("Create", prefix, fcm=fcm))
    renamed = fresh_name("stack")
    # When an update changes the prefix
    invoke(event("Update", renamed, fcm=fcm, physical_id=f"{prefix}-platform-apps"))
    # Then the answer carries the new id (a replacement: CloudFormation deletes the old id),
    # the new app exists and the old one is left for that Delete
    assert responses.sent[-1][1]["PhysicalResourceId"] == f"{renamed}-platform-apps"
    assert set(apps(clients, renamed)) == {f"{renamed}-fcm"}
    assert set(apps(clients, prefix)) == {f"{prefix}-fcm"}


# --- Delete -----------------------------------------------------------------------------


def test_delete_removes_only_this_resources_apps(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given this resource's apps and another stack's
    apns, fcm = secret(clients, APNS), secret(clients, FCM)
    invoke(event("Create", prefix, apns, fcm))
    other = fresh_name("stack")
    invoke(event("Create", other, fcm=fcm))
    # When CloudFormation deletes this resource
    invoke(event("Delete", prefix, apns, fcm, physical_id=f"{prefix}-platform-apps"))
    # Then its apps are gone, the other stack's stays, and the delete succeeded
    assert apps(clients, prefix) == {}
    assert set(apps(clients, other)) == {f"{other}-fcm"}
    assert responses.sent[-1][1]["Status"] == "SUCCESS"


def test_delete_of_apps_already_gone_succeeds(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given a resource whose apps were deleted by hand
    fcm = secret(clients, FCM)
    invoke(event("Create", prefix, fcm=fcm))
    clients["sns"].delete_platform_application(
        PlatformApplicationArn=responses.only["Data"]["FcmArn"]
    )
    # When CloudFormation deletes it
    invoke(event("Delete", prefix, fcm=fcm, physical_id=f"{prefix}-platform-apps"))
    # Then the delete succeeds under the same id
    answer = responses.sent[-1][1]
    assert (answer["Status"], answer["PhysicalResourceId"]) == (
        "SUCCESS",
        f"{prefix}-platform-apps",
    )


def test_delete_after_a_create_that_had_no_name_touches_nothing(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given another resource's apps, and a Create that failed on a bad NamePrefix
    invoke(event("Create", prefix, fcm=secret(clients, FCM)))
    invoke(event("Create", "bad prefix!"))
    failed_id = responses.sent[-1][1]["PhysicalResourceId"]
    # When the rollback deletes the failed resource
    invoke(event("Delete", "bad prefix!", physical_id=failed_id))
    # Then it succeeds and deletes nothing
    assert not failed_id.endswith("-platform-apps")
    assert responses.sent[-1][1]["Status"] == "SUCCESS"
    assert set(apps(clients, prefix)) == {f"{prefix}-fcm"}


# --- bad secrets and properties ---------------------------------------------------------


def test_apns_secret_missing_a_field_fails_naming_it_and_makes_nothing(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given an APNs secret without team_id, and a good FCM secret
    apns = secret(clients, {k: v for k, v in APNS.items() if k != "team_id"})
    # When the resource is created
    invoke(event("Create", prefix, apns, secret(clients, FCM)))
    # Then it fails naming the field, shows no value, and no app was made (not even FCM's)
    answer = responses.only
    assert answer["Status"] == "FAILED"
    assert "team_id" in answer["Reason"]
    assert "ApnsSecretArn" in answer["Reason"]
    assert all(value not in answer["Reason"] for value in APNS.values())
    assert apps(clients, prefix) == {}


def test_signing_key_that_is_not_a_pem_fails_without_showing_it(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given an APNs secret whose signing key lost its PEM armour
    bare = "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQgSECRETKEY1"
    apns = secret(clients, {**APNS, "signing_key": bare})
    # When the resource is created
    invoke(event("Create", prefix, apns))
    # Then the reason names signing_key and never quotes it
    reason = responses.only["Reason"]
    assert responses.only["Status"] == "FAILED"
    assert "signing_key" in reason
    assert bare not in reason


def test_secret_that_is_not_json_fails_without_quoting_it(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given an FCM secret holding a bare key rather than the service-account JSON
    fcm = secret(clients, "AAAA-legacy-server-key-SECRET")
    # When the resource is created
    invoke(event("Create", prefix, fcm=fcm))
    # Then it fails naming the property and not the text
    reason = responses.only["Reason"]
    assert responses.only["Status"] == "FAILED"
    assert "FcmSecretArn" in reason and "JSON" in reason
    assert "legacy-server-key" not in reason


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        ({**FCM, "type": "authorized_user"}, "type"),
        ({k: v for k, v in FCM.items() if k != "client_email"}, "client_email"),
        ({**FCM, "private_key": ""}, "private_key"),
    ],
)
def test_fcm_secret_that_is_no_service_account_fails_naming_the_field(
    clients: dict[str, Any], responses: Responses, prefix: str, broken: dict[str, str], field: str
) -> None:
    # Given an FCM secret that is not a whole service-account key
    fcm = secret(clients, broken)
    # When the resource is created
    invoke(event("Create", prefix, fcm=fcm))
    # Then it fails naming the field, without the private key
    reason = responses.only["Reason"]
    assert responses.only["Status"] == "FAILED"
    assert field in reason
    assert "FCMSECRETKEY" not in reason
    assert apps(clients, prefix) == {}


def test_secret_that_cannot_be_read_fails_naming_the_property(
    clients: dict[str, Any], responses: Responses, prefix: str
) -> None:
    # Given an APNs secret ARN that does not exist
    missing = "arn:aws:secretsmanager:us-east-1:000000000000:secret:push-apns-gone-AbCdEf"
    # When the resource is created
    invoke(event("Create", prefix, missing))
    # Then it fails naming the property and AWS's error code
    reason = responses.only["Reason"]
    assert responses.only["Status"] == "FAILED"
    assert "ApnsSecretArn" in reason and "ResourceNotFoundException" in reason


def test_bad_name_prefix_fails_naming_it(responses: Responses) -> None:
    # Given a NamePrefix SNS would refuse
    # When the resource is created
    invoke(event("Create", "peer support/prod"))
    # Then it fails naming NamePrefix
    assert responses.only["Status"] == "FAILED"
    assert "NamePrefix" in responses.only["Reason"]


def test_secrets_never_reach_the_log(
    clients: dict[str, Any], responses: Responses, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Given good secrets, and then an APNs secret with a field missing
    fcm = secret(clients, FCM)
    invoke(event("Create", prefix, secret(clients, APNS), fcm))
    broken = secret(clients, {k: v for k, v in APNS.items() if k != "bundle_id"})
    # When the resource is created and then updated to the broken one
    invoke(event("Update", prefix, broken, fcm, physical_id=f"{prefix}-platform-apps"))
    # Then something was logged, but neither key
    formatter = platform_apps.logger.registered_formatter  # the JSON lines Lambda would log
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "platform apps" in logged
    assert "SECRETKEY1" not in logged and "FCMSECRETKEY" not in logged


# --- always answering -------------------------------------------------------------------


def test_unexpected_error_is_still_answered_as_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given clients that cannot even be made
    made = Responses()

    def broken(service: str) -> Any:
        raise RuntimeError("token=SECRETVALUE")

    monkeypatch.setattr(platform_apps, "client", broken)
    monkeypatch.setattr(platform_apps, "http_put", made)
    # When a Create arrives
    invoke(event("Create", "peer-prod", fcm="arn:aws:secretsmanager:x"))
    # Then CloudFormation gets FAILED to the response URL with the error's type, not its text
    url, answer = made.sent[0]
    assert url == RESPONSE_URL
    assert (answer["Status"], answer["PhysicalResourceId"]) == (
        "FAILED",
        "peer-prod-platform-apps",
    )
    assert "RuntimeError" in answer["Reason"]
    assert "SECRETVALUE" not in answer["Reason"]
    assert (answer["RequestId"], answer["LogicalResourceId"]) == ("req-1", "PushPlatformApps")
    assert answer["StackId"].endswith("stack/peer/1")


def test_sns_error_on_delete_is_answered_with_its_code(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given SNS refusing us
    made = Responses()

    class Refusing:
        def get_paginator(self, name: str) -> Any:
            error = {"Error": {"Code": "AuthorizationError", "Message": "not allowed: secret"}}
            raise ClientError(error, "ListPlatformApplications")

    monkeypatch.setattr(platform_apps, "client", lambda service: Refusing())
    monkeypatch.setattr(platform_apps, "http_put", made)
    # When a Delete arrives
    invoke(event("Delete", "peer-prod", physical_id="peer-prod-platform-apps"))
    # Then it is answered FAILED with the operation and the code, under the id it had
    answer = made.sent[0][1]
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("ListPlatformApplications failed: AuthorizationError")
    assert answer["PhysicalResourceId"] == "peer-prod-platform-apps"


def test_failed_put_raises_so_lambda_retries(
    clients: dict[str, Any], monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    # Given a response URL that cannot be reached
    def unreachable(url: str, body: bytes) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(platform_apps, "client", lambda service: clients[service])
    monkeypatch.setattr(platform_apps, "http_put", unreachable)
    # When a Create is carried out
    # Then the invocation fails (the asynchronous retry answers again)
    with pytest.raises(OSError):
        invoke(event("Create", prefix))


def test_http_put_sends_json_with_an_empty_content_type(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given urlopen replaced by a recorder
    sent: list[Any] = []

    class Reply:
        def __enter__(self) -> Reply:
            return self

        def __exit__(self, *_: object) -> None:
            return None

        def read(self) -> bytes:
            return b""

    def urlopen(request: Any, timeout: float) -> Reply:
        sent.append(request)
        return Reply()

    monkeypatch.setattr(platform_apps.urllib.request, "urlopen", urlopen)
    # When a response is PUT
    platform_apps.http_put(RESPONSE_URL, b'{"Status": "SUCCESS"}')
    # Then it is a PUT of the body with Content-Type "" (not urllib's form default)
    (request,) = sent
    assert (request.get_method(), request.full_url, request.data) == (
        "PUT",
        RESPONSE_URL,
        b'{"Status": "SUCCESS"}',
    )
    assert request.get_header("Content-type") == ""


def test_http_put_refuses_a_url_that_is_not_http() -> None:
    # Given a response URL naming a local file
    # When a response is PUT there
    # Then it is refused
    with pytest.raises(ValueError, match="http"):
        platform_apps.http_put("file:///etc/passwd", b"{}")


def test_module_loads_neither_fastapi_nor_pydantic() -> None:
    # Given the custom resource, which is no HTTP function
    script = (
        "import json, sys\n"
        "import functions.notifications.platform_apps\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'fastapi', 'pydantic', 'starlette'})))\n"
    )
    root = Path(__file__).resolve().parents[2]
    # When a fresh interpreter imports it
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    # Then none of the HTTP stack was loaded
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
