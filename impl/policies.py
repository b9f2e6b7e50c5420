"""Per-request policy: everything a request meets before its route, in one ordered list.

This is the home of cross-cutting concerns (request ids, access logs, metrics, size limits,
security headers, rate limits, CORS). `request_policies` lists them outermost first, in the order a
request meets them: the cheapest refusals come first, before a body is read or a token verified.
Each entry is a Starlette middleware class with its options; the handlers never see them. Per-user
policy that needs the verified user id (a per-user rate limit) wraps `current_user` instead, in
`impl/auth/dependency.py`, so the token is verified once.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware import Middleware

from impl.observability.policies import observability_policies
from impl.settings import Settings


def request_policies(settings: Settings) -> list[Middleware]:
    """The middleware stack, outermost first."""
    # Request id, access log and metrics first: every response below them is named, logged, counted.
    policies: list[Middleware] = [*observability_policies(settings)]
    if settings.cors_origins:
        policies.append(Middleware(CORSMiddleware, **_cors_options(settings)))
    return policies


def _cors_options(settings: Settings) -> dict[str, Any]:
    return {
        "allow_origins": settings.cors_origins,
        "allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": ["Authorization", "Content-Type"],
        "expose_headers": ["Link", "Location", "Retry-After", "WWW-Authenticate"],
    }


def install_request_policies(app: FastAPI, settings: Settings) -> None:
    # Starlette wraps each added middleware around the ones before it: add innermost first.
    for policy in reversed(request_policies(settings)):
        app.add_middleware(policy.cls, *policy.args, **policy.kwargs)
