"""Who is calling, read only from the claims API Gateway verified.

API Gateway's Cognito authorizer checks the token's signature, issuer, audience
and expiry before a function runs. Functions never trust a header or body for
identity. Claims arrive as strings; `cognito:groups` may be a JSON list, a
"[a b]" string (the emulator, and AWS for REST APIs) or a comma list.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, ConfigDict

from shared.clock import zone
from shared.errors import Forbidden, InvalidInput, Unauthorized
from shared.locales import valid_locale
from shared.revocation import revocations

Role = Literal["member", "peer_supporter", "counsellor", "org_admin"]
# Highest privilege first: the primary role of a user in several groups.
ROLE_ORDER: tuple[Role, ...] = ("org_admin", "counsellor", "peer_supporter", "member")


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: str
    username: str
    roles: frozenset[Role]
    org_id: str | None
    zoneinfo: str | None = None
    locale: str | None = None
    region: str | None = None

    @property
    def role(self) -> Role:
        return next(r for r in ROLE_ORDER if r in self.roles)


def parse_groups(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, list):
        return [str(g) for g in raw]
    text = str(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
            if isinstance(parsed, list):
                return [str(g) for g in parsed]
        except ValueError:
            pass
        text = text[1:-1]
    return [g for g in text.replace(",", " ").split() if g]


def claims_from_event(event: dict[str, Any]) -> dict[str, Any]:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") or (authorizer.get("jwt") or {}).get("claims") or {}
    return dict(claims)


def valid_zoneinfo(value: object) -> str | None:
    """The `zoneinfo` claim if it names an IANA zone, else None (the default zone applies).

    The app can write this claim, so it is checked before anything uses or stores it.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        return zone(value).key
    except InvalidInput:
        return None


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    """Build the caller from verified claims; anything short of an ID token with a role is 401."""
    # Access tokens carry no profile claims; the app must send its ID token.
    if claims.get("token_use") != "id" or not claims.get("sub"):
        raise Unauthorized("An ID token is required.")
    roles = frozenset(g for g in parse_groups(claims.get("cognito:groups")) if g in ROLE_ORDER)
    if not roles:
        raise Forbidden("The account has no role yet.")
    return Identity(
        user_id=str(claims["sub"]),
        username=str(claims.get("cognito:username") or claims["sub"]),
        roles=roles,
        org_id=claims.get("custom:org_id") or None,
        # The app may write these two claims: a value that is not valid is dropped.
        zoneinfo=valid_zoneinfo(claims.get("zoneinfo")),
        locale=valid_locale(claims.get("locale")),
        region=claims.get("custom:region") or None,
    )


def verified_identity(request: Request) -> Identity:
    """The caller from the verified claims, even if their account was erased since."""
    event = request.scope.get("aws.event") or {}
    return identity_from_claims(claims_from_event(event))


def current_identity(request: Request) -> Identity:
    """FastAPI dependency: the verified caller of this request, refused if erased."""
    identity = verified_identity(request)
    revoked = revocations()
    if revoked is not None and revoked.is_revoked(identity.user_id):
        raise Unauthorized("This account was erased; sign in again.")
    return identity
