"""The observability entries of `impl.policies.request_policies`: outermost, so that every response,
the refusals of the policies after them included, carries its request id and is logged and counted."""

from __future__ import annotations

from starlette.middleware import Middleware

from impl.observability.access import Observer, ObserveRequests
from impl.observability.logging import AccessLog
from impl.observability.metrics import RequestMetrics
from impl.observability.request_id import RequestIdMiddleware
from impl.settings import Settings


def observability_policies(settings: Settings) -> list[Middleware]:
    observers: list[Observer] = [AccessLog(settings)]
    if settings.metrics is not None:
        observers.append(RequestMetrics())
    return [Middleware(RequestIdMiddleware), Middleware(ObserveRequests, observers=observers)]
