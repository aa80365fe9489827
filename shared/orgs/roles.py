"""The roles a person can hold on an organisation's roster (the Cognito groups too)."""

from __future__ import annotations

from typing import Final

ROLES: Final = ("member", "peer_supporter", "counsellor", "org_admin")
# Who may be named on the duty rota (primary, backup, duty officer).
DUTY_ROLES: Final = ("counsellor", "org_admin")
