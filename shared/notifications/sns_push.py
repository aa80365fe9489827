"""APNs and FCM through Amazon SNS mobile push: platform endpoints, and publishing to one.

`SnsEndpoints.ensure` follows AWS's recommended registration
(https://docs.aws.amazon.com/sns/latest/dg/mobile-platform-endpoint.html): create an
endpoint only when none is stored or the stored one was deleted, and otherwise bring the
one we have up to date (the latest token, enabled). It never recreates blindly: a
reinstalled app keeps its endpoint, and SNS never holds two endpoints for one token.

`SnsProvider` publishes a `Push` to a device's endpoint and maps SNS's answer onto an
`Outcome`. The SNS client is passed in (`shared.aws.client("sns")` in production).

Two SNS answers are told apart by their message, because SNS gives them no code of their
own and AWS documents the message for the purpose: an endpoint that already exists for a
token with other attributes ("Endpoint <arn> already exists with the same Token, but
different attributes.") and which parameter an InvalidParameter is about
("Invalid parameter: <Name> Reason: ..."). Both parsers live below and nowhere else.
"""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from shared.notifications.providers import (
    Device,
    Outcome,
    Provider,
    Push,
    apns_payload,
    fcm_payload,
)

# What a device shows if SNS ever falls back to "default": nothing about the push.
DEFAULT_TEXT = "You have a new notification."

# SNS error codes that mean "try again later" (after botocore's own retries).
_PASSING = frozenset({"Throttling", "InternalError", "KMSThrottling", "ServiceUnavailable"})

_EXISTING_ENDPOINT = re.compile(
    r"Endpoint (arn:aws[a-z-]*:sns:\S+) already exists with the same [Tt]oken"
)
_INVALID_PARAMETER = re.compile(r"Invalid parameter: (\w+)")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def sns_error_code(error: ClientError) -> str:
    """SNS's error code (never its message, which may quote a token)."""
    return _code(error)


def is_passing(error: ClientError) -> bool:
    """A failure that goes away by itself: throttled, or SNS failing inside."""
    return _code(error) in _PASSING


def existing_endpoint_arn(error: ClientError) -> str | None:
    """The ARN of the endpoint a CreatePlatformEndpoint clashed with, as AWS documents it."""
    if _code(error) != "InvalidParameter":
        return None
    found = _EXISTING_ENDPOINT.search(_message(error))
    return found.group(1) if found else None


def invalid_parameter(error: ClientError) -> str | None:
    """The parameter an InvalidParameter error names ("Token", "TargetArn", ...)."""
    if _code(error) not in {"InvalidParameter", "InvalidParameterValue"}:
        return None
    found = _INVALID_PARAMETER.search(_message(error))
    return found.group(1) if found else None


def token_refused(error: ClientError) -> bool:
    """SNS calls the device's token invalid (malformed for its platform, say)."""
    return invalid_parameter(error) == "Token" and existing_endpoint_arn(error) is None


def belongs_to(endpoint_arn: str, platform_application_arn: str) -> bool:
    """Whether the endpoint is one of the platform application's.

    An endpoint's ARN extends its application's: "...:app/APNS/name" makes
    "...:endpoint/APNS/name/<id>" (both as CreatePlatformEndpoint answers them). The
    local emulator answers "...:app/APNS/name/<id>" instead, which no AWS endpoint can
    be, so that form is taken too (else every registration there would create again).
    """
    if ":app/" not in platform_application_arn:
        return False
    prefixes = (
        platform_application_arn.replace(":app/", ":endpoint/", 1) + "/",
        platform_application_arn + "/",
    )
    return endpoint_arn.startswith(prefixes)


class SnsEndpoints:
    """Platform endpoints kept as AWS recommends: created once, updated in place."""

    def __init__(self, sns: Any) -> None:
        self._sns = sns

    def ensure(self, device: Device, platform_application_arn: str, user_data: str) -> str:
        """The ARN of an enabled endpoint holding `device.token`; store it on the device.

        `user_data` becomes the endpoint's CustomUserData (an opaque id such as the
        installation id; SNS does not use it, and it must carry nothing personal).
        """
        arn = device.endpoint_arn or self._create(device, platform_application_arn, user_data)
        attributes = self._attributes(arn)
        if attributes is None:  # deleted since we stored it: the one case to create again
            arn = self._create(device, platform_application_arn, user_data)
            attributes = self._attributes(arn)
            if attributes is None:
                raise RuntimeError(f"SNS endpoint {arn} vanished as it was created")
        if attributes.get("Token") != device.token or _disabled(attributes):
            self._sns.set_endpoint_attributes(
                EndpointArn=arn, Attributes={"Token": device.token, "Enabled": "true"}
            )
        return arn

    def delete(self, endpoint_arn: str) -> None:
        """Drop an endpoint (SNS treats deleting a missing endpoint as done)."""
        self._sns.delete_endpoint(EndpointArn=endpoint_arn)

    def _create(self, device: Device, platform_application_arn: str, user_data: str) -> str:
        try:
            made = self._sns.create_platform_endpoint(
                PlatformApplicationArn=platform_application_arn,
                Token=device.token,
                CustomUserData=user_data,
            )
        except ClientError as error:
            # An endpoint for this token exists with other attributes (an older
            # installation, or one SNS disabled): use it; `ensure` then updates it.
            existing = existing_endpoint_arn(error)
            if existing is None:
                raise
            return existing
        return str(made["EndpointArn"])

    def _attributes(self, arn: str) -> dict[str, str] | None:
        try:
            found = self._sns.get_endpoint_attributes(EndpointArn=arn)
        except ClientError as error:
            if _code(error) == "NotFound":
                return None
            raise
        return {str(k): str(v) for k, v in found.get("Attributes", {}).items()}


def _disabled(attributes: dict[str, str]) -> bool:
    return attributes.get("Enabled", "true").lower() == "false"


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def publish_request(device: Device, push: Push) -> dict[str, Any]:
    """The Publish arguments for `push` to `device` (pure, so tests can read them)."""
    if device.endpoint_arn is None:
        raise ValueError(f"device {device.installation_id} has no SNS endpoint; ensure one first")
    if device.provider == "apns":
        if device.apns_environment is None:
            raise ValueError(f"APNs device {device.installation_id} has no APNs environment")
        key = "APNS" if device.apns_environment == "production" else "APNS_SANDBOX"
        payload = apns_payload(push)
        attributes = {
            f"AWS.SNS.MOBILE.{key}.TTL": _string(str(push.ttl_seconds)),
            "AWS.SNS.MOBILE.APNS.PRIORITY": _string("10" if push.urgent else "5"),
            "AWS.SNS.MOBILE.APNS.PUSH_TYPE": _string("alert"),
            "AWS.SNS.MOBILE.APNS.COLLAPSE_ID": _string(push.collapse_id),
        }
    elif device.provider == "fcm":
        key = "GCM"
        payload = fcm_payload(push)
        attributes = {"AWS.SNS.MOBILE.FCM.TTL": _string(str(push.ttl_seconds))}
    else:
        raise ValueError(f"SNS does not send to provider {device.provider!r}")
    message = {"default": DEFAULT_TEXT, key: json.dumps(payload, ensure_ascii=False)}
    return {
        "TargetArn": device.endpoint_arn,
        "MessageStructure": "json",
        "Message": json.dumps(message, ensure_ascii=False),
        "MessageAttributes": attributes,
    }


class SnsProvider(Provider):
    """APNs and FCM devices, through their SNS platform endpoints."""

    def __init__(self, sns: Any) -> None:
        self._sns = sns

    def send(self, device: Device, push: Push) -> Outcome:
        request = publish_request(device, push)
        try:
            self._sns.publish(**request)
        except ClientError as error:
            return _outcome_of(error)
        except (BotocoreConnectionError, HTTPClientError):
            return "retry"  # connect and read timeouts, dropped connections
        return "delivered"


def _outcome_of(error: ClientError) -> Outcome:
    code = _code(error)
    if code == "EndpointDisabled":
        # SNS disabled the endpoint because APNs or FCM called the token invalid.
        return "token_dead"
    if code == "NotFound":
        # The endpoint was deleted; the app makes a new one when it next registers.
        return "token_dead"
    if code in _PASSING:
        return "retry"
    if invalid_parameter(error) == "Token":
        return "token_dead"
    raise error  # our request or our configuration (e.g. PlatformApplicationDisabled)
