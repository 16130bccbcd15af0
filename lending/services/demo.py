"""Demo data: three branches, the three policies, ~60 devices, ~40 patrons, a few loans and
holds, and demo staff accounts. Written through the services, so it is all audited."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from ..circulation import luhn_check_digit
from ..database import write_transaction
from ..settings import Settings
from ..tables import Branch, Device, Patron, StaffUser
from . import audit, branches, circulation, devices, holds, policies, staff
from .actors import Actor
from .passwords import hash_secret, verify_secret

__all__ = ["DEMO_LOGINS", "database_is_empty", "has_demo_logins", "seed_demo"]

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
    return row is not None and verify_secret(row["password_hash"], DEMO_ADMIN[1])


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
        values = {k: v for k, v in policies.policy_dict(policy).items() if k != "kind"}
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

    pin_hash = hash_secret(DEMO_PIN)  # one slow hash, shared by the demo cards
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
            "status": "available"
        }:
            await circulation.check_out(DEMO_ACTOR, now, card_number=cards[20 + j], barcode=barcode)
            loans += 1
    for j in range(3):
        await holds.place_hold(
            DEMO_ACTOR, now, card_number=cards[30 + j], kind="laptop", branch_code="MAIN"
        )
    return (
        f"Seeded {len(BRANCHES)} branches, 3 policies, {n} devices, {len(cards)} patrons, "
        f"{loans} loans and 3 holds."
    )
