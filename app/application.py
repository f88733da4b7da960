"""``create_app(settings)``: the whole platform as one ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from app import database, mail, pdf
from app.api import api_router
from app.api_docs import SECURITY_COMPONENTS
from app.clock import Clock, clock_for
from app.error_handlers import EXCEPTION_HANDLERS
from app.platform import Platform
from app.security import add_security_headers
from app.sessions import renew_session_cookie, session_middleware
from app.settings import PROJECT_ROOT, Settings
from app.templating import make_engine
from app.web import WEB_CONTROLLERS
from evaluation.web import WEB_CONTROLLERS as EVALUATION_WEB_CONTROLLERS
from tenders.web import WEB_CONTROLLERS as TENDER_WEB_CONTROLLERS

STATIC_DIR = PROJECT_ROOT / "app" / "static"
GOVUK_DIST = PROJECT_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"


def create_app(settings: Settings, clock: Clock | None = None) -> Litestar:
    platform = Platform(settings, clock or clock_for(settings.clock_file))

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        opened = await database.start()
        # Partial uploads of a process that was killed: nothing refers to them.
        await anyio.to_thread.run_sync(platform.files.sweep)
        try:
            async with mail.background_worker(platform):
                yield
        finally:
            pdf.shutdown()
            await database.stop(opened)

    return Litestar(
        route_handlers=[
            *WEB_CONTROLLERS,
            *TENDER_WEB_CONTROLLERS,
            *EVALUATION_WEB_CONTROLLERS,
            api_router,
            create_static_files_router(path="/static/govuk", directories=[GOVUK_DIST]),
            create_static_files_router(
                path="/static", directories=[STATIC_DIR / "dist", STATIC_DIR], name="app-static"
            ),
        ],
        lifespan=[lifespan],
        middleware=[session_middleware],
        before_send=[add_security_headers, renew_session_cookie],
        csrf_config=CSRFConfig(
            secret=platform.derived_key("csrf").hex(),
            cookie_name="__Host-csrftoken",
            cookie_secure=True,
            cookie_httponly=True,
            # Bearer-token API calls carry no cookies, so cross-site forgery cannot reach them.
            exclude=["/api/"],
        ),
        template_config=TemplateConfig(engine=make_engine()),
        openapi_config=OpenAPIConfig(
            title="caretender API",
            version="1",
            description="Tender submission and evaluation for the commissioning of care.",
            path="/schema",
            components=SECURITY_COMPONENTS,
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"platform": platform}),
        debug=settings.debug,
    )
