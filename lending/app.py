"""The Litestar application: controllers, error handling, auth dependencies, lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from litestar import Litestar, Request
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import Empty

from . import __version__
from .database import bind_engine, close_database, make_engine, open_database
from .http.admin import EventController, StaffController, health, health_details
from .http.audits import AuditController, SightingController
from .http.auth import AuthController
from .http.circulation import CirculationController, HoldController
from .http.exports import ExportController
from .http.headers import DOCS_PREFIX, NoncedSwaggerRenderPlugin, security_headers
from .http.imports import ImportController
from .http.inventory import BranchController, DeviceController, PolicyController
from .http.jobs import JobController
from .http.kits import KitController, LoanKitController
from .http.labels import LabelController, ReceiptController
from .http.lines import LineController, PlanController
from .http.logs import app_logging_config
from .http.me import MeController
from .http.offline import OfflineController
from .http.patrons import PatronController
from .http.problems import EXCEPTION_HANDLERS
from .http.processing import ProcessingController, ServiceStepController
from .http.programs import PartnerController, ProgramController
from .http.reports import ReportController
from .http.request_ids import wrap_app
from .http.reservations import ReservationController, ReservationRuleController
from .http.security import provide_actor, provide_now
from .http.service_points import ServicePointController, TransferController
from .http.strict import strict_request
from .http.tasks import CallListController, TaskController
from .jobs.scheduler import JobScheduler
from .services.access.passwords import configure_pool
from .services.access.throttle import LoginGate
from .services.library.migrations import ensure_migrated
from .settings import Settings
from .web import (
    csrf_config,
    csrf_cookie_secure,
    page_handlers,
    refuse_hostile_form,
    template_config,
    with_page_errors,
)

__all__ = ["create_app"]

Clock = Callable[[], datetime]


def _system_clock() -> datetime:
    return datetime.now(UTC)


async def _refuse_hostile_input(request: Request) -> None:
    """Before every handler (after its guards): the API's strict body and parameter checks, and
    the page forms' one check of every submitted value."""
    await strict_request(request)
    await refuse_hostile_form(request)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    engine = bind_engine(make_engine(settings.database_url))
    configure_pool(settings.hash_workers, settings.verify_log)
    json_logs = settings.log_format == "json"

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await open_database(engine)
        scheduler = None
        sip2 = None
        try:
            await ensure_migrated()
            if settings.run_jobs:
                scheduler = JobScheduler(settings, app.state.clock)
                scheduler.start()
            app.state.scheduler = scheduler  # GET /api/health/details: does this one lead?
            if settings.sip2_serve:  # SIP2 beside the web server (each worker shares the port)
                from .sip2.server import Sip2Server

                sip2 = Sip2Server(settings, app.state.clock)
                await sip2.start(reuse_port=True)
            # What startup built (modules, routes, the app: ~120,000 objects) lives as long as
            # the process: keep it out of the cyclic collector, whose full passes would walk it
            # every time (~50 ms, stalling every request in flight).
            gc.freeze()
            yield
        finally:
            if sip2 is not None:
                await sip2.close()
            if scheduler is not None:
                await scheduler.stop()
            await close_database(engine)

    app = Litestar(
        route_handlers=[
            health,
            health_details,
            AuthController,
            BranchController,
            ServicePointController,
            TransferController,
            PartnerController,
            ProgramController,
            OfflineController,
            ReservationController,
            ReservationRuleController,
            DeviceController,
            PatronController,
            PolicyController,
            CirculationController,
            HoldController,
            MeController,
            EventController,
            StaffController,
            PlanController,
            LineController,
            TaskController,
            CallListController,
            JobController,
            ImportController,
            ExportController,
            ReportController,
            AuditController,
            SightingController,
            KitController,
            LoanKitController,
            ServiceStepController,
            ProcessingController,
            LabelController,
            ReceiptController,
            *page_handlers(),
        ],
        dependencies={
            "actor": Provide(provide_actor),
            "now": Provide(provide_now, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False, use_cache=True),
        },
        before_request=_refuse_hostile_input,
        before_send=[csrf_cookie_secure, security_headers],
        exception_handlers=with_page_errors(EXCEPTION_HANDLERS),  # type: ignore[arg-type]
        template_config=template_config(),
        csrf_config=csrf_config(settings),
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="lending",
            version=__version__,
            description="Hotspot and laptop lending for public libraries.",
            path=DOCS_PREFIX,
            render_plugins=[NoncedSwaggerRenderPlugin()],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="opaque")
                }
            ),
            security=[{"bearer": []}],
        ),
        request_max_body_size=1024 * 1024,
        # LENDING_LOG_FORMAT=json: JSON lines (http/logs.py); text: Litestar's default.
        logging_config=app_logging_config() if json_logs else Empty,
        debug=False,
    )
    # A request id for every request: on its response, its audit events and its log lines.
    wrap_app(app, access_log=json_logs)
    app.state.clock = clock or _system_clock
    app.state.settings = settings
    app.state.login_gate = LoginGate(
        settings.login_requests_per_minute, slots=2 * settings.hash_workers
    )
    return app
