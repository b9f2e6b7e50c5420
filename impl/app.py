"""The application factory: settings in, a fully wired FastAPI app out."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from generated.routes import build_router
from generated.runtime import CONTRACT
from impl.auth import TokenVerifier, current_user
from impl.auth.jwks import Clock
from impl.auth.verified_tokens import VerifiedTokens
from impl.db import create_engine, create_gate
from impl.errors import install_error_handlers
from impl.settings import Settings
from impl.shutdown import DrainingReadiness, ShutdownDrain
from impl.tasks.handler import task_api


def create_app(settings: Settings | None = None, *, clock: Clock = time.monotonic) -> FastAPI:
    """`clock` times the JWKS cache; tests pass a manual one to expire it without sleeping."""
    settings = settings or Settings()
    engine = create_engine(settings)
    verifier = TokenVerifier.from_settings(settings, clock=clock)

    drain = ShutdownDrain(settings.shutdown_drain_seconds)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        with drain.on_sigterm():
            yield
        await verifier.aclose()
        await engine.dispose()

    # FastAPI's generated schema only approximates the contract; the contract itself is served.
    app = FastAPI(
        title=CONTRACT["info"]["title"],
        version=CONTRACT["info"]["version"],
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.gate = create_gate(engine, settings)
    # Remembered no longer than the JWKS cache trusts its keys, so a withdrawn key stops working.
    app.state.tokens = VerifiedTokens(
        verifier, settings.jwt_leeway_seconds, max_age_seconds=settings.jwks_cache_ttl_seconds, clock=clock
    )
    app.include_router(build_router(handler=task_api, current_user=current_user))
    install_error_handlers(app, settings.retry_after_seconds)
    _serve_contract(app)
    app.add_middleware(DrainingReadiness, drain=drain, retry_after_seconds=settings.retry_after_seconds)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Link", "Location", "Retry-After", "WWW-Authenticate"],
        )
    return app


def _serve_contract(app: FastAPI) -> None:
    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> dict[str, Any]:
        return CONTRACT

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{CONTRACT['info']['title']} docs")
