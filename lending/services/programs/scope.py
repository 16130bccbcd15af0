"""What partner staff may reach: the programs of their partner organisation, and those
programs' service points. Everyone else (library staff, the system) reaches every program."""

from __future__ import annotations

from ...circulation import Forbidden
from ...tables import ProgramPartner, ProgramPoint
from ..actors import Actor

__all__ = ["partner_programs", "partner_points", "require_program", "require_point"]


async def partner_programs(actor: Actor) -> set[int] | None:
    """The ids of the programs the actor may work with; None: all of them."""
    if actor.partner_id is None:
        return None
    rows = await ProgramPartner.select(ProgramPartner.program).where(
        ProgramPartner.partner == actor.partner_id
    )
    return {r["program"] for r in rows}


async def partner_points(actor: Actor) -> set[int] | None:
    """The ids of the service points of the actor's programs; None: all of them."""
    programs = await partner_programs(actor)
    if programs is None:
        return None
    if not programs:
        return set()
    rows = await ProgramPoint.select(ProgramPoint.service_point).where(
        ProgramPoint.program.is_in(list(programs))
    )
    return {r["service_point"] for r in rows}


async def require_program(actor: Actor, program_id: int | None, what: str) -> None:
    """Forbidden (403) unless the actor may work with the program (`what`: the refused act)."""
    programs = await partner_programs(actor)
    if programs is not None and program_id not in programs:
        raise Forbidden(f"Partner staff may {what} only under their partner's programs.")


async def require_point(actor: Actor, point_id: int | None, what: str) -> None:
    points = await partner_points(actor)
    if points is not None and point_id not in points:
        raise Forbidden(f"Partner staff may {what} only at their partner's service points.")
