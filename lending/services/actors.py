"""Who is acting: a staff member, a resident, the command line or a scheduled job."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Actor", "SYSTEM"]

STAFF_ROLES = ("admin", "desk", "partner")


@dataclass(frozen=True)
class Actor:
    name: str  # written to the audit trail: a username, "patron:<card>", "cli", "job:<name>"
    role: str  # admin, desk, resident, system
    patron_id: int | None = None
    staff_id: int | None = None
    # Partner staff: the partner organisation whose programs (and their service points) are
    # all this account may work with (services/programs/scope.py).
    partner_id: int | None = None
    # Set when the token behind this actor came from the per-process cache of checked tokens
    # (lending/services/access/tokens.py): the hot-path service checks it again inside its facts query.
    token_digest: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role in ("admin", "system")


SYSTEM = Actor("system", "system")
