"""The unit tier: pure logic and in-process apps with in-memory fakes; sockets are off."""

from __future__ import annotations

import pytest
from pytest_socket import disable_socket, enable_socket

# The organisations tests' moto world: `cloud` per module, `world` per test.
from tests.support.orgs import cloud, world  # noqa: F401


@pytest.fixture(autouse=True)
def _no_network() -> object:
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()
