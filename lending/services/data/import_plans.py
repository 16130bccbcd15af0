"""What an import would change: the checks that need the database (branch codes, plans,
devices, numbers held by other lines) and the split of the file's rows into new, changed and
unchanged ones. Reads only; `imports.import_csv` writes the plan."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ...circulation import DeviceStatus, LineStatus
from ...schemas.imports import ChangeOut, ImportCounts
from .._common.bulk import fetch_by_keys, rows_source
from .._common.sql import execute, fetch
from ..actors import Actor
from .csv_read import RowError

__all__ = ["PLANNERS", "Plan"]

Rows = list[tuple[int, dict[str, Any]]]
# Each planner gets every row of the file with its good cells, and the lines that had a bad
# cell: those are checked against the database too (so every problem is reported in one pass)
# but never planned.
Broken = set[int] | frozenset[int]

# CSV column -> (database column, PostgreSQL type)
DEVICE_FIELDS = {
    "barcode": ("barcode", "text"),
    "kind": ("kind", "text"),
    "model": ("model", "text"),
    "serial_number": ("serial_number", "text"),
    "branch": ("branch", "bigint"),
    "imei": ("imei", "text"),
    "replacement_cost": ("replacement_cost_cents", "bigint"),
    "notes": ("notes", "text"),
    "wifi_name": ("wifi_name", "text"),
    "wifi_password": ("wifi_password", "text"),
    "acquired_on": ("acquired_on", "date"),
}
LINE_FIELDS = {
    "iccid": ("iccid", "text"),
    "phone_number": ("msisdn", "text"),
    "carrier": ("carrier", "text"),
    "plan": ("plan", "bigint"),
    "status": ("status", "text"),
    "device": ("device", "bigint"),
}
PATRON_FIELDS = {
    "card_number": ("card_number", "text"),
    "name": ("name", "text"),
    "email": ("email", "text"),
    "phone": ("phone", "text"),
    "language": ("language", "text"),
    "household": ("household", "text"),
    "branch": ("branch", "bigint"),
    "expires_on": ("expires_on", "date"),
    "blocked": ("blocked", "boolean"),
    "block_reason": ("block_reason", "text"),
    "pin": ("pin_hash", "text"),
}


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class Plan:
    name: str  # devices, lines, patrons
    table: str
    fields: dict[str, tuple[str, str]]
    columns: list[str]  # database columns the file gives (key first)
    defaults: dict[str, tuple[Any, str]]  # insert-only columns: value ("now" = the time), type
    stamp: bool  # updates set updated_at
    creates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any], list[str]]] = field(default_factory=list)
    unchanged: int = 0
    moves: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    keep_when_null: tuple[str, ...] = ()

    EVENT_COLUMNS = (
        ("at", "timestamptz"),
        ("actor", "text"),
        ("action", "text"),
        ("subject", "text"),
        ("details", "json"),
        ("patron_card", "text"),
    )

    @property
    def key(self) -> str:
        return self.columns[0]

    def _type(self, column: str) -> str:
        return next(t for c, t in self.fields.values() if c == column)

    def add(self, line: int, new: dict[str, Any], old: dict[str, Any] | None) -> None:
        if old is None:
            self.creates.append((line, new))
            return
        changed = [
            c for c in self.columns[1:] if c in old and c in new and _norm(new[c]) != _norm(old[c])
        ]
        if "pin_hash" in new and new["pin_hash"] is not None:
            changed.append("pin_hash")
        if changed:
            self.updates.append((line, new, changed))
        else:
            self.unchanged += 1

    def set_pins(self, pins: dict[int, str]) -> None:
        for line, new in self.creates:
            new["pin_hash"] = pins.get(line)
        for line, new, _ in self.updates:
            new["pin_hash"] = pins.get(line)

    def insert_columns(self) -> list[tuple[str, str]]:
        given = [(c, self._type(c)) for c in self.columns]
        return given + [(c, t) for c, (_, t) in self.defaults.items() if c not in self.columns]

    def insert_rows(self, now: datetime) -> list[tuple[Any, ...]]:
        extra = [
            (c, now if v == "now" else v)
            for c, (v, _) in self.defaults.items()
            if c not in self.columns
        ]
        return [
            tuple(new.get(c, self.defaults.get(c, (None,))[0]) for c in self.columns)
            + tuple(v for _, v in extra)
            for _, new in self.creates
        ]

    def update_rows(
        self, now: datetime
    ) -> tuple[tuple[str, str], list[tuple[str, str]], list[tuple[Any, ...]]]:
        columns = [(c, self._type(c)) for c in self.columns[1:]]
        if self.stamp:
            columns.append(("updated_at", "timestamptz"))
        rows = [
            (new[self.key], *(new.get(c) for c, _ in columns if c != "updated_at"))
            + ((now,) if self.stamp else ())
            for _, new, _ in self.updates
        ]
        return (self.key, "text"), columns, rows

    async def after_write(self, actor: Actor, now: datetime) -> None:
        if not self.moves:
            return
        columns = [
            ("iccid", "text"),
            ("from_device", "bigint"),
            ("to_device", "bigint"),
            ("at", "timestamptz"),
            ("actor", "text"),
        ]
        source, params = rows_source(columns, [(*m, now, actor.name) for m in self.moves])
        await execute(
            "INSERT INTO line_move (line, from_device, to_device, at, actor) "
            f"SELECT s.id, v.from_device, v.to_device, v.at, v.actor FROM ({source}) AS v "
            "JOIN service_line s ON s.iccid = v.iccid",
            *params,
        )

    def events(self, actor: Actor, now: datetime) -> list[tuple[Any, ...]]:
        action = f"{self.name.rstrip('s')}_imported"
        card = self.name == "patrons"
        out = []
        for _, new in self.creates:
            details = json.dumps({"change": "created"})
            out.append(
                (now, actor.name, action, new[self.key], details, new[self.key] if card else None)
            )
        for _, new, changed in self.updates:
            details = json.dumps({"change": "updated", "columns": self._csv_names(changed)})
            out.append(
                (now, actor.name, action, new[self.key], details, new[self.key] if card else None)
            )
        return out

    def _csv_names(self, columns: list[str]) -> list[str]:
        names = {db: csv for csv, (db, _) in self.fields.items()}
        return [names.get(c, c) for c in columns]

    def counts(self) -> ImportCounts:
        return ImportCounts(
            created=len(self.creates), updated=len(self.updates), unchanged=self.unchanged
        )

    def changes(self) -> list[ChangeOut]:
        out = [
            ChangeOut(line=line, key=new[self.key], change="created", columns=[])
            for line, new in self.creates
        ]
        out += [
            ChangeOut(
                line=line,
                key=new[self.key],
                change="updated",
                columns=self._csv_names(changed),
            )
            for line, new, changed in self.updates
        ]
        return sorted(out, key=lambda c: c.line)


def _plan(name: str, table: str, fields: dict, rows: Rows, broken: Broken, **kw: Any) -> Plan:
    complete = [values for line, values in rows if line not in broken]
    given = list(complete[0]) if complete else []
    key = next(iter(fields))
    columns = [fields[key][0]] + [fields[c][0] for c in given if c != key]
    return Plan(name, table, fields, columns, **kw)


def _db_values(fields: dict, values: dict[str, Any]) -> dict[str, Any]:
    return {fields[c][0]: v for c, v in values.items()}


async def _branches() -> dict[str, int]:
    rows = await fetch("SELECT id, code FROM branch")
    found = {r["code"]: r["id"] for r in rows}
    found.update({r["code"].lower(): r["id"] for r in rows if r["code"].lower() not in found})
    return found


def _branch_id(code: str | None, branches: dict[str, int]) -> int | None:
    if not code:
        return None
    return branches.get(code, branches.get(code.lower()))


async def plan_devices(
    rows: Rows, errors: list[RowError], now: datetime, broken: Broken = frozenset()
) -> Plan:
    plan = _plan(
        "devices",
        "device",
        DEVICE_FIELDS,
        rows,
        broken,
        defaults={
            "imei": (None, "text"),
            "replacement_cost_cents": (0, "bigint"),
            "notes": ("", "text"),
            "wifi_name": (None, "text"),
            "wifi_password": (None, "text"),
            "acquired_on": (None, "date"),
            "status": (DeviceStatus.AVAILABLE.value, "text"),
            "needs_label": (True, "boolean"),
            "created_at": ("now", "timestamptz"),
            "updated_at": ("now", "timestamptz"),
        },
        stamp=True,
    )
    branches = await _branches()
    existing = {
        r["barcode"]: r
        for r in await fetch_by_keys(
            "SELECT id, barcode, kind, model, serial_number, imei, branch, "
            "replacement_cost_cents, notes, wifi_name, wifi_password, acquired_on FROM device",
            "barcode",
            [v["barcode"] for _, v in rows if "barcode" in v],
        )
    }
    for line, values in rows:
        new = _db_values(DEVICE_FIELDS, values)
        if "branch" in values:
            branch = _branch_id(values["branch"], branches)
            if branch is None:
                errors.append(RowError(line, "branch", f"no branch with code {values['branch']!r}"))
                continue
            new["branch"] = branch
        if line not in broken:
            plan.add(line, new, existing.get(values["barcode"]))
    return plan


async def plan_patrons(
    rows: Rows, errors: list[RowError], now: datetime, broken: Broken = frozenset()
) -> Plan:
    plan = _plan(
        "patrons",
        "patron",
        PATRON_FIELDS,
        rows,
        broken,
        defaults={
            "email": (None, "text"),
            "phone": (None, "text"),
            "language": ("en", "text"),
            "household": (None, "text"),
            "branch": (None, "bigint"),
            "expires_on": (None, "date"),
            "blocked": (False, "boolean"),
            "block_reason": (None, "text"),
            "pin_hash": (None, "text"),
            "created_at": ("now", "timestamptz"),
        },
        stamp=False,
        keep_when_null=("pin_hash",),  # an empty PIN cell keeps the PIN the patron has
    )
    reason_given = "block_reason" in plan.columns
    if "blocked" in plan.columns and not reason_given:
        plan.columns.append("block_reason")
    branches = await _branches()
    existing = {
        r["card_number"]: r
        for r in await fetch_by_keys(
            "SELECT id, card_number, name, email, phone, language, household, branch, "
            "expires_on, blocked, block_reason FROM patron",
            "card_number",
            [v["card_number"] for _, v in rows if "card_number" in v],
        )
    }
    for line, values in rows:
        new = _db_values(PATRON_FIELDS, values)
        new.pop("pin_hash", None)  # hashed later, only when the import is for real
        if values.get("pin"):
            new["pin_hash"] = "(set)"
        if "branch" in values:
            new["branch"] = _branch_id(values["branch"], branches)
            if values["branch"] and new["branch"] is None:
                errors.append(RowError(line, "branch", f"no branch with code {values['branch']!r}"))
                continue
        if line in broken:
            continue
        old = existing.get(values["card_number"])
        if values.get("blocked") is False:
            new["block_reason"] = None  # unblocking clears the reason, as in the API
        elif "blocked" in values and not reason_given:
            new["block_reason"] = old["block_reason"] if old else None
        plan.add(line, new, old)
    return plan


async def plan_lines(
    rows: Rows, errors: list[RowError], now: datetime, broken: Broken = frozenset()
) -> Plan:
    plan = _plan(
        "lines",
        "service_line",
        LINE_FIELDS,
        rows,
        broken,
        defaults={
            "plan": (None, "bigint"),
            "status": (LineStatus.ACTIVE.value, "text"),
            "device": (None, "bigint"),
            "created_at": ("now", "timestamptz"),
            "updated_at": ("now", "timestamptz"),
        },
        stamp=True,
    )
    plans = await fetch("SELECT id, carrier, name FROM data_plan")
    barcodes = [v["device"] for _, v in rows if v.get("device")]
    devices = {
        r["barcode"]: r["id"]
        for r in await fetch_by_keys("SELECT id, barcode FROM device", "barcode", barcodes)
    }
    holders = {
        r["barcode"]: r["iccid"]
        for r in await fetch_by_keys(
            "SELECT s.iccid, d.barcode FROM service_line s JOIN device d ON d.id = s.device",
            "d.barcode",
            barcodes,
        )
    }
    numbers = {
        r["msisdn"]: r["iccid"]
        for r in await fetch_by_keys(
            "SELECT iccid, msisdn FROM service_line",
            "msisdn",
            [v["phone_number"] for _, v in rows if "phone_number" in v],
        )
    }
    existing = {
        r["iccid"]: r
        for r in await fetch_by_keys(
            "SELECT id, iccid, msisdn, carrier, plan, status, device FROM service_line",
            "iccid",
            [v["iccid"] for _, v in rows if "iccid" in v],
        )
    }
    for line, values in rows:
        iccid = values.get("iccid")
        new = _db_values(LINE_FIELDS, values)
        bad = line in broken
        owner = numbers.get(values.get("phone_number"))
        if owner is not None and owner != iccid:
            errors.append(RowError(line, "phone_number", f"the number belongs to line {owner}"))
            bad = True
        if "plan" in values:
            found = _plan_id(values["plan"], values.get("carrier", ""), plans)
            if isinstance(found, str):
                errors.append(RowError(line, "plan", found))
                bad = True
            new["plan"] = found
        if "device" in values:
            barcode = values["device"]
            new["device"] = devices.get(barcode) if barcode else None
            if barcode and new["device"] is None:
                errors.append(RowError(line, "device", f"no device with barcode {barcode!r}"))
                bad = True
            elif barcode and holders.get(barcode, iccid) != iccid:
                errors.append(
                    RowError(
                        line,
                        "device",
                        f"device {barcode} already holds line "
                        f"{holders[barcode]}; move that line first",
                    )
                )
                bad = True
        if bad:
            continue
        old = existing.get(iccid)
        plan.add(line, new, old)
        before = old["device"] if old else None
        if "device" in new and new["device"] != before:
            plan.moves.append((iccid, before, new["device"]))
    return plan


def _plan_id(cell: str | None, carrier: str, plans: list[dict[str, Any]]) -> int | None | str:
    """The data plan a cell names (its id, or its name, preferring the row's carrier), or the
    reason it names none."""
    if not cell:
        return None
    if cell.isdigit():
        if any(p["id"] == int(cell) for p in plans):
            return int(cell)
        return f"no data plan with id {cell}"
    named = [p for p in plans if p["name"].lower() == cell.lower()]
    mine = [p for p in named if p["carrier"].lower() == carrier.lower()]
    if len(mine) == 1 or (not mine and len(named) == 1):
        return (mine or named)[0]["id"]
    if not named:
        return f"no data plan named {cell!r}"
    return f"several data plans are named {cell!r}; give the plan's id"


PLANNERS: dict[str, Callable[[Rows, list[RowError], datetime, Broken], Awaitable[Plan]]] = {
    "devices": plan_devices,
    "lines": plan_lines,
    "patrons": plan_patrons,
}
