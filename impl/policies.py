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

from impl.limits import BodyLimit, HeaderLimits, SecurityHeaders
from impl.observability.policies import observability_policies
from impl.ratelimit import RateLimitHeaders
from impl.settings import Settings


def request_policies(settings: Settings) -> list[Middleware]:
    """The middleware stack, outermost first."""
    # Request id, access log and metrics first: every response below them is named, logged, counted.
    # Security headers next, so every answer carries them, refusals by the policies below included;
    # CORS next, so a browser may read those refusals.
    policies: list[Middleware] = [*observability_policies(settings), Middleware(SecurityHeaders)]
    if settings.cors_origins:
        policies.append(Middleware(CORSMiddleware, **_cors_options(settings)))
    policies.append(
        Middleware(
            HeaderLimits,
            max_header_bytes=settings.max_header_bytes,
        )
    )
    policies.append(Middleware(BodyLimit, max_bytes=settings.max_body_bytes))
    # Refuses nothing itself: the limits are counted in current_user, this reports them.
    policies.append(Middleware(RateLimitHeaders))
    return policies


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


def install_request_policies(app: FastAPI, settings: Settings) -> None:
    # Starlette wraps each added middleware around the ones before it: add innermost first.
    for policy in reversed(request_policies(settings)):
        app.add_middleware(policy.cls, *policy.args, **policy.kwargs)
