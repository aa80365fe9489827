"""One push, one device, one provider: the interface every push service sits behind.

FCM does not reach most Android phones in mainland China and SNS mobile push is not
offered in the AWS China regions, so the sender never names a service: it hands a
`Device` and a `Push` to a `Provider` and acts on the `Outcome`.

- "delivered": the service accepted the push.
- "retry": a passing failure (throttled, the service down, the network); send it again later.
- "token_dead": the service says this device's token will never work again; stop using it.

Anything else (wrong credentials, a request the service calls malformed) is raised: it is a
fault of ours or of our configuration, and must never disable a member's device.

What leaves for the device is only the title, the body, an app route and an opaque ref; the
app fetches anything else itself once the member has signed in. The payload builders here
are pure, so tests can see exactly what would be sent.

No FastAPI or pydantic here: providers run in the SQS sender, which is not an HTTP function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

Outcome = Literal["delivered", "retry", "token_dead"]
Platform = Literal["ios", "android", "harmony"]
ProviderName = Literal["apns", "fcm", "jpush"]
ApnsEnvironment = Literal["sandbox", "production"]


@dataclass(frozen=True)
class Push:
    title: str
    body: str
    route: str  # an app route such as "inbox"
    ref: str  # an opaque id the app resolves after sign-in
    collapse_id: str  # pushes with the same id replace each other on the device
    badge: int
    urgent: bool  # a counsellor alert: time-sensitive on iOS, high priority on Android
    ttl_seconds: int


@dataclass(frozen=True)
class Device:
    installation_id: str
    platform: Platform
    provider: ProviderName
    token: str
    apns_environment: ApnsEnvironment | None  # for provider "apns" only
    endpoint_arn: str | None  # the SNS platform endpoint, for providers "apns" and "fcm"


class Provider(Protocol):
    def send(self, device: Device, push: Push) -> Outcome: ...


def custom_data(push: Push) -> dict[str, str]:
    """The only data a push carries besides its title and body."""
    return {"route": push.route, "ref": push.ref}


def apns_payload(push: Push) -> dict[str, Any]:
    """The APNs JSON payload: an alert, the badge, a thread, and route and ref."""
    return {
        "aps": {
            "alert": {"title": push.title, "body": push.body},
            "badge": push.badge,
            "sound": "default",
            "thread-id": push.collapse_id,
            # "time-sensitive" breaks through Focus; the app needs the Time Sensitive
            # Notifications capability for iOS to honour it.
            "interruption-level": "time-sensitive" if push.urgent else "active",
        },
        **custom_data(push),
    }


def fcm_payload(push: Push) -> dict[str, Any]:
    """The FCM HTTP v1 message in the shape SNS takes under its "GCM" key.

    See https://docs.aws.amazon.com/sns/latest/dg/sns-fcm-v1-payloads.html and FCM's
    `projects.messages` reference. FCM `data` values must be strings.
    """
    return {
        "fcmV1Message": {
            "message": {
                "notification": {"title": push.title, "body": push.body},
                "data": custom_data(push),
                "android": {
                    "collapse_key": push.collapse_id,
                    "priority": "high" if push.urgent else "normal",
                    "ttl": f"{push.ttl_seconds}s",
                    "notification": {
                        "tag": push.collapse_id,
                        "notification_count": push.badge,
                    },
                },
                # An Apple device registered through FCM gets what APNs would have sent.
                "apns": {
                    "headers": {
                        "apns-priority": "10" if push.urgent else "5",
                        "apns-push-type": "alert",
                        "apns-collapse-id": push.collapse_id,
                    },
                    "payload": apns_payload(push),
                },
            }
        }
    }
