"""Per-request policy: everything a request meets before its route, in as few layers as it takes.

This is the home of cross-cutting concerns (request ids, access logs, metrics, size limits,
security headers, rate limits, CORS). A request meets them outermost first:

1. `RequestPolicies` names the request, times it, and hands its outcome to the observers (the access
   log, the RED metrics); on the way out it adds the headers every answer carries: the rate-limit
   usage, the security headers and the request id. Every response below it, the refusals of the
   policies after it included, is named, logged, counted and carries them.
2. CORS, when origins are configured, so a browser may read the refusals below.
3. `RequestLimits` (impl/limits.py): the cheapest refusals (431, 401 for an oversized token, 413),
   before a body is read or a token verified.

Below them, `kit.routing.RouteDispatch` answers with the operation routes and renders errors with
the application's exception handlers; outside them, Starlette's ServerErrorMiddleware turns
anything unhandled into the 500 (where OpenTelemetry's instrumentor, when tracing, wraps the rest).
Every layer a request passes costs a call, and is resumed again at each of the request's database
round trips, and one that adds headers costs a wrapped `send`: so each layer here is called
directly, without a middleware base class's dispatch in between, and what can share a layer
shares one (`make bench-profile`, `python -m bench.request_calls`). Per-user policy that needs the
verified user id (a per-user rate limit) wraps `current_user` instead, in
`impl/auth/dependency.py`, so the token is verified once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.middleware.cors import CORSMiddleware
from starlette.applications import Starlette
from starlette.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send

from impl.limits import RequestLimits, security_headers
from impl.observability.access import Observer, route_template
from impl.observability.policies import observers
from impl.observability.request_id import name_request
from impl.ratelimit import usage_headers
from impl.settings import Settings
from kit.asgi import Header
from kit.routing import RouteDispatch, RouteTable


class RequestPolicies:
    """Outermost: names, times and observes every request, and adds the headers every answer carries.

    The outcome is handed to the observers just before the response's last body message goes to the
    server, so by the time a client has read the whole response, its log line and its metrics are
    written (a test can count them at once). A request whose handler raised is observed as the 500
    it becomes; one whose client went away before the response was complete, as a 499.
    """

    def __init__(self, http: ASGIApp, other: ASGIApp, observers: Sequence[Observer]) -> None:
        """`http` answers HTTP requests, `other` every other scope (the lifespan)."""
        self._http = http
        self._other = other
        self._observers = tuple(observers)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        route = route_template(scope)
        for observer in self._observers:
            observer(scope, route, status, seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._other(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = name_request(scope)
        security = security_headers(scope["path"])
        # current_user records the rate limits' usage here while the request runs.
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 0
        observed = False

        async def send_policed(message: Message) -> None:
            nonlocal status, observed
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": _answer_headers(message, state, security, request_id)}
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                observed = True
                self._observe(scope, status, started)
            await send(message)

        try:
            await self._http(scope, receive, send_policed)
        except Exception:
            if not observed:
                # Starlette's outermost error middleware turns it into a 500 after this layer.
                self._observe(scope, 500, started)
            raise
        if not observed:  # the client went away before the response was complete
            self._observe(scope, status or 499, started)


def _answer_headers(
    start: Message, state: dict[str, Any], security: Sequence[Header], request_id: Header
) -> list[Header]:
    """The app's headers, then the rate-limit usage, the security headers the app did not set
    itself (/docs sets its own Content-Security-Policy) and the request id."""
    headers: list[Header] = list(start.get("headers", ()))
    present = {name.lower() for name, _ in headers}
    headers.extend(usage_headers(state))
    headers.extend(header for header in security if header[0] not in present)
    headers.append(request_id)
    return headers


def _cors_options(settings: Settings) -> dict[str, Any]:
    return {
        "allow_origins": settings.cors_origins,
        "allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": ["Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key"],
        "expose_headers": [
            "Link",
            "Location",
            "Retry-After",
            "WWW-Authenticate",
            "RateLimit",
            "RateLimit-Policy",
            "ETag",
            "Idempotent-Replayed",
        ],
    }


def request_path(
    app: Starlette, routes: RouteTable, handlers: Mapping[Any, ExceptionHandler], settings: Settings
) -> ASGIApp:
    """The service's layers, outermost first: the policies, CORS when origins are configured, the
    limits, then the operation routes with the exception `handlers` (all but the 500's)."""
    dispatch = RouteDispatch(routes, app.router, handlers)
    limits = RequestLimits(
        dispatch, max_header_bytes=settings.max_header_bytes, max_body_bytes=settings.max_body_bytes
    )
    http: ASGIApp = limits.handle
    if settings.cors_origins:
        http = CORSMiddleware(http, **_cors_options(settings))
    return RequestPolicies(http, app.router, observers(settings))
