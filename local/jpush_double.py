"""A local JPush Push API v3 that checks requests the way JPush documents them.

A real HTTP server (stdlib, in a thread, on a free port) so the client's own urllib code,
headers and JSON go over a socket as they would to https://api.jpush.cn:

    with JPushDouble("app-key", "master-secret") as double:
        provider = JPushProvider("app-key", "master-secret", base_url=double.url)
        double.behave("reg-1", "invalid_token")
        ...
        double.requests  # every request that passed the checks, oldest first

What it checks (https://docs.jiguang.cn/jpush/server/push/rest_api_v3_push):
- path /v3/push (else 404) and method POST (else 405, code 1001);
- Authorization: Basic base64(appKey:masterSecret) (else 401, code 1004);
- Content-Type: application/json (else 400, code 1003);
- the body: JSON with `platform`, `audience.registration_id` a non-empty list of strings,
  `notification.android.alert` a non-empty string, `options.time_to_live` an int when
  options are given (else 400, code 1003; unparseable JSON is 400, code 1002).

What it answers, per registration id (`behave`; "success" unless told otherwise):
- "success": 200 {"sendno": "0", "msg_id": "..."};
- "rate_limited": 429, code 2002 (any id of the audience rate limited);
- "invalid_token": 400, code 1011 (every id of the audience unknown).

Free of pytest: the local cloud (local/push.py) starts one beside the emulator, and the
deployed sender reaches it through the template's JPushApiUrl. Tests in another process
(the stack tier) drive that one over HTTP:
- `GET /_double/requests`: {"requests": [{"registration_ids", "body", "status"}, ...]};
- `PUT /_double/behaviours/<registration id>` with {"behaviour": "invalid_token"}: 204.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import socketserver
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Behaviour = Literal["success", "rate_limited", "invalid_token"]
BEHAVIOURS: tuple[Behaviour, ...] = ("success", "rate_limited", "invalid_token")
PLATFORMS = frozenset({"android", "ios", "quickapp", "hmos"})
CONTROL = "/_double/"


@dataclass(frozen=True)
class Recorded:
    """One request that passed the checks, and the status it was answered with."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int

    @property
    def registration_ids(self) -> list[str]:
        return list(self.body["audience"]["registration_id"])


class _Refused(Exception):
    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _shape_problem(body: Any) -> str | None:
    """Why `body` is not a push object JPush would take, or None."""
    if not isinstance(body, dict):
        return "Push object must be a JSON object"
    platform = body.get("platform")
    platforms = platform if isinstance(platform, list) else [platform]
    if platform != "all" and not (platforms and all(p in PLATFORMS for p in platforms)):
        return "Invalid platform value"
    audience = body.get("audience")
    ids = audience.get("registration_id") if isinstance(audience, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        return "Audience value must be JSON Array format!"
    notification = body.get("notification")
    android = notification.get("android") if isinstance(notification, dict) else None
    alert = android.get("alert") if isinstance(android, dict) else None
    if not isinstance(alert, str) or not alert:
        return "notification.android.alert is required"
    options = body.get("options", {})
    if not isinstance(options, dict):
        return "options must be a JSON object"
    ttl = options.get("time_to_live", 0)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0:
        return "options.time_to_live must be a non-negative integer"
    return None


class JPushDouble:
    def __init__(self, app_key: str, master_secret: str, *, host: str = "127.0.0.1") -> None:
        pair = f"{app_key}:{master_secret}".encode()
        self._authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        self._host = host
        self._lock = threading.Lock()
        self._behaviours: dict[str, Behaviour] = {}
        self._requests: list[Recorded] = []
        self._msg_ids = itertools.count(18_100_000_000_000_001)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> JPushDouble:
        server = _Server((self._host, 0), _handler_for(self))
        self._server = server
        # A short poll interval: `stop` waits at most this long for the serving loop.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="jpush-double"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> JPushDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # What tests use

    @property
    def url(self) -> str:
        """The base URL to give the client in place of https://api.jpush.cn."""
        if self._server is None:
            raise RuntimeError("the JPush double is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def behave(self, registration_id: str, behaviour: Behaviour) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; one of {BEHAVIOURS}")
        with self._lock:
            self._behaviours[registration_id] = behaviour

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget behaviours and recorded requests (for a double shared between tests)."""
        with self._lock:
            self._behaviours.clear()
            self._requests.clear()

    # What the handler calls

    def _answer(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any] | None]:
        if path.startswith(CONTROL):
            return self._control(method, path[len(CONTROL) :], raw)
        try:
            body = self._accept(method, path, headers, raw)
        except _Refused as refused:
            return refused.status, {"error": {"code": refused.code, "message": refused.message}}
        ids = body["audience"]["registration_id"]
        with self._lock:
            behaviours = [self._behaviours.get(i, "success") for i in ids]
            if "rate_limited" in behaviours:
                status, answer = 429, _error(2002, "Request times of the app_key exceed the limit")
            elif all(b == "invalid_token" for b in behaviours):
                status, answer = 400, _error(1011, "cannot find user by this audience")
                answer["msg_id"] = str(next(self._msg_ids))
            else:
                status, answer = 200, {"sendno": "0", "msg_id": str(next(self._msg_ids))}
            self._requests.append(Recorded(path, headers, body, status))
        return status, answer

    def _control(self, method: str, path: str, raw: bytes) -> tuple[int, dict[str, Any] | None]:
        """The test-facing routes (never part of JPush's API)."""
        if method == "GET" and path == "requests":
            recorded = [
                {"registration_ids": r.registration_ids, "body": r.body, "status": r.status}
                for r in self.requests
            ]
            return 200, {"requests": recorded}
        if method == "PUT" and path.startswith("behaviours/"):
            try:
                self.behave(path.removeprefix("behaviours/"), json.loads(raw)["behaviour"])
            except (ValueError, KeyError, TypeError):
                return 400, {"error": f"behaviour must be one of {list(BEHAVIOURS)}"}
            return 204, None
        return 404, {"error": "no such control route"}

    def _accept(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Any:
        if path != "/v3/push":
            raise _Refused(404, None, f"no such resource: {path}")
        if method != "POST":
            raise _Refused(405, 1001, "Only support HTTP POST method")
        if not _same(headers.get("authorization", ""), self._authorization):
            raise _Refused(401, 1004, "Authen failed")
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise _Refused(400, 1003, "Content-Type must be application/json")
        try:
            body = json.loads(raw)
        except ValueError:
            raise _Refused(400, 1002, "Missing parameter") from None
        problem = _shape_problem(body)
        if problem is not None:
            raise _Refused(400, 1003, problem)
        return body


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _same(given: str, expected: str) -> bool:
    """Basic credentials compared decoded, as a server would (case of "Basic" aside)."""
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        return base64.b64decode(token, validate=True) == base64.b64decode(expected.split()[1])
    except (binascii.Error, ValueError):
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # Skip HTTPServer's getfqdn lookup: the double never needs its own host name.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


def _handler_for(double: JPushDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = double._answer(self.command, self.path, headers, raw)
            payload = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_GET = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler
