"""The application factory: settings in, a fully wired FastAPI app out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import orjson
from fastapi import FastAPI
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from generated.routes import build_routes
from impl.auth import TokenVerifier, current_user
from impl.auth.jwks import Clock
from impl.auth.verified_tokens import VerifiedTokens
from impl.contract import CONTRACT
from impl.db import create_engine, create_gate
from impl.docs import swagger_ui_page
from impl.errors import install_error_handlers
from impl.health import health_probes
from impl.idempotency import purge_periodically
from impl.observability.tracing import instrument, tracer_provider_from_environment
from impl.policies import request_path
from impl.ratelimit import RateLimiter
from impl.settings import Settings
from impl.shutdown import ShutdownDrain
from impl.sync.handler import sync_handler
from impl.sync.service import SyncService
from impl.tasks.cursor import CursorCodec
from impl.tasks.handler import task_handler
from kit.routing import OperationRoute, RouteTable

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


class ServiceApp(FastAPI):
    """FastAPI as the application shell, with a request path of its own below Starlette's 500 net
    (impl/policies.py `request_path`): Starlette's would pass every request through a layer per
    middleware, its exception middleware, the router and the route, FastAPI's would add a layer for
    its telemetry (off here) and an exit stack that closes the files of dependencies, which no
    route here has (they are plain routes, kit/routing.py)."""

    # Starlette's own body limit stays off: impl/limits.py's RequestLimits bounds bodies, with a problem.
    max_body_size = None
    route_table: RouteTable

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # What FastAPI's and Starlette's calls do for an HTTP request, less asking FastAPI's
        # telemetry, which create_app turns off, whether it is on.
        if scope["type"] != "http" or self.root_path:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        if self.user_middleware:
            raise RuntimeError("the service's layers are built by impl.policies.request_path; add one there")
        # As Starlette splits them: the 500's handler answers in the outermost layer, the rest below.
        uncaught = self.exception_handlers.get(500) or self.exception_handlers.get(Exception)
        handlers = {
            key: value for key, value in self.exception_handlers.items() if key not in (500, Exception)
        }
        inner = request_path(self, self.route_table, handlers, self.state.settings)
        return ServerErrorMiddleware(inner, handler=uncaught, debug=self.debug)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = time.monotonic,
    tracer_provider: TracerProvider | None = None,
) -> ServiceApp:
    """`clock` times the JWKS cache; tests pass a manual one to expire it without sleeping.
    `tracer_provider` defaults to what the OTEL_* variables configure (None: no tracing)."""
    settings = settings or Settings()
    engine = create_engine(settings)
    verifier = TokenVerifier.from_settings(settings, clock=clock)
    tracer_provider = tracer_provider or tracer_provider_from_environment()
    sync = SyncService(settings, engine)

    drain = ShutdownDrain(settings.shutdown_drain_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Expired Idempotency-Keys are purged by every worker itself: no cron outside the service.
        purge = asyncio.create_task(
            purge_periodically(app.state.gate, settings.idempotency_purge_interval_seconds)
        )
        # The drain wraps the stream closer: after the drain, SIGTERM closes the streams, then uvicorn stops.
        async with sync.running():
            with drain.on_sigterm():
                yield
        purge.cancel()
        await verifier.aclose()
        # The connections the gate holds idle go back to the pool first, so that dispose closes them.
        await app.state.gate.aclose()
        await engine.dispose()
        if tracer_provider is not None:
            tracer_provider.shutdown()  # exports the spans still buffered

    # FastAPI's generated schema only approximates the contract; the contract itself is served.
    app = ServiceApp(
        title=CONTRACT.title,
        version=CONTRACT.version,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # Traces come from the OpenTelemetry instrumentor (impl/observability/tracing.py, with the
        # request id and without query strings), metrics from Prometheus: FastAPI's own telemetry
        # would add a second, unfiltered set whenever a global provider is configured, and asks
        # whether one is on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.gate = create_gate(engine, settings)
    app.state.drain = drain
    app.state.cursors = CursorCodec(settings.cursor_key)
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    app.state.sync = sync
    # On SQLite, committed changes are announced to the streams in-process (impl/db.py).
    app.state.announcer = sync.bus if sync.listener is None else None
    # Remembered no longer than the JWKS cache trusts its keys, so a withdrawn key stops working.
    app.state.tokens = VerifiedTokens(
        verifier, settings.jwt_leeway_seconds, max_age_seconds=settings.jwks_cache_ttl_seconds, clock=clock
    )
    operations = build_routes(
        contract=CONTRACT,
        tasks=task_handler,
        sync=sync_handler,
        health=health_probes,
        current_user=current_user,
    )
    # In the router too, where a 405 is decided and OpenTelemetry looks a request's route up.
    app.route_table = RouteTable([*operations, *_contract_routes(docs=settings.docs_served)])
    app.router.routes.append(app.route_table)
    install_error_handlers(app, settings.retry_after_seconds)
    if tracer_provider is not None:
        instrument(app, engine, tracer_provider)
    return app


def _contract_routes(*, docs: bool) -> list[OperationRoute]:
    # Plain routes, each answer built once: FastAPI's own routes would solve a signature per route and,
    # doing so, import pydantic.v1 into every worker (~165 ms of start-up) for nothing.
    document = Response(orjson.dumps(CONTRACT.document), media_type="application/json")

    async def openapi(_: Request) -> Response:
        return document

    routes = [OperationRoute("/openapi.json", openapi, methods=["GET"])]
    if not docs:
        return routes
    page = swagger_ui_page("/openapi.json", f"{CONTRACT.title} docs")

    async def swagger_ui(_: Request) -> Response:
        return page

    routes.append(OperationRoute("/docs", swagger_ui, methods=["GET"]))
    return routes
