"""Partner organisations and programs: terms, stock, enrolments, agreements, training and the
program reports. Partner staff reach only their partner's programs (a program of another
partner is not found)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromQuery, Parameter

from ..circulation.permissions import Action
from ..reports import render_svg
from ..reports.charts import Chart, Series
from ..schemas.programs import (
    AgreementIn,
    AttendanceOut,
    AttendeeIn,
    EnrolmentIn,
    EnrolmentList,
    EnrolmentOut,
    EnrolmentPatch,
    InventoryExport,
    Month,
    PartnerIn,
    PartnerList,
    PartnerOut,
    ProgramIn,
    ProgramList,
    ProgramOut,
    ProgramPatch,
    ProgramReport,
    SessionIn,
    SessionList,
    SessionOut,
    StockIn,
    StockOut,
)
from ..services.data.csv_read import safe_cell
from ..services.programs import catalog, enrolments, partners, reports, training
from .common import ActorDep, Id, JSONBody, Limit, Now, Offset, SettingsDep, code, errors
from .security import requires

__all__ = ["PartnerController", "ProgramController"]

ProgramCode = Annotated[str, Parameter(max_length=64)]
Card = Annotated[str, Parameter(max_length=80)]
Format = Literal["json", "csv", "svg"]


class PartnerController(Controller):
    path = "/api/partners"
    tags = ["programs"]

    @post("/", guards=[requires(Action.PROGRAM_EDIT)], responses=errors(400, 401, 403, 409, 422))
    async def create(self, data: JSONBody[PartnerIn], actor: ActorDep, now: Now) -> PartnerOut:
        """A partner organisation: a housing authority, a school, a community organisation."""
        return await partners.create_partner(actor, now, code=data.code, name=data.name)

    @get("/", guards=[requires(Action.PROGRAM_READ)], responses=errors(401, 403))
    async def list_(self, actor: ActorDep) -> PartnerList:
        return await partners.list_partners(actor)


def _csv(rows: list[Any], filename: str) -> Response[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    if rows:
        columns = list(rows[0].__struct_fields__)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(getattr(row, c)) for c in columns])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _chart(report: ProgramReport) -> str:
    totals = [r for r in report.rows if r.service_point is None]

    def number(value: int | str) -> float:
        return float(value) if isinstance(value, int) else 0.0

    return render_svg(
        Chart(
            "bar",
            f"Programs, {report.month}",
            "Loans made and households served per program"
            + (" (counts under five are not shown)" if report.suppressed else ""),
            [r.program for r in totals],
            [
                Series("Loans", [number(r.loans) for r in totals]),
                Series("Households", [number(r.households) for r in totals]),
            ],
            x_label="Program",
            y_label="Count",
            chart_id="program-report",
        )
    )


def _report_reply(report: ProgramReport, format: str, name: str) -> Response[Any]:  # noqa: A002
    if format == "csv":
        return _csv(report.rows, f"{name}-{report.month}.csv")
    if format == "svg":
        return Response(_chart(report), media_type="image/svg+xml; charset=utf-8")
    return Response(report)


class ProgramController(Controller):
    path = "/api/programs"
    tags = ["programs"]

    @post("/", guards=[requires(Action.PROGRAM_EDIT)], responses=errors(400, 401, 403, 409, 422))
    async def create(self, data: JSONBody[ProgramIn], actor: ActorDep, now: Now) -> ProgramOut:
        """A program: partners, funder, dates, the kinds it lends, the service points it runs
        at, its requirements and its terms per kind (`terms`: loan days, renewals, household
        limit, quota), overriding each kind's policy."""
        return await catalog.create_program(actor, now, data.given())

    @get("/", guards=[requires(Action.PROGRAM_READ)], responses=errors(401, 403, 422))
    async def list_(self, actor: ActorDep, limit: Limit = 50, offset: Offset = 0) -> ProgramList:
        return await catalog.list_programs(actor, limit=limit, offset=offset)

    @get(
        "/report",
        guards=[requires(Action.PROGRAM_REPORT)],
        responses=errors(401, 403, 422),
    )
    async def report_all(
        self,
        actor: ActorDep,
        settings: SettingsDep,
        month: Annotated[Month, Parameter(description="YYYY-MM")],
        suppress: FromQuery[bool] = False,
        format: FromQuery[Format] = "json",  # noqa: A002
    ) -> Response[Any]:
        """Every program's month (the partner's own, for partner staff): a row per program and
        one per service point. `suppress=true` (always for partner staff) shows counts under
        five as "<5", for partners and funders. `format=csv` or `svg` (a chart)."""
        report = await reports.program_report(actor, month, settings.timezone, suppress=suppress)
        return _report_reply(report, format, "programs")

    @get(
        "/{program:str}",
        guards=[requires(Action.PROGRAM_READ)],
        responses=errors(401, 403, 404, 422),
    )
    async def get_one(self, program: ProgramCode, actor: ActorDep) -> ProgramOut:
        return await catalog.get_program(program, actor)

    @patch(
        "/{program:str}",
        guards=[requires(Action.PROGRAM_EDIT)],
        responses=errors(400, 401, 403, 404, 422),
    )
    async def change(
        self, program: ProgramCode, data: JSONBody[ProgramPatch], actor: ActorDep, now: Now
    ) -> ProgramOut:
        """Change what is given; `partners`, `points` and `terms` replace the lists there."""
        return await catalog.update_program(actor, now, program, data.given())

    @post(
        "/{program:str}/stock",
        guards=[requires(Action.PROGRAM_EDIT)],
        status_code=200,
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def add_stock(
        self, program: ProgramCode, data: JSONBody[StockIn], actor: ActorDep, now: Now
    ) -> StockOut:
        """Assign devices to the program: they are then lent only under it."""
        barcodes = [code(b, f"devices[{i}]") for i, b in enumerate(data.devices)]
        return await catalog.assign_stock(actor, now, program, barcodes)

    @delete(
        "/{program:str}/stock/{barcode:str}",
        guards=[requires(Action.PROGRAM_EDIT)],
        status_code=200,
        responses=errors(401, 403, 404, 422),
    )
    async def remove_stock(
        self, program: ProgramCode, barcode: Card, actor: ActorDep, now: Now
    ) -> StockOut:
        return await catalog.release_stock(actor, now, program, code(barcode, "barcode"))

    @post(
        "/{program:str}/enrolments",
        guards=[requires(Action.ENROL)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def enrol(
        self,
        program: ProgramCode,
        data: JSONBody[EnrolmentIn],
        actor: ActorDep,
        now: Now,
        settings: SettingsDep,
    ) -> EnrolmentOut:
        """Enrol a patron: how eligibility was verified (`method`), when, until when, and the
        household's statement that it would otherwise lack access (`attested`). The caller is
        recorded as the verifier."""
        return await enrolments.enrol(
            actor,
            now,
            program,
            settings.timezone,
            patron=code(data.patron, "patron"),
            method=data.method,
            verified_on=data.verified_on,
            expires_on=data.expires_on,
            attested=data.attested,
        )

    @get(
        "/{program:str}/enrolments",
        guards=[requires(Action.PARTICIPANT_READ)],
        responses=errors(401, 403, 404, 422),
    )
    async def participants(
        self,
        program: ProgramCode,
        actor: ActorDep,
        now: Now,
        settings: SettingsDep,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> EnrolmentList:
        """The participants, with their training hours, agreement and whether a checkout under
        the program would be refused now (`refusal`)."""
        return await enrolments.list_enrolments(
            actor, now, program, settings.timezone, limit=limit, offset=offset
        )

    @patch(
        "/{program:str}/enrolments/{card:str}",
        guards=[requires(Action.ENROL)],
        responses=errors(400, 401, 403, 404, 422),
    )
    async def change_enrolment(
        self,
        program: ProgramCode,
        card: Card,
        data: JSONBody[EnrolmentPatch],
        actor: ActorDep,
        now: Now,
        settings: SettingsDep,
    ) -> EnrolmentOut:
        return await enrolments.update_enrolment(
            actor, now, program, code(card, "card"), settings.timezone, data.given()
        )

    @post(
        "/{program:str}/agreements",
        guards=[requires(Action.ENROL)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def sign(
        self,
        program: ProgramCode,
        data: JSONBody[AgreementIn],
        actor: ActorDep,
        now: Now,
        settings: SettingsDep,
    ) -> EnrolmentOut:
        """The patron signs the program's current borrower agreement: a typed name, or a
        drawing from the desk screen (SVG path data). It runs a year, or to the program's date."""
        return await enrolments.sign_agreement(
            actor,
            now,
            program,
            settings.timezone,
            patron=code(data.patron, "patron"),
            signature_kind=data.signature_kind,
            signature=data.signature,
        )

    @post(
        "/{program:str}/sessions",
        guards=[requires(Action.TRAINING_RECORD)],
        responses=errors(400, 401, 403, 404, 422),
    )
    async def add_session(
        self,
        program: ProgramCode,
        data: JSONBody[SessionIn],
        actor: ActorDep,
        now: Now,
        settings: SettingsDep,
    ) -> SessionOut:
        return await training.add_session(
            actor,
            now,
            program,
            settings.timezone,
            topic=data.topic,
            starts_at=data.starts_at,
            hours=data.hours,
            capacity=data.capacity,
            service_point=data.service_point,
        )

    @get(
        "/{program:str}/sessions",
        guards=[requires(Action.PROGRAM_READ)],
        responses=errors(401, 403, 404, 422),
    )
    async def sessions(
        self, program: ProgramCode, actor: ActorDep, settings: SettingsDep
    ) -> SessionList:
        return await training.list_sessions(actor, program, settings.timezone)

    @post(
        "/{program:str}/sessions/{session_id:int}/signups",
        guards=[requires(Action.TRAINING_RECORD)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def sign_up(
        self,
        program: ProgramCode,
        session_id: Id,
        data: JSONBody[AttendeeIn],
        actor: ActorDep,
        now: Now,
        settings: SettingsDep,
    ) -> AttendanceOut:
        return await training.sign_up(
            actor, now, program, session_id, code(data.patron, "patron"), settings.timezone
        )

    @post(
        "/{program:str}/sessions/{session_id:int}/attendance",
        guards=[requires(Action.TRAINING_RECORD)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def attend(
        self,
        program: ProgramCode,
        session_id: Id,
        data: JSONBody[AttendeeIn],
        actor: ActorDep,
        now: Now,
        settings: SettingsDep,
    ) -> AttendanceOut:
        """The patron's card scanned at the session: attended (signed up first if needed)."""
        return await training.record_attendance(
            actor, now, program, session_id, code(data.patron, "patron"), settings.timezone
        )

    @get(
        "/{program:str}/report",
        guards=[requires(Action.PROGRAM_REPORT)],
        responses=errors(401, 403, 404, 422),
    )
    async def report(
        self,
        program: ProgramCode,
        actor: ActorDep,
        settings: SettingsDep,
        month: Annotated[Month, Parameter(description="YYYY-MM")],
        suppress: FromQuery[bool] = False,
        format: FromQuery[Format] = "json",  # noqa: A002
    ) -> Response[Any]:
        report = await reports.program_report(
            actor, month, settings.timezone, program=program, suppress=suppress
        )
        return _report_reply(report, format, program)

    @get(
        "/{program:str}/inventory",
        guards=[requires(Action.PROGRAM_REPORT)],
        responses=errors(401, 403, 404, 422),
    )
    async def inventory(
        self,
        program: ProgramCode,
        actor: ActorDep,
        settings: SettingsDep,
        format: FromQuery[Literal["json", "csv"]] = "json",  # noqa: A002
    ) -> Response[Any]:
        """The funder's inventory export (the former FCC ECF fields) per loan: device type,
        make and model, serial, an anonymous borrower reference, dates out and back, and the
        household's statement. No names."""
        export: InventoryExport = await reports.inventory_export(actor, program, settings.timezone)
        if format == "csv":
            return _csv(export.rows, f"{program}-inventory.csv")
        return Response(export)
