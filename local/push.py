"""Push for the local cloud: stand-in credentials in Secrets Manager and the JPush double.

On AWS an operator stores the real APNs key, FCM service account and JPush credentials
(README "Push setup") and passes the secrets' ARNs to the template. Here the same
secrets hold stand-ins the emulator accepts (ministack's SNS checks no credentials and
sends nothing), so the deployed stack has every platform: SNS platform applications for
APNs and FCM, and the mainland-China route pointed at a JPush double (local/jpush_double.py)
that runs in this process, beside the emulator, and lives as long as it does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from local.deploy import aws_client
from local.jpush_double import JPushDouble

# The double's credentials; the sender reads them from the JPush secret as it would on AWS.
JPUSH_APP_KEY = "local-app-key"
JPUSH_MASTER_SECRET = "local-master-secret"

# Stand-ins in the shapes README "Push setup" documents: no real key anywhere.
STAND_INS = {
    "apns": {
        "signing_key": "-----BEGIN PRIVATE KEY-----\nTE9DQUwtQ0xPVUQtT05MWQ==\n"
        "-----END PRIVATE KEY-----\n",
        "key_id": "LOCALKEY01",
        "team_id": "LOCALTEAM1",
        "bundle_id": "org.peersupport.local",
    },
    "fcm": {
        "type": "service_account",
        "project_id": "peer-support-local",
        "private_key_id": "local",
        "private_key": "-----BEGIN PRIVATE KEY-----\nTE9DQUw=\n-----END PRIVATE KEY-----\n",
        "client_email": "push@peer-support-local.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    },
    "jpush": {"app_key": JPUSH_APP_KEY, "master_secret": JPUSH_MASTER_SECRET},
}


@dataclass
class LocalPush:
    double: JPushDouble
    secret_arns: dict[str, str]

    @property
    def parameters(self) -> dict[str, str]:
        """The template parameters that switch every platform on."""
        return {
            "ApnsSecretArn": self.secret_arns["apns"],
            "FcmSecretArn": self.secret_arns["fcm"],
            "JPushSecretArn": self.secret_arns["jpush"],
            "JPushApiUrl": self.double.url,
        }

    def stop(self) -> None:
        self.double.stop()


def put_secret(secrets: Any, name: str, value: dict[str, Any]) -> str:
    """Create the secret, or give an existing one (a kept local state) this value."""
    text = json.dumps(value)
    try:
        return str(secrets.create_secret(Name=name, SecretString=text)["ARN"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceExistsException":
            raise
    return str(secrets.put_secret_value(SecretId=name, SecretString=text)["ARN"])


def start_local_push(endpoint: str, region: str, stack_name: str) -> LocalPush:
    """Store the stand-in secrets in the emulator and start the JPush double."""
    secrets = aws_client("secretsmanager", endpoint, region)
    arns = {
        platform: put_secret(secrets, f"{stack_name}/push/{platform}", value)
        for platform, value in STAND_INS.items()
    }
    return LocalPush(JPushDouble(JPUSH_APP_KEY, JPUSH_MASTER_SECRET).start(), arns)
