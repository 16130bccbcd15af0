"""Demo data: three branches, the three policies, ~60 devices, ~40 patrons, a few loans and
holds, demo staff accounts, data plans and a line in each hotspot (one suspended for an overdue
loan), and notices in the local outbox (a hold ready, an overdue hotspot). Written through the
services and jobs, so it is all audited and the runs are recorded."""

from __future__ import annotations

import random
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta

from ...circulation import CarrierActionStatus, DeviceStatus, luhn_check_digit
from ...database import write_transaction
from ...settings import Settings
from ...tables import Branch, Device, Patron, StaffUser
from .._common import audit
from ..access.passwords import hash_secret_async, verify_secret_async
from ..actors import Actor
from ..circulation import holds
from ..circulation import transactions as circulation
from ..inventory import devices
from ..library import branches, policies
from ..lines import carrier_actions as carrier
from ..lines import service_lines as lines
from ..people import staff

__all__ = ["DEMO_LOGINS", "DEMO_OUTBOX", "database_is_empty", "has_demo_logins", "seed_demo"]

DEMO_OUTBOX = "outbox"  # the local outbox folder when LENDING_OUTBOX_DIR is not set

DEMO_ACTOR = Actor("cli:demo", "system")
DEMO_PIN = "1234"
DEMO_ADMIN = ("admin", "demo-admin-pass")
DEMO_DESK = ("desk", "demo-desk-pass")


def library_code(prefix: str, n: int) -> str:
    """A 14-digit library barcode with its mod-10 check digit."""
    body = f"{prefix}{n:0{13 - len(prefix)}d}"
    return body + str(luhn_check_digit(body))


DEMO_LOGINS = [
    f"staff {DEMO_ADMIN[0]} / password {DEMO_ADMIN[1]}  (admin: everything)",
    f"staff {DEMO_DESK[0]}  / password {DEMO_DESK[1]}   (circulation desk)",
    f"resident card {library_code('2', 4)} / PIN {DEMO_PIN}  (English, has a hotspot on loan)",
    f"resident card {library_code('2', 2)} / PIN {DEMO_PIN}  (Spanish, has a hotspot on loan)",
]
BRANCHES = [
    ("MAIN", "Main Library"),
    ("EAST", "Eastside Branch"),
    ("WEST", "Westgate Branch"),
]
MODELS = {
    "hotspot": ("Franklin T10", "Inseego MiFi 8000", "Orbic Speed"),
    "laptop": ("Dell Latitude 3140", "Lenovo 100e Chromebook", "HP Chromebook 14"),
    "tablet": ("Samsung Galaxy Tab A8", "Apple iPad 9th gen"),
}
COSTS = {"hotspot": 120.0, "laptop": 350.0, "tablet": 250.0}
FIRST = ["Maria", "James", "Aisha", "Luis", "Mei", "Olga", "DeShawn", "Rosa", "Tran", "Fatima"]
LAST = ["Garcia", "Johnson", "Nguyen", "Lopez", "Smith", "Hernandez", "Brown", "Ali"]


PLANS = [
    ("Mobile Beacon", "Unlimited library plan", 10.0, None),
    ("T-Mobile", "Education 50 GB", 15.0, 50),
]


def iccid_for(n: int) -> str:
    body = f"8901260{n:012d}"
    return body + str(luhn_check_digit(body))


def imei_for(n: int) -> str:
    body = f"35{n:012d}"
    return body + str(luhn_check_digit(body))


async def database_is_empty() -> bool:
    for table in (Branch, Device, Patron, StaffUser):
        if await table.count() > 0:
            return False
    return True


async def has_demo_logins() -> bool:
    """True when the demo admin account exists with its demo password (so printing the demo
    logins tells the truth)."""
    row = (
        await StaffUser.select(StaffUser.password_hash)
        .where(StaffUser.username == DEMO_ADMIN[0])
        .first()
    )
    return row is not None and await verify_secret_async(row["password_hash"], DEMO_ADMIN[1])


async def seed_demo(now: datetime, settings: Settings) -> str:
    rng = random.Random(2026)
    await staff.add_staff(
        DEMO_ACTOR, now, username=DEMO_ADMIN[0], role="admin", password=DEMO_ADMIN[1]
    )
    await staff.add_staff(
        DEMO_ACTOR, now, username=DEMO_DESK[0], role="desk", password=DEMO_DESK[1]
    )
    for code, name in BRANCHES:
        await branches.create_branch(
            DEMO_ACTOR, now, code=code, name=name, timezone=settings.timezone
        )
    holiday = (now + timedelta(days=30)).date()
    await branches.add_closure(DEMO_ACTOR, now, code="MAIN", day=holiday, reason="Staff training")
    for kind, policy in policies.default_policies().items():
        values = {k: v for k, v in asdict(policy).items() if k != "kind"}
        await policies.put_policy(DEMO_ACTOR, now, kind, values)

    barcodes: dict[str, list[str]] = {"hotspot": [], "laptop": [], "tablet": []}
    plan = [("hotspot", 30), ("laptop", 18), ("tablet", 12)]
    n = 0
    for kind, count in plan:
        for i in range(count):
            n += 1
            barcode = library_code("3", n)
            branch = BRANCHES[i % len(BRANCHES)][0]
            await devices.create_device(
                DEMO_ACTOR,
                now,
                {
                    "barcode": barcode,
                    "kind": kind,
                    "model": rng.choice(MODELS[kind]),
                    "serial_number": f"SN{kind[:2].upper()}{n:05d}",
                    "imei": imei_for(n) if kind == "hotspot" else None,
                    "branch": branch,
                    "replacement_cost": COSTS[kind],
                    "notes": "",
                },
            )
            barcodes[kind].append(barcode)

    pin_hash = await hash_secret_async(DEMO_PIN)  # one slow hash, shared by the demo cards
    cards: list[str] = []
    async with write_transaction():
        branch_ids = {r["code"]: r["id"] for r in await Branch.select(Branch.id, Branch.code)}
        for i in range(40):
            card = library_code("2", i + 1)
            household = f"HH-{(i // 2) + 1:03d}" if i < 12 else None
            await Patron.insert(
                Patron(
                    card_number=card,
                    name=f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}",
                    email=f"patron{i + 1}@example.org" if i % 3 else None,
                    phone=f"+1555010{i:04d}"[:12] if i % 2 == 0 else None,
                    language="es" if i % 4 == 1 else "en",
                    household=household,
                    branch=branch_ids[BRANCHES[i % 3][0]],
                    expires_on=date(now.year + 2, 6, 30) if i != 39 else date(now.year - 1, 1, 31),
                    blocked=i == 38,
                    block_reason="Unreturned laptop from 2024" if i == 38 else None,
                    pin_hash=pin_hash,
                    created_at=now,
                )
            )
            await audit.record(DEMO_ACTOR, "patron_created", card, now, patron_card=card)
            cards.append(card)

    loans = 0
    for i in range(8):
        kind = "hotspot" if i < 5 else "laptop"
        await circulation.check_out(
            DEMO_ACTOR,
            now - timedelta(days=3 * i),
            card_number=cards[i * 2 + 1],
            barcode=barcodes[kind][i],
        )
        loans += 1
    # Everyone at MAIN borrowed the laptops there: three residents wait for the next one.
    main_laptops = [b for j, b in enumerate(barcodes["laptop"]) if j % 3 == 0]
    for j, barcode in enumerate(main_laptops):
        if await Device.select(Device.status).where(Device.barcode == barcode).first() == {
            "status": DeviceStatus.AVAILABLE
        }:
            await circulation.check_out(DEMO_ACTOR, now, card_number=cards[20 + j], barcode=barcode)
            loans += 1
    for j in range(3):
        await holds.place_hold(
            DEMO_ACTOR, now, card_number=cards[30 + j], kind="laptop", branch_code="MAIN"
        )
    # A hotspot five weeks out: overdue long enough for its line to be suspended.
    late = barcodes["hotspot"][len(barcodes["hotspot"]) - 1]
    await circulation.check_out(
        DEMO_ACTOR, now - timedelta(days=35), card_number=cards[10], barcode=late
    )
    loans += 1
    line_count = await _plans_and_lines(now, settings, barcodes["hotspot"])
    # A laptop comes back at MAIN: the first patron waiting gets a hold-ready notice.
    await circulation.check_in(DEMO_ACTOR, now, barcode=main_laptops[0])
    notices = await _notices(now, settings)
    await _class_booking(now, settings)
    return (
        f"Seeded {len(BRANCHES)} branches, 3 policies, {n} devices, {len(cards)} patrons, "
        f"{loans} loans, 3 holds, a laptop class booking, {len(PLANS)} data plans, "
        f"{line_count} lines and {notices} notices in the local outbox."
    )


async def _class_booking(now: datetime, settings: Settings) -> None:
    """Three laptops at Eastside booked for a digital-skills class three days from now."""
    from zoneinfo import ZoneInfo

    from ..reservations.booking import create_reservation

    day = (now.astimezone(ZoneInfo(settings.timezone)) + timedelta(days=3)).date()
    starts = datetime.combine(day, datetime.min.time(), ZoneInfo(settings.timezone))
    await create_reservation(
        DEMO_ACTOR,
        now,
        service_point="EAST",
        kind="laptop",
        quantity=3,
        starts_at=starts + timedelta(hours=10),
        ends_at=starts + timedelta(hours=12),
        event="Digital skills class (ConnectHome)",
        responsible="Ms. Rivera, digital navigator",
    )


async def _plans_and_lines(now: datetime, settings: Settings, hotspots: list[str]) -> int:
    """Two plans, a line in every hotspot but two (those lines are spares), and the
    overdue hotspot's line suspended through the carrier task a coordinator would do."""
    from ...jobs import run_job

    plan_ids = []
    for carrier_name, name, cost, cap in PLANS:
        plan = await lines.create_plan(
            DEMO_ACTOR,
            now,
            {"carrier": carrier_name, "name": name, "monthly_cost": cost, "data_cap_gb": cap},
        )
        plan_ids.append(plan.id)
    count = 0
    for i, hotspot in enumerate(hotspots):
        carrier_name = PLANS[i % len(PLANS)][0]
        # Two hotspots without a line ("Install a line" shows), their lines kept as spares.
        barcode = None if hotspot in hotspots[-3:-1] else hotspot
        await lines.create_line(
            DEMO_ACTOR,
            now,
            {
                "iccid": iccid_for(i + 1),
                "phone_number": f"+1555020{i + 1:04d}",
                "carrier": carrier_name,
                "plan": plan_ids[i % len(plan_ids)],
                "device": barcode,
            },
            settings.timezone,
        )
        count += 1
    for job in ("suspend_lines", "carrier_actions"):
        await run_job(job, now, settings, trigger="demo")
    tasks = await carrier.list_tasks(CarrierActionStatus.TASK, 10, 0, timezone=settings.timezone)
    for task in tasks.items[:1]:
        await carrier.complete_task(task.id, DEMO_ACTOR, now, timezone=settings.timezone)
    return count


async def _notices(now: datetime, settings: Settings) -> int:
    """Queue the overdue notices and deliver: with no email/SMS set up they go to the local
    outbox (LENDING_OUTBOX_DIR, else ./outbox), where staff can read them."""
    from ...jobs import run_job

    outbox = replace(settings, outbox_dir=settings.outbox_dir or DEMO_OUTBOX)
    await run_job("overdue", now, outbox, trigger="demo")
    reply = await run_job("deliver_notices", now, outbox, trigger="demo")
    return int(reply.summary.get("outbox", 0))
