"""Who sees and who changes which directory entries."""

from __future__ import annotations

from shared.errors import Forbidden
from shared.identity import Identity
from shared.orgs.access import require_role
from shared.resources.repository import PUBLIC, org_scope


def visible_scopes(identity: Identity) -> list[str]:
    """Public entries and the caller's own organisation's, never another's."""
    return [PUBLIC, org_scope(identity.org_id)] if identity.org_id else [PUBLIC]


def require_org_admin(identity: Identity) -> str:
    """The organisation an org admin acts for; 403 for everyone else.

    The token's group is the first gate, the organisation's roster the authority: an
    admin removed from the roster loses these routes within a minute (DESIGN.md §4).
    """
    if "org_admin" not in identity.roles or not identity.org_id:
        raise Forbidden("Only an organisation's admins can manage its resources.")
    require_role(identity, identity.org_id, ("org_admin",))
    return identity.org_id
