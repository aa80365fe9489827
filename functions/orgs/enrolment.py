"""Enrol people in an organisation: the Cognito user, its group, the roster entry.

Shared by invitations (one person, at once) and CSV imports (a chunk of rows in the
queue worker). Safe to repeat: a user that exists already in this organisation and is
on the roster is "already enrolled"; one created by an earlier attempt that never
reached the roster is enrolled now; a person of another organisation, or one who was
removed from this one (their account is disabled), is refused: removal is not undone
by an invitation.
No pydantic: the worker imports this.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from functions.orgs.repository import OrgsRepository
from shared.orgs.roles import ROLES

ENROLLED = "enrolled"
ALREADY = "already_enrolled"
REMOVED = "was removed from this organisation"
NOT_ACCEPTED = "this email or phone cannot be invited"
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class NewPerson:
    display_name: str
    email: str | None
    phone: str | None
    role: str
    unit_id: str | None
    username: str
    line: int = 0  # the CSV line, for rejections


@dataclass(frozen=True)
class Outcome:
    person: NewPerson
    result: str  # ENROLLED, ALREADY, or "rejected"
    user_id: str | None = None
    reason: str | None = None
    temporary_password: str | None = None


def temporary_password() -> str:
    """Meets the pool's policy (10+ characters, upper, lower, digit)."""
    return "Tmp-" + "".join(secrets.choice(_ALPHABET) for _ in range(12)) + "a7Q"


def _attribute(user: dict[str, Any], name: str) -> str | None:
    for pair in user.get("Attributes") or user.get("UserAttributes") or ():
        if pair["Name"] == name:
            return str(pair["Value"])
    return None


class Enroller:
    def __init__(
        self, cognito: Any, user_pool_id: str, repo: OrgsRepository, *, send_invitations: bool
    ) -> None:
        self._cognito = cognito
        self._pool = user_pool_id
        self._repo = repo
        # On AWS Cognito mails (or texts) the temporary password; the local cloud hands it back.
        self._send = send_invitations

    def enrol(
        self, org_id: str, people: Sequence[NewPerson], org: dict[str, Any], stamp: str
    ) -> list[Outcome]:
        """Enrol every person; roster items are written in batches at the end."""
        outcomes = [self._cognito_user(org_id, p, org) for p in people]
        candidates = {o.user_id: o for o in outcomes if o.result == ENROLLED and o.user_id}
        on_roster = self._repo.people(org_id, candidates)
        final: list[Outcome] = []
        new_items = []
        for outcome in outcomes:
            if outcome.user_id in on_roster and outcome.result == ENROLLED:
                existing = on_roster[outcome.user_id]
                result = ALREADY if existing.get("status") == "active" else "rejected"
                reason = None if result == ALREADY else REMOVED
                final.append(Outcome(outcome.person, result, outcome.user_id, reason=reason))
                continue
            final.append(outcome)
            if outcome.result == ENROLLED and outcome.user_id:
                # Only now: someone already on the roster keeps the groups they have.
                self._set_group(outcome.person.username, outcome.person.role)
                new_items.append(self._item(org_id, outcome, stamp))
        self._repo.enrol(new_items)
        return final

    def _item(self, org_id: str, outcome: Outcome, stamp: str) -> dict[str, Any]:
        person = outcome.person
        return {
            "org_id": org_id,
            "user_id": outcome.user_id,
            "username": person.username,
            "display_name": person.display_name,
            "email": person.email,
            "phone": person.phone,
            "role": person.role,
            "unit_id": person.unit_id,
            "status": "active",
            "created_at": stamp,
            "updated_at": stamp,
        }

    def _cognito_user(self, org_id: str, person: NewPerson, org: dict[str, Any]) -> Outcome:
        attributes = [{"Name": "custom:org_id", "Value": org_id}]
        if org.get("time_zone"):
            attributes.append({"Name": "zoneinfo", "Value": str(org["time_zone"])})
        if org.get("locale"):
            attributes.append({"Name": "locale", "Value": str(org["locale"])})
        if person.email:
            attributes += [
                {"Name": "email", "Value": person.email},
                {"Name": "email_verified", "Value": "true"},
            ]
        if person.phone:
            attributes += [
                {"Name": "phone_number", "Value": person.phone},
                {"Name": "phone_number_verified", "Value": "true"},
            ]
        args: dict[str, Any] = {
            "UserPoolId": self._pool,
            "Username": person.username,
            "UserAttributes": attributes,
        }
        password = None
        if self._send:
            args["DesiredDeliveryMediums"] = ["EMAIL"] if person.email else ["SMS"]
        else:
            password = temporary_password()
            args |= {"MessageAction": "SUPPRESS", "TemporaryPassword": password}
        try:
            user = self._cognito.admin_create_user(**args)["User"]
        except self._cognito.exceptions.UsernameExistsException:
            return self._existing(org_id, person)
        except self._cognito.exceptions.InvalidParameterException:
            return Outcome(person, "rejected", reason=NOT_ACCEPTED)
        user_id = _attribute(user, "sub")
        if user_id is None:
            raise RuntimeError("Cognito returned a user without a sub")
        return Outcome(person, ENROLLED, user_id, temporary_password=password)

    def _existing(self, org_id: str, person: NewPerson) -> Outcome:
        user = self._cognito.admin_get_user(UserPoolId=self._pool, Username=person.username)
        if _attribute(user, "custom:org_id") != org_id:
            # Worded like any other refusal: an admin must not learn who is enrolled elsewhere.
            return Outcome(person, "rejected", reason=NOT_ACCEPTED)
        user_id = _attribute(user, "sub")
        if user_id is None:
            raise RuntimeError("Cognito returned a user without a sub")
        if not user.get("Enabled", True):
            # Off-boarded (or being erased): an invitation must not bring the account back.
            return Outcome(person, "rejected", user_id, reason=REMOVED)
        # Created by an earlier attempt that never reached the roster: enrol it now.
        return Outcome(person, ENROLLED, user_id)

    def _set_group(self, username: str, role: str) -> None:
        self._cognito.admin_add_user_to_group(
            UserPoolId=self._pool, Username=username, GroupName=role
        )

    def only_group(self, username: str, role: str) -> None:
        """The account in `role`'s group and no other role's (safe to repeat)."""
        for other in ROLES:
            if other != role:
                self._cognito.admin_remove_user_from_group(
                    UserPoolId=self._pool, Username=username, GroupName=other
                )
        self._set_group(username, role)

    def disable(self, username: str) -> None:
        """Off-board: no new sign-in, and refresh tokens stop working."""
        self._cognito.admin_disable_user(UserPoolId=self._pool, Username=username)
        self._cognito.admin_user_global_sign_out(UserPoolId=self._pool, Username=username)
