"""CSV exports (admin), streamed: devices, current loans, lines, patrons, compliance."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter, QueryParameter
from litestar.response import Stream

from ..circulation import NotFound
from ..circulation.codes import Code
from ..circulation.permissions import Action
from ..services._common.render import zone
from ..services.data import exports
from .common import Now, SettingsDep, errors
from .security import requires

__all__ = ["ExportController", "csv_stream"]

NAMES = (*exports.EXPORTS, "compliance")


def csv_stream(chunks, filename: str) -> Stream:
    return Stream(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class ExportController(Controller):
    path = "/api/exports"
    tags = ["imports and exports"]
    guards = [requires(Action.EXPORT)]

    @get(
        "/{name:str}",
        responses=errors(401, 403, 404, 422),
        description="`devices.csv`, `loans.csv` (current loans), `lines.csv`, `patrons.csv` or "
        "`compliance.csv` (one line per loan of each device: type, make and model, serial, "
        "loan and return dates, borrower while retained; `from`/`to` limit the loans).",
    )
    async def export(
        self,
        name: Annotated[str, Parameter(max_length=40)],
        now: Now,
        settings: SettingsDep,
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> Stream:
        kind = name.removesuffix(".csv")
        if not name.endswith(".csv") or kind not in NAMES:
            raise NotFound(
                f"No export {name!r}; there are {', '.join(n + '.csv' for n in NAMES)}.",
                Code.EXPORT_NOT_FOUND,
            )
        chunks = await exports.export_csv(
            kind, now, start=first, end=last, timezone=settings.timezone
        )
        stamp = now.astimezone(zone(settings.timezone)).date().isoformat()
        return csv_stream(chunks, f"{kind}-{stamp}.csv")
