"""Server-rendered pages on the same services as the API: the circulation desk (/desk), the
admin console (/admin) and the resident portal (/my). Sessions are signed cookies
(`sessions.py`); every form carries a CSRF token (Litestar's CSRF middleware)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Message, Scope

from ..circulation import ChargeStatus, DeviceStatus, HoldStatus, LoanState, PartOutcome
from ..settings import Settings
from .admin.audits import AdminAuditController, AdminInventoryController
from .admin.branches import AdminBranchController
from .admin.dashboard import AdminDashboardController
from .admin.devices import AdminDeviceController
from .admin.imports import AdminExportController, AdminImportController
from .admin.jobs import AdminJobController
from .admin.kiosks import AdminKioskController
from .admin.kits import AdminKitController
from .admin.labels import AdminLabelController
from .admin.lines import AdminLineController, AdminPlanController
from .admin.notices import AdminNoticeController
from .admin.patrons import AdminPatronController
from .admin.policies import AdminPolicyController
from .admin.processing import AdminProcessingController, DeskProcessingController
from .admin.programs import AdminProgramController
from .admin.reports import AdminReportController
from .admin.reservations import AdminReservationController
from .admin.service_points import AdminServicePointController
from .admin.staff import AdminStaffController
from .admin.tasks import AdminTaskController
from .auth import PageAuthController
from .desk.circulation import DeskController
from .desk.offline import DeskOfflineController
from .desk.patrons import DeskPatronController
from .errors import is_page_path, with_page_errors
from .form_input import refuse_hostile_form
from .resident.portal import ResidentController
from .sessions import cookies_secure, load_secret

__all__ = [
    "PAGE_CONTROLLERS",
    "csrf_config",
    "csrf_cookie_secure",
    "is_page_path",
    "page_handlers",
    "refuse_hostile_form",
    "template_config",
    "with_page_errors",
]

HERE = Path(__file__).parent
CSRF_FIELD = "_csrf_token"
CSRF_HEADER = "x-csrftoken"
CSRF_COOKIE = "lending_csrf"

# Each area adds its controllers here (desk, admin console, resident portal).
PAGE_CONTROLLERS: list[Any] = [
    PageAuthController,
    DeskController,
    DeskPatronController,
    DeskOfflineController,
    ResidentController,
    AdminDashboardController,
    AdminDeviceController,
    AdminKitController,
    AdminJobController,
    AdminLabelController,
    AdminPatronController,
    AdminPolicyController,
    AdminBranchController,
    AdminServicePointController,
    AdminProgramController,
    AdminReservationController,
    AdminStaffController,
    AdminKioskController,
    AdminTaskController,
    AdminNoticeController,
    AdminLineController,
    AdminPlanController,
    AdminAuditController,
    AdminInventoryController,
    AdminImportController,
    AdminExportController,
    AdminReportController,
    AdminProcessingController,
    DeskProcessingController,
]


def page_handlers() -> list[Any]:
    static = create_static_files_router(
        path="/static",
        directories=[HERE / "static"],
        include_in_schema=False,
        send_as_attachment=False,
    )
    return [*PAGE_CONTROLLERS, static]


def _iso(value: Any) -> str:
    """A result's time (or date) as ISO 8601 text, to the second; strings pass through."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


# A device status's badge colour on the admin pages (admin/_bits.html status_badge).
DEVICE_TONES = {
    DeviceStatus.AVAILABLE: "ok",
    DeviceStatus.IN_PROCESSING: "warn",
    DeviceStatus.IN_REPAIR: "warn",
    DeviceStatus.IN_TRANSIT: "warn",
    DeviceStatus.LOST: "bad",
}


def _register_filters(engine: JinjaTemplateEngine) -> None:
    # Services hand pages datetimes; `iso` is how a template writes one as text.
    engine.engine.filters["iso"] = _iso
    # Templates compare statuses with the rules' members, never with bare strings.
    engine.engine.globals.update(
        DeviceStatus=DeviceStatus,
        LoanState=LoanState,
        HoldStatus=HoldStatus,
        ChargeStatus=ChargeStatus,
        PartOutcome=PartOutcome,
        DEVICE_TONES=DEVICE_TONES,
    )


def template_config() -> TemplateConfig:
    return TemplateConfig(
        directory=HERE / "templates",
        engine=JinjaTemplateEngine,
        engine_callback=_register_filters,
    )


def csrf_config(settings: Settings) -> CSRFConfig:
    """Double-submit CSRF for every unsafe request to a page; the API (bearer tokens, no cookies)
    is exempt. Its cookie is Secure per request, like the session's: see csrf_cookie_secure."""
    return CSRFConfig(
        secret=load_secret(settings).decode(),
        cookie_name=CSRF_COOKIE,
        cookie_httponly=True,
        cookie_samesite="lax",
        cookie_secure=bool(settings.secure_cookies),
        header_name=CSRF_HEADER,
        exclude=["^/api/", "^/schema"],
    )


async def csrf_cookie_secure(message: Message, scope: Scope) -> None:
    """`before_send` hook: mark the CSRF cookie `Secure` whenever the session cookie is.

    Litestar's CSRFConfig takes one `cookie_secure` for the whole app, fixed at start-up, while
    the session cookie is Secure per request (HTTPS, or a proxy saying so; see
    sessions.cookies_secure). Always Secure would lose the cookie on plain HTTP and refuse every
    form there; this adds the attribute to the cookie the CSRF middleware set, per request.
    """
    if message["type"] != "http.response.start" or not message.get("headers"):
        return
    prefix = CSRF_COOKIE.encode() + b"="
    headers = list(message["headers"])
    found = [
        i
        for i, (name, value) in enumerate(headers)
        if bytes(name).lower() == b"set-cookie"
        and bytes(value).startswith(prefix)
        and b"; secure" not in bytes(value).lower()
    ]
    if found and cookies_secure(scope):
        for i in found:
            headers[i] = (headers[i][0], bytes(headers[i][1]) + b"; Secure")
        message["headers"] = headers  # type: ignore[typeddict-item]
