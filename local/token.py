"""Print a fresh ID token: `make token USER=mei`.

For an invited person's first sign-in, `make token USER=<username> PASSWORD=<temporary>
NEW_PASSWORD=<new>` answers Cognito's NEW_PASSWORD_REQUIRED challenge with the new
password, then prints the token.
"""

from __future__ import annotations

import argparse
from typing import Any

from local.deploy import aws_client
from local.stack import read


def id_token(
    stack: dict[str, Any],
    username: str,
    password: str | None = None,
    new_password: str | None = None,
) -> str:
    if password is None:
        known = {u["username"]: u["password"] for u in stack["demo_users"]}
        if username not in known:
            raise SystemExit(f"unknown demo user {username!r}; try one of {', '.join(known)}")
        password = known[username]
    cognito = aws_client("cognito-idp", stack["aws_endpoint_url"], stack["region"])
    client_id = stack["user_pool_client_id"]
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        if not new_password:
            raise SystemExit(
                f"{username} signs in for the first time: give NEW_PASSWORD=<10+ characters, "
                "upper and lower case and a digit>"
            )
        result = cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=result["Session"],
            ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
        )
    return str(result["AuthenticationResult"]["IdToken"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m local.token")
    parser.add_argument("username", nargs="?", default="mei")
    parser.add_argument("--password")
    parser.add_argument("--new-password")
    args = parser.parse_args()
    print(id_token(read(), args.username, args.password, args.new_password))
