"""The observers `impl.policies.RequestPolicies` hands every request's outcome to: the access log, and
the RED metrics when they are served."""

from __future__ import annotations

from impl.observability.access import Observer
from impl.observability.logging import AccessLog
from impl.observability.metrics import RequestMetrics
from impl.settings import Settings


def observers(settings: Settings) -> list[Observer]:
    chosen: list[Observer] = [AccessLog(settings)]
    if settings.metrics is not None:
        chosen.append(RequestMetrics())
    return chosen
