"""Print a fresh ID token for a demo user: `make token USER=mei`."""

from __future__ import annotations

import sys
from typing import Any

from local.deploy import aws_client
from local.stack import read


def id_token(stack: dict[str, Any], username: str, password: str | None = None) -> str:
    if password is None:
        known = {u["username"]: u["password"] for u in stack["demo_users"]}
        if username not in known:
            raise SystemExit(f"unknown demo user {username!r}; try one of {', '.join(known)}")
        password = known[username]
    cognito = aws_client("cognito-idp", stack["aws_endpoint_url"], stack["region"])
    result = cognito.initiate_auth(
        ClientId=stack["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["IdToken"])


if __name__ == "__main__":
    print(id_token(read(), sys.argv[1] if len(sys.argv) > 1 else "mei"))
