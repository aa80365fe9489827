"""The integration tier: handlers and repositories in-process, AWS calls to the local cloud.

The botocore patch lives for this package only (scope="package"): the stack tier
that runs after it makes its own clients, some for emulators of their own.

pytest-localstack's RunningSession routes every botocore client to the emulator
that the session-wide `local_cloud` fixture started (it works with ministack as
with LocalStack: one port for every service).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
from pytest_localstack.session import RunningSession

from shared import aws
from shared.revocation import revocations
from shared.settings import settings
from shared.signing_keys import _KEYS, _provider


@pytest.fixture(scope="package")
def aws_session(local_cloud: dict[str, Any]) -> Iterator[RunningSession]:
    port = int(urlparse(local_cloud["aws_endpoint_url"]).port or 0)
    session = RunningSession(
        "127.0.0.1",
        services={"dynamodb": port, "secretsmanager": port, "cloudformation": port},
        region_name=local_cloud["region"],
    )
    session.start(timeout=30)
    # Unknown to the plugin's port table:
    for service in ("cognito-idp", "kms", "s3", "stepfunctions"):
        session.services[service] = port
    with session.botocore.patch_botocore():
        yield session


@pytest.fixture(scope="package")
def function_env(
    local_cloud: dict[str, Any], aws_session: RunningSession
) -> Iterator[dict[str, Any]]:
    """The environment template.yaml gives the functions, pointing at the deployed stack."""
    env = {
        "AWS_DEFAULT_REGION": local_cloud["region"],
        "ACCOUNTS_TABLE": local_cloud["tables"]["accounts"],
        "CHECKINS_TABLE": local_cloud["tables"]["checkins"],
        "IDEMPOTENCY_TABLE": local_cloud["tables"]["idempotency"],
        "USER_POOL_ID": local_cloud["user_pool_id"],
        "CURSOR_SECRET_ARN": local_cloud["cursor_secret_arn"],
        "JOURNAL_TABLE": local_cloud["tables"]["journal"],
        "SEALING_KEY_ID": local_cloud["sealing_key_id"],
        "RESOURCES_TABLE": local_cloud["tables"]["resources"],
        "REVOKED_TABLE": local_cloud["tables"]["revoked"],
        "EXPORT_BUCKET": local_cloud["outputs"]["ExportBucketName"],
        "DEFAULT_TIME_ZONE": "Asia/Shanghai",
        "POWERTOOLS_METRICS_NAMESPACE": "PeerSupportTest",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    settings.cache_clear()
    aws.client.cache_clear()
    _provider.cache_clear()
    _KEYS.clear()
    revocations.cache_clear()
    try:
        yield local_cloud
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        settings.cache_clear()
        aws.client.cache_clear()


@pytest.fixture
def dynamodb(aws_session: RunningSession) -> Any:
    return boto3.client("dynamodb")


@pytest.fixture
def claims() -> dict[str, str]:
    """Verified claims of a fresh member, so each test owns its data."""
    user = str(uuid.uuid4())
    return {"sub": user, "cognito:username": f"it-{user[:8]}"}
