"""The load benchmark's client: asyncio + httpx against the local API, in-flight capped.

Every request waits for one of `concurrency` slots. The cap is there for the emulator:
ministack starts a Python process per concurrent invocation of a function (as Lambda
starts an environment), and twenty cold starts at once on two cores took over a minute.
A request's latency runs from taking its slot to its answer; the wait for the slot is
kept beside it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench.load_plan import CHECKIN, INBOX, JOURNAL, LOGIN, PEER_INBOX, PING
from bench.load_report import TIMEOUT, TRANSPORT, Sample

# method and path (under the API's stage URL) of each API route of the plan
ROUTE_CALLS = {
    CHECKIN: ("POST", "checkins"),
    JOURNAL: ("POST", "journal/entries"),
    INBOX: ("GET", "notifications"),
    PEER_INBOX: ("GET", "peer/inbox"),
    PING: ("GET", "ping"),
}
COGNITO_TARGET = "AWSCognitoIdentityProviderService.InitiateAuth"


class LoadClient:
    def __init__(self, stack: dict[str, Any], concurrency: int, timeout_s: float) -> None:
        self.stack = stack
        self.slots = asyncio.Semaphore(concurrency)
        # A few more connections than slots: a connection is never what a request waits for.
        self.http = httpx.AsyncClient(
            timeout=timeout_s,
            limits=httpx.Limits(
                max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4
            ),
        )
        self.samples: list[Sample] = []
        self.recording = False  # off while warming up
        # Requests in flight per route, and the most seen while recording: how many
        # containers a function needed (the warm-up's depth should cover it).
        self.in_flight: dict[str, int] = {}
        self.peak: dict[str, int] = {}

    async def close(self) -> None:
        await self.http.aclose()

    async def _send(
        self, route: str, method: str, url: str, **kwargs: Any
    ) -> httpx.Response | None:
        queued = time.perf_counter()
        async with self.slots:
            started = time.perf_counter()
            self.in_flight[route] = self.in_flight.get(route, 0) + 1
            if self.recording:
                self.peak[route] = max(self.peak.get(route, 0), self.in_flight[route])
            response: httpx.Response | None = None
            status: int | str
            try:
                response = await self.http.request(method, url, **kwargs)
                status = response.status_code
            except httpx.TimeoutException:
                status = TIMEOUT
            except httpx.HTTPError:
                status = TRANSPORT
            ended = time.perf_counter()
            self.in_flight[route] -= 1
        if self.recording:
            self.samples.append(Sample(route, status, ended - started, started - queued))
        return response

    async def login(self, username: str, password: str) -> str | None:
        """The app's sign-in: InitiateAuth USER_PASSWORD_AUTH, unsigned, as a phone sends it."""
        response = await self._send(
            LOGIN,
            "POST",
            self.stack["aws_endpoint_url"] + "/",
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": COGNITO_TARGET,
            },
            json={
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": self.stack["user_pool_client_id"],
                "AuthParameters": {"USERNAME": username, "PASSWORD": password},
            },
        )
        if response is None or response.status_code != 200:
            return None
        return str(response.json()["AuthenticationResult"]["IdToken"])

    async def call(
        self, route: str, token: str, body: dict[str, Any] | None = None
    ) -> httpx.Response | None:
        method, path = ROUTE_CALLS[route]
        return await self._send(
            route,
            method,
            f"{self.stack['api_url']}/{path}",
            headers={"Authorization": token},
            json=body,
        )
