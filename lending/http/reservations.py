"""Reservations: devices booked for an event at a service point; the pull list, availability
and the calendar; handing devices out to the event; a kind's reservation rules."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, get, post, put
from litestar.params import FromQuery, Parameter

from ..circulation import KINDS
from ..circulation.permissions import Action
from ..circulation.reservations import ReservationStatus
from ..schemas.reservations import (
    AvailabilityOut,
    BarcodesIn,
    CancelIn,
    PickupReply,
    PullListOut,
    ReservationIn,
    ReservationList,
    ReservationOut,
    ReservationRuleIn,
    ReservationRuleOut,
    SetAsideIn,
)
from ..services.reservations import booking, pickup
from .common import ActorDep, Filter, Id, JSONBody, Limit, Now, Offset, code, errors
from .security import requires

__all__ = ["ReservationController", "ReservationRuleController"]

KindParam = Annotated[Literal[KINDS], Parameter(description="device kind")]  # type: ignore[valid-type]
StatusFilter = Annotated[
    Literal[tuple(s.value for s in ReservationStatus)] | None,  # type: ignore[misc]
    Parameter(description="reservation status"),
]
Days = Annotated[int, Parameter(ge=1, le=93, description="how many days")]


class ReservationController(Controller):
    path = "/api/reservations"
    tags = ["reservations"]

    @post(
        "/",
        guards=[requires(Action.RESERVATION_MAKE)],
        responses=errors(400, 401, 403, 409, 422),
    )
    async def create(
        self, data: JSONBody[ReservationIn], actor: ActorDep, now: Now
    ) -> ReservationOut:
        """Book a count of a kind, or named devices (a cart and its kit), for a time window at a
        service point. Staff bookings are `confirmed`; partner staff's are `requested` (their
        devices are held until staff confirm). Refused (409) when it starts sooner than the
        kind's lead time, lasts longer than its maximum, or the pool cannot cover it at some
        moment of the window and its buffer (`reservation_unavailable`, with `facts.free`)."""
        return await booking.create_reservation(
            actor,
            now,
            service_point=data.service_point,
            kind=data.kind,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            event=data.event,
            quantity=data.quantity,
            devices=[code(d, "devices") for d in data.devices or []],
            responsible=data.responsible,
            patron=code(data.patron, "patron") if data.patron else None,
            notes=data.notes,
        )

    @get("/", guards=[requires(Action.RESERVATION_READ)], responses=errors(401, 403, 422))
    async def list_(
        self,
        actor: ActorDep,
        service_point: Filter = None,
        kind: Filter = None,
        status: StatusFilter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ReservationList:
        """Reservations, earliest start first (partner staff: their partner's)."""
        return await booking.list_reservations(
            actor, service_point=service_point, kind=kind, status=status, limit=limit, offset=offset
        )

    @get("/pull-list", guards=[requires(Action.RESERVATION_READ)], responses=errors(401, 403, 422))
    async def pull_list(
        self, actor: ActorDep, now: Now, days: Days = 3, service_point: Filter = None
    ) -> PullListOut:
        """What to set aside over the next `days` days: the reservations starting by then, each
        unit with its device, shelf and status, and what no device could be found for."""
        return await booking.pull_list(actor, now, days=days, service_point=service_point)

    @get(
        "/availability",
        guards=[requires(Action.RESERVATION_READ)],
        responses=errors(401, 403, 422),
    )
    async def availability(
        self,
        actor: ActorDep,
        now: Now,
        kind: KindParam,
        start: FromQuery[date],
        days: Days = 31,
        service_point: Filter = None,
        branch: Filter = None,
    ) -> AvailabilityOut:
        """How many devices of the kind are free at the service point's branch (or `branch`)
        from `start` for `days` local days: `steps` (free from each moment), `days` (the
        fewest free each day, the reservations holding devices that day) and the reservations:
        the calendar view."""
        return await booking.availability(
            actor,
            kind=kind,
            first_day=start,
            days=days,
            service_point=service_point,
            branch=branch,
            now=now,
        )

    @get(
        "/{reservation_id:int}",
        guards=[requires(Action.RESERVATION_READ)],
        responses=errors(401, 403, 404, 422),
    )
    async def get_(self, reservation_id: Id, actor: ActorDep) -> ReservationOut:
        return await booking.get_reservation(actor, reservation_id)

    @post(
        "/{reservation_id:int}/confirm",
        status_code=200,
        guards=[requires(Action.RESERVATION_MANAGE)],
        responses=errors(401, 403, 404, 409, 422),
    )
    async def confirm(self, reservation_id: Id, actor: ActorDep, now: Now) -> ReservationOut:
        """Confirm a partner's request."""
        return await booking.confirm_reservation(actor, now, reservation_id)

    @post(
        "/{reservation_id:int}/cancel",
        status_code=200,
        guards=[requires(Action.RESERVATION_MAKE)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def cancel(
        self, reservation_id: Id, data: JSONBody[CancelIn], actor: ActorDep, now: Now
    ) -> ReservationOut:
        """Cancel a reservation not yet picked up (staff also decline a request this way); its
        set-aside devices go to their next place."""
        return await booking.cancel_reservation(actor, now, reservation_id, data.reason)

    @post(
        "/{reservation_id:int}/set-aside",
        status_code=200,
        guards=[requires(Action.RESERVATION_MANAGE)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def set_aside(
        self, reservation_id: Id, data: JSONBody[SetAsideIn], actor: ActorDep, now: Now
    ) -> ReservationOut:
        """Set devices aside now: those scanned (`devices`), then free ones of the kind."""
        barcodes = [code(d, "devices") for d in data.devices]
        return await booking.set_aside_now(actor, now, reservation_id, barcodes)

    @post(
        "/{reservation_id:int}/pickup",
        status_code=200,
        guards=[requires(Action.RESERVATION_MANAGE)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def pick_up(
        self, reservation_id: Id, data: JSONBody[BarcodesIn], actor: ActorDep, now: Now
    ) -> PickupReply:
        """Hand the scanned devices out to the event: one loan each, due at the window's end
        (all or none). Any free device of the kind may stand in for one set aside."""
        barcodes = [code(d, "devices") for d in data.devices]
        return await pickup.pick_up(actor, now, reservation_id, barcodes)


class ReservationRuleController(Controller):
    path = "/api/policies"
    tags = ["policies"]

    @get(
        "/{kind:str}/reservations",
        guards=[requires(Action.POLICY_READ)],
        responses=errors(401, 403, 422),
    )
    async def get_rule(self, kind: KindParam) -> ReservationRuleOut:
        """The kind's reservation rules: lead time, maximum length, buffer after each return,
        set-aside time before the start, and the no-show wait after it."""
        return await booking.get_rule(kind)

    @put(
        "/{kind:str}/reservations",
        guards=[requires(Action.POLICY_EDIT)],
        responses=errors(400, 401, 403, 422),
    )
    async def put_rule(
        self, kind: KindParam, data: JSONBody[ReservationRuleIn], actor: ActorDep, now: Now
    ) -> ReservationRuleOut:
        """Change some of the kind's reservation rules (reservations already made keep theirs)."""
        return await booking.put_rule(actor, now, kind, data.given())
