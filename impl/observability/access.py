"""What the observers of a request (the access log, the RED metrics) are handed: its route template,
status and duration. `impl.policies.RequestPolicies` times every request once, captures its status
once and hands the outcome to each of them."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import Scope

# Requests that match no route (404s) share one label: raw paths would be unbounded and carry ids.
UNMATCHED_ROUTE = "unmatched"

Observer = Callable[[Scope, str, int, float], None]
"""Called with the request's scope, route template, status and duration in seconds."""


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/tasks/{task_id}`), set in the scope by the router."""
    route = scope.get("route")
    path: str | None = getattr(route, "path", None)
    return path if path is not None else UNMATCHED_ROUTE
