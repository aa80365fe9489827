"""moto's in-memory AWS for the unit tier (never used by integration or stack tests).

A client costs 0.1-0.3 s to build, so a test module opens one mock with its clients
(`moto_clients`, module scope) and each test makes resources of its own under fresh
names (`fresh_name`): no test sees another's state, and the mock is reset when the
module ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

REGION = "us-east-1"


@contextmanager
def moto_clients(*services: str) -> Iterator[dict[str, Any]]:
    """One moto mock, and a client of it for each service named."""
    with mock_aws():
        yield {service: boto3.client(service, region_name=REGION) for service in services}


def fresh_name(prefix: str) -> str:
    """A table or bucket name no other test uses (lower case, valid for S3 too)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
