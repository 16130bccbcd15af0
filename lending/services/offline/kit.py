"""The offline kit: what a desk caches to keep lending with no connection. Due dates are not
worked out again in the browser: the kit carries, for each kind and each of the coming days,
the due date the online rule gives a checkout made at this service point that day (its
closed days, a vehicle's stops), so the provisional due date the desk shows is the rule's."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from ...circulation.rules import checkout_due_at
from ...circulation.schedules import VEHICLE_TYPES
from ...schemas.offline import CardKit, KindKit, OfflineKitOut
from ...tables import Patron
from .._common.render import local_time, zone
from ..circulation.transactions import vehicle_loan_due_at
from ..library.branches import calendar_for
from ..library.policies import all_policies
from ..library.service_points import point_by_code

__all__ = ["KIT_DAYS", "offline_kit"]

KIT_DAYS = 7  # an outage longer than a week is a file export and an import


async def offline_kit(service_point: str, now: datetime) -> OfflineKitOut:
    point = await point_by_code(service_point, field="service_point")
    tz = zone(point.timezone)
    calendar = await calendar_for(point.branch_id, point.timezone, now)
    today = now.astimezone(tz).date()
    days = [today + timedelta(days=i) for i in range(KIT_DAYS)]
    kinds = []
    for policy in await all_policies():
        due = {}
        for day in days:
            # A checkout at noon that day (a vehicle: the stop it is at then, or its next).
            at = datetime.combine(day, time(12), tzinfo=tz)
            if point.type in VEHICLE_TYPES:
                when = await vehicle_loan_due_at(point, policy, calendar, at)
            else:
                when = checkout_due_at(policy, calendar, at)
            due[day.isoformat()] = local_time(when, point.timezone)
        kinds.append(
            KindKit(
                kind=policy.kind,
                loan_days=policy.loan_days,
                max_renewals=policy.max_renewals,
                renewal_days=policy.renewal_days,
                due_by_day=due,
            )
        )
    horizon = days[-1]
    rows = (
        await Patron.select(Patron.card_number, Patron.blocked, Patron.expires_on)
        .where(
            (Patron.blocked == True) | (Patron.expires_on <= horizon)  # noqa: E712
        )
        .order_by(Patron.card_number)
    )
    cards = [
        CardKit(
            card=r["card_number"],
            blocked=bool(r["blocked"]),
            expires_on=r["expires_on"].isoformat() if r["expires_on"] else None,
        )
        for r in rows
    ]
    return OfflineKitOut(
        generated_at=local_time(now, point.timezone),
        valid_until=local_time(now + timedelta(days=KIT_DAYS - 1), point.timezone),
        service_point=point.code,
        service_point_type=str(point.type),
        timezone=point.timezone,
        kinds=kinds,
        cards=cards,
    )
