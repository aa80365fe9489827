"""Passwords for the users the stack tier makes."""

from __future__ import annotations

import uuid


def policy_password(prefix: str) -> str:
    """Unique, and always within the pool's policy (10+ characters, upper, lower, digit).

    A random hex tail alone sometimes has no digit (about 1 in 2,600 for eight
    characters), and Cognito then refuses the password: CI once failed that way.
    """
    return f"{prefix}-{uuid.uuid4().hex[:10]}-7Qa"
