"""AWS clients, made on first use and kept for the life of the container.

Made lazily rather than at import: a client costs ~70 ms to build and not every
request path needs every client (GET /health needs none).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Fail fast inside a 10 s Lambda; standard retry mode backs off on throttling.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)
