"""Android phones in mainland China, through JPush (极光推送) Push API v3.

One request per push (https://docs.jiguang.cn/jpush/server/push/rest_api_v3_push):
POST {base_url}/v3/push with HTTP Basic auth base64(appKey:masterSecret) and a JSON body
that names one registration id. The HTTP call is the injectable `post(url, headers, body)
-> (status, body_bytes)`; production uses `urllib_post` (stdlib, with a timeout).

How JPush's answers map onto an `Outcome` (status and error code from JPush's tables,
https://docs.jiguang.cn/jpush/server/push/http_status_code and the push API's error codes):

| HTTP | code | JPush says                               | here                          |
|------|------|------------------------------------------|-------------------------------|
| 200  |      | accepted ("200 is always success")       | delivered                     |
| 400  | 1011 | 没有满足条件的推送目标 ("cannot find user  | token_dead: the registration  |
|      |      | by this audience"; also after 255 days   | id is unknown or expired      |
|      |      | without activity)                        |                               |
| 400  | 1003 | 参数值不合法, naming the registration_id | token_dead (a malformed id)   |
| 400  | 1003 | 参数值不合法, any other parameter        | raise JPushRequestError (ours)|
| 400  | 1002 | 缺少了必须的参数                         | raise JPushRequestError (ours)|
| 400  | 1005 | 消息体太大                               | raise JPushRequestError (ours)|
| 400  | 1009 | 推送对象中有不支持的 key                 | raise JPushRequestError (ours)|
| 400  | 1008 | app_key 参数非法                         | raise JPushConfigError        |
| 400  | 2003 | 该应用 appkey 已被限制调用 API 推送      | raise JPushConfigError        |
| 401  | 1004 | 验证失败 (app key or master secret wrong)| raise JPushConfigError        |
| 403  | 2004 | 无权限执行当前操作, 2005/2008 quotas     | raise JPushRequestError       |
| 429  | 2002 | API 调用频率超出该应用的限制             | retry                         |
| 500  | 1000 | 系统内部错误, 请稍后重试                 | retry                         |
| 503  | 1030 | 内部服务超时, 稍后重试                   | retry                         |
| 5xx  |      | proxy down or upgrading, try later       | retry                         |
| -    |      | no answer (timeout, refused, reset)      | retry                         |

Credentials and app-key errors are raised, never reported as dead tokens: a wrong secret
must not make the sender disable every device. 1003 is JPush's code for any invalid value,
so only its message says whether the registration id was the one; a 1003 that does not
name it is raised, which fails safe (the record is retried and reaches the DLQ; no device
is disabled).

Only "android" is built. A HarmonyOS device needs JPush's "hmos" notification, whose
category and intent depend on Huawei's notification classification for our app; until
that is settled, sending to one raises.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from shared.notifications.providers import Device, Outcome, Provider, Push, custom_data

Post = Callable[[str, Mapping[str, str], bytes], tuple[int, bytes]]

TIMEOUT_SECONDS = 5.0

# JPush error codes (see the table above).
UNKNOWN_AUDIENCE = 1011
INVALID_VALUE = 1003
_CONFIG_CODES = frozenset({1004, 1008, 2003})


class JPushError(Exception):
    """JPush refused a push for a reason that is not the device's."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"JPush answered HTTP {status}, code {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class JPushConfigError(JPushError):
    """Our JPush app key or master secret is wrong, or the app is barred from pushing."""


class JPushRequestError(JPushError):
    """JPush calls our request invalid: a bug of ours, not a dead device."""


def urllib_post(
    url: str, headers: Mapping[str, str], body: bytes, *, timeout: float = TIMEOUT_SECONDS
) -> tuple[int, bytes]:
    """POST `body` and return (status, body) for any HTTP answer; no answer raises OSError."""
    if urllib.parse.urlsplit(url).scheme not in {"https", "http"}:
        raise ValueError(f"not an HTTP URL: {url}")
    # S310: the scheme is checked above, so no file: or ftp: URL is ever opened.
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        try:
            return int(error.code), error.read()
        finally:
            error.close()


def authorization(app_key: str, master_secret: str) -> str:
    """The Basic credentials JPush expects: base64("appKey:masterSecret")."""
    pair = f"{app_key}:{master_secret}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def jpush_body(device: Device, push: Push) -> dict[str, Any]:
    """The Push API v3 request for one Android device (pure, so tests can read it)."""
    if device.platform != "android":
        raise ValueError(f"JPush sending is built for Android only, not {device.platform!r}")
    if not device.token:
        raise ValueError(f"device {device.installation_id} has no JPush registration id")
    return {
        "platform": "android",
        "audience": {"registration_id": [device.token]},
        "notification": {
            "android": {
                "alert": push.body,
                "title": push.title,
                "extras": custom_data(push),
                "priority": 2 if push.urgent else 0,  # JPush's scale runs -2..2
            }
        },
        # apns_production only matters for iOS; JPush defaults it to true, so say false.
        "options": {"time_to_live": push.ttl_seconds, "apns_production": False},
    }


def _error_of(answer: bytes) -> tuple[int | None, str]:
    """(code, message) from JPush's error JSON {"error": {"code": ..., "message": ...}}."""
    try:
        parsed = json.loads(answer)
    except ValueError:
        return None, answer[:200].decode("utf-8", errors="replace")
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict):
        return None, str(parsed)[:200]
    code = error.get("code")
    return (code if isinstance(code, int) else None), str(error.get("message", ""))


class JPushProvider(Provider):
    """Android devices registered with JPush."""

    def __init__(
        self,
        app_key: str,
        master_secret: str,
        base_url: str = "https://api.jpush.cn",
        post: Post = urllib_post,
    ) -> None:
        self._url = base_url.rstrip("/") + "/v3/push"
        self._headers = {
            "Authorization": authorization(app_key, master_secret),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._post = post

    def send(self, device: Device, push: Push) -> Outcome:
        body = json.dumps(jpush_body(device, push), ensure_ascii=False).encode()
        try:
            status, answer = self._post(self._url, self._headers, body)
        except (OSError, http.client.HTTPException):
            return "retry"  # timeouts, refused or reset connections, truncated answers
        if status == 200:
            return "delivered"
        if status == 429 or status >= 500:
            return "retry"
        code, message = _error_of(answer)
        if status == 401 or code in _CONFIG_CODES:
            raise JPushConfigError(status, code, message)
        if code == UNKNOWN_AUDIENCE:
            return "token_dead"
        if code == INVALID_VALUE and "registration_id" in message.lower():
            return "token_dead"
        raise JPushRequestError(status, code, message)
