"""Partner organisations: housing authorities, schools, community organisations."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from ...circulation import Conflict, FieldError, Invalid, NotFound
from ...circulation.codes import Code
from ...database import write_transaction
from ...schemas.programs import PartnerList, PartnerOut
from ...tables import Partner
from .._common import audit
from .._common.guards import duplicate_is
from ..actors import Actor

__all__ = ["PartnerRecord", "create_partner", "list_partners", "partner_by_code"]


class PartnerRecord(Struct, kw_only=True, frozen=True):
    id: int
    code: str
    name: str


async def partner_by_code(code: str, *, field: str | None = None) -> PartnerRecord:
    """The partner; NotFound (404), or Invalid (422) on `field` when it came in a body."""
    row = (
        await Partner.select(Partner.id, Partner.code, Partner.name)
        .where(Partner.code == code)
        .first()
    )
    if row is None:
        if field:
            raise Invalid(FieldError(field, f"no partner organisation with code {code!r}"))
        raise NotFound(f"No partner organisation with code {code!r}.", Code.PARTNER_NOT_FOUND)
    return PartnerRecord(id=row["id"], code=row["code"], name=row["name"])


async def create_partner(actor: Actor, now: datetime, *, code: str, name: str) -> PartnerOut:
    duplicate = Conflict(
        f"A partner organisation with code {code!r} already exists.", Code.DUPLICATE_PARTNER
    )
    async with write_transaction():
        if await Partner.exists().where(Partner.code == code):
            raise duplicate
        with duplicate_is(duplicate):
            await Partner.insert(Partner(code=code, name=name, created_at=now))
        await audit.record(actor, "partner_added", code, now, {"name": name})
    return PartnerOut(code=code, name=name)


async def list_partners(actor: Actor) -> PartnerList:
    """Every partner organisation (partner staff: their own)."""
    query = Partner.select(Partner.code, Partner.name).order_by(Partner.code)
    if actor.partner_id is not None:
        query = query.where(Partner.id == actor.partner_id)
    rows = await query
    items = [PartnerOut(code=r["code"], name=r["name"]) for r in rows]
    return PartnerList(items=items, total=len(items))
