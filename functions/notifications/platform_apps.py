"""The stack's SNS platform applications: a CloudFormation custom resource (no HTTP).

CloudFormation has no resource type for SNS platform applications, so this function
makes them from the resource's properties (all strings, as CloudFormation passes them)
and the credentials in Secrets Manager:
- `ApnsSecretArn`: APNs token auth, a JSON object with `signing_key` (the .p8 PEM),
  `key_id`, `team_id` and `bundle_id`. One key signs for both APNs environments, so it
  makes two applications, APNS and APNS_SANDBOX (a device's apns_environment picks one).
- `FcmSecretArn`: the FCM HTTP v1 service-account JSON, passed to SNS as it is (GCM).
A platform whose secret ARN is "" is skipped and its ARN in Data is "".

Names are "<NamePrefix>-apns", "-apns-sandbox" and "-fcm", the physical id
"<NamePrefix>-platform-apps". Create and Update converge on what the properties ask
for: an application of our name (found by listing) has its attributes set, so a key
rotation keeps its ARN and the device endpoints under it; a missing one is created; one
whose platform is no longer configured is deleted. A new prefix is a new physical id:
CloudFormation then sends Delete for the old one, which removes the apps the old id
names. A missing app is fine on Delete.

Every secret is read and checked before the first SNS call, so a bad one changes
nothing. A Reason names the property or field at fault, never a value, and no secret is
logged. CloudFormation waits up to an hour for the PUT to the response URL, so every
event is answered, an unexpected error too (FAILED with its type or AWS error code).
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from shared import aws
from shared.observability import instrument, logger

SUFFIX = "-platform-apps"
_PREFIX = re.compile(r"[A-Za-z0-9_.-]{1,243}")  # SNS names are <= 256; "-apns-sandbox" is 13
_PEM_BEGIN, _PEM_END = "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----"
_MAX_REASON = 1000  # the whole response must stay under CloudFormation's 4 KB

# The APNs secret's fields and the SNS attributes for token auth they become.
APNS_FIELDS = {
    "signing_key": "PlatformCredential",
    "key_id": "PlatformPrincipal",
    "team_id": "ApplePlatformTeamID",
    "bundle_id": "ApplePlatformBundleID",
}
# What any FCM service-account key file holds; one missing means the wrong file.
FCM_FIELDS = ("project_id", "private_key", "client_email")

Put = Callable[[str, bytes], None]
Clients = Callable[[str], Any]
Attributes = dict[str, str]


@dataclass(frozen=True)
class Platform:
    output: str  # its ARN's key in Data
    platform: str  # SNS's name for it
    suffix: str  # of the application's name
    secret: str  # the property naming its secret

    def app_name(self, prefix: str) -> str:
        return f"{prefix}{self.suffix}"


APNS = Platform("ApnsArn", "APNS", "-apns", "ApnsSecretArn")
APNS_SANDBOX = Platform("ApnsSandboxArn", "APNS_SANDBOX", "-apns-sandbox", "ApnsSecretArn")
FCM = Platform("FcmArn", "GCM", "-fcm", "FcmSecretArn")
PLATFORMS = (APNS, APNS_SANDBOX, FCM)


class ConfigError(Exception):
    """A property or secret that cannot be used; the message names it, never its value."""


# --- properties and secrets ----------------------------------------------------------


def name_prefix(value: Any) -> str:
    if not isinstance(value, str) or _PREFIX.fullmatch(value) is None:
        raise ConfigError("NamePrefix must be 1-243 characters of A-Z a-z 0-9 _ . -")
    return value


def secret_arn(properties: Mapping[str, Any], prop: str) -> str:
    value = properties.get(prop, "")
    if not isinstance(value, str):
        raise ConfigError(f"{prop} must be a string (a secret ARN or empty)")
    return value.strip()


def read_secret(secrets: Any, prop: str, arn: str) -> str:
    try:
        found = secrets.get_secret_value(SecretId=arn)
    except ClientError as error:
        raise ConfigError(f"{prop}: the secret could not be read ({error_code(error)})") from None
    text = found.get("SecretString")
    if not isinstance(text, str):
        raise ConfigError(f"{prop}: the secret has no SecretString")
    return text


def json_object(prop: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None  # the decoder's message quotes the text: never pass it on
    if not isinstance(value, dict):
        raise ConfigError(f"{prop}: the secret is not a JSON object")
    return value


def text_field(prop: str, secret: Mapping[str, Any], field: str) -> str:
    value = secret.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{prop}: {field} is missing or empty")
    return value


def apns_attributes(text: str) -> Attributes:
    """SNS attributes for APNs token auth from the APNs secret's JSON."""
    secret = json_object(APNS.secret, text)
    attributes = {
        attribute: text_field(APNS.secret, secret, field).strip()
        for field, attribute in APNS_FIELDS.items()
    }
    key = attributes["PlatformCredential"]
    if not (key.startswith(_PEM_BEGIN) and key.endswith(_PEM_END)):
        raise ConfigError(f"{APNS.secret}: signing_key is not a .p8 PEM private key")
    return attributes


def fcm_attributes(text: str) -> Attributes:
    """SNS attributes for FCM HTTP v1: the service-account JSON itself, no principal."""
    secret = json_object(FCM.secret, text)
    if secret.get("type") != "service_account":
        raise ConfigError(f'{FCM.secret}: type is not "service_account"')
    for field in FCM_FIELDS:
        text_field(FCM.secret, secret, field)
    return {"PlatformCredential": text}


def wanted(properties: Mapping[str, Any], secrets: Any) -> dict[Platform, Attributes | None]:
    """Each platform's attributes, or None where its secret ARN is empty (skipped)."""
    apns_arn = secret_arn(properties, APNS.secret)
    fcm_arn = secret_arn(properties, FCM.secret)
    apns = apns_attributes(read_secret(secrets, APNS.secret, apns_arn)) if apns_arn else None
    fcm = fcm_attributes(read_secret(secrets, FCM.secret, fcm_arn)) if fcm_arn else None
    return {APNS: apns, APNS_SANDBOX: apns, FCM: fcm}


# --- SNS -----------------------------------------------------------------------------


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "unknown"))


def app_key(arn: str) -> tuple[str, str] | None:
    """(platform, name) of "arn:<partition>:sns:<region>:<account>:app/<platform>/<name>"."""
    parts = arn.split(":", 5)[-1].split("/", 2)
    return (parts[1], parts[2]) if len(parts) == 3 and parts[0] == "app" else None


def our_apps(sns: Any, prefix: str) -> dict[Platform, str]:
    """The ARN of each of our applications that exists now (SNS lists them all, paged)."""
    ours = {(p.platform, p.app_name(prefix)): p for p in PLATFORMS}
    found: dict[Platform, str] = {}
    for page in sns.get_paginator("list_platform_applications").paginate():
        for app in page.get("PlatformApplications", []):
            platform = ours.get(app_key(app["PlatformApplicationArn"]) or ("", ""))
            if platform is not None:
                found[platform] = app["PlatformApplicationArn"]
    return found


def delete_app(sns: Any, arn: str) -> None:
    try:
        sns.delete_platform_application(PlatformApplicationArn=arn)
    except ClientError as error:
        if error_code(error) not in {"NotFound", "NotFoundException"}:
            raise  # gone meanwhile is what we wanted


def converge(sns: Any, prefix: str, apps: Mapping[Platform, Attributes | None]) -> Attributes:
    """Make the applications what `apps` asks for; Data, each platform's ARN or ""."""
    existing = our_apps(sns, prefix)
    data: Attributes = {}
    for platform, attributes in apps.items():
        arn = existing.get(platform)
        if attributes is None:
            if arn:
                delete_app(sns, arn)
            data[platform.output] = ""
        elif arn:
            # Updated in place: its ARN and the device endpoints under it stay valid.
            sns.set_platform_application_attributes(
                PlatformApplicationArn=arn, Attributes=attributes
            )
            data[platform.output] = arn
        else:
            data[platform.output] = sns.create_platform_application(
                Name=platform.app_name(prefix), Platform=platform.platform, Attributes=attributes
            )["PlatformApplicationArn"]
    return data


def remove(sns: Any, physical_id: str) -> None:
    """Delete the applications `physical_id` names; one that was never ours names none."""
    if not physical_id.endswith(SUFFIX):
        return  # a Create that failed before it had a name
    try:
        prefix = name_prefix(physical_id.removesuffix(SUFFIX))
    except ConfigError:
        return
    for arn in our_apps(sns, prefix).values():
        delete_app(sns, arn)


# --- the custom resource -------------------------------------------------------------


@dataclass
class Result:
    status: str
    physical_id: str
    reason: str = ""
    data: Attributes | None = None


def apply(event: Mapping[str, Any], clients: Clients) -> Result:
    """Carry out one request; ConfigError and AWS errors propagate to `outcome`."""
    request, properties = event["RequestType"], event.get("ResourceProperties") or {}
    if request == "Delete":
        remove(clients("sns"), str(event.get("PhysicalResourceId", "")))
        return Result("SUCCESS", str(event.get("PhysicalResourceId", "")))
    if request not in {"Create", "Update"}:
        raise ConfigError(f"unknown RequestType {request!r}")
    prefix = name_prefix(properties.get("NamePrefix"))
    apps = wanted(properties, clients("secretsmanager"))  # every secret checked first
    data = converge(clients("sns"), prefix, apps)
    return Result("SUCCESS", f"{prefix}{SUFFIX}", data=data)


def failed_physical_id(event: Mapping[str, Any]) -> str:
    """The id a FAILED answer carries: the one we had, or the one Create would have made,
    so a rollback's Delete removes whatever a half-done Create left."""
    if event.get("PhysicalResourceId"):
        return str(event["PhysicalResourceId"])
    try:
        return f"{name_prefix((event.get('ResourceProperties') or {}).get('NamePrefix'))}{SUFFIX}"
    except ConfigError:
        return f"{event.get('LogicalResourceId', 'PlatformApps')}-not-created"


def outcome(event: Mapping[str, Any], clients: Clients) -> Result:
    """`apply`, with every failure turned into FAILED and a reason safe to show."""
    try:
        return apply(event, clients)
    except ConfigError as error:
        reason = str(error)
    except ClientError as error:
        reason = f"{error.operation_name} failed: {error_code(error)}"
    except Exception as error:
        logger.exception("platform apps: unexpected error")
        reason = f"unexpected {type(error).__name__}"
    logger.warning("platform apps failed", extra={"reason": reason})
    return Result("FAILED", failed_physical_id(event), reason=reason)


def response_body(event: Mapping[str, Any], result: Result, context: Any) -> dict[str, Any]:
    reason = result.reason
    if result.status == "FAILED" and getattr(context, "log_stream_name", None):
        reason = f"{reason} (log stream {context.log_stream_name})"
    return {
        "Status": result.status,
        "Reason": reason[:_MAX_REASON],
        "PhysicalResourceId": result.physical_id,
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
        "Data": result.data or {},
    }


def http_put(url: str, body: bytes) -> None:
    """PUT the response to CloudFormation's pre-signed URL.

    Content-Type is empty: the URL is signed without one, and urllib would otherwise
    add application/x-www-form-urlencoded."""
    if urllib.parse.urlsplit(url).scheme not in {"https", "http"}:  # http: the local cloud
        raise ValueError("ResponseURL is not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=body, method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
        reply.read()


def client(service: str) -> Any:
    return aws.client(service)


def respond(event: Mapping[str, Any], context: Any, clients: Clients, put: Put) -> dict[str, Any]:
    """Carry out the request and PUT the answer; a failed PUT raises, so Lambda's retry of
    this asynchronous invocation answers again (every step is safe to repeat)."""
    body = response_body(event, outcome(event, clients), context)
    put(str(event["ResponseURL"]), json.dumps(body).encode())
    logger.info(
        "platform apps answered",
        extra={"request": event.get("RequestType"), "status": body["Status"]},
    )
    return body


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return respond(event, context, client, http_put)
