"""The Litestar application: controllers, error handling, auth dependencies, lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from .. import __version__
from ..database import bind_engine, close_database, make_engine, open_database
from ..jobs.scheduler import JobScheduler
from ..services.migrations import ensure_migrated
from ..settings import Settings
from ..web import (
    csrf_config,
    csrf_cookie_secure,
    page_handlers,
    template_config,
    with_page_errors,
)
from .admin import EventController, StaffController, health
from .audits import AuditController, SightingController
from .auth import AuthController
from .circulation import CirculationController, HoldController
from .exports import ExportController
from .headers import DOCS_PREFIX, NoncedSwaggerRenderPlugin, security_headers
from .imports import ImportController
from .inventory import BranchController, DeviceController, PolicyController
from .jobs import JobController
from .kits import KitController, LoanKitController
from .labels import LabelController, ReceiptController
from .lines import LineController, PlanController
from .me import MeController
from .patrons import PatronController
from .problems import EXCEPTION_HANDLERS
from .processing import ProcessingController, ServiceStepController
from .reports import ReportController
from .security import provide_actor, provide_now
from .strict import strict_request
from .tasks import CallListController, TaskController

__all__ = ["create_app"]

Clock = Callable[[], datetime]


def _system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    engine = bind_engine(make_engine(settings.database_url))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await open_database(engine)
        scheduler = None
        try:
            await ensure_migrated()
            if settings.run_jobs:
                scheduler = JobScheduler(settings, app.state.clock)
                scheduler.start()
            # What startup built (modules, routes, the app: ~120,000 objects) lives as long as
            # the process: keep it out of the cyclic collector, whose full passes would walk it
            # every time (~50 ms, stalling every request in flight).
            gc.freeze()
            yield
        finally:
            if scheduler is not None:
                await scheduler.stop()
            await close_database(engine)

    app = Litestar(
        route_handlers=[
            health,
            AuthController,
            BranchController,
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
        before_request=strict_request,
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
        debug=False,
    )
    app.state.clock = clock or _system_clock
    app.state.settings = settings
    return app
