"""Times every request and hands its outcome to the observers: the access log and the RED metrics.

One layer for all of them: a request is timed once, its status captured once. The outcome is handed
over just before the response's last body message goes to the server, so by the time a client has
read the whole response, its log line and its metrics are written (a test can count them at once).
A request whose handler raised is observed as the 500 it becomes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.asgi import HttpMiddleware

# Requests that match no route (404s) share one label: raw paths would be unbounded and carry ids.
UNMATCHED_ROUTE = "unmatched"

Observer = Callable[[Scope, str, int, float], None]
"""Called with the request's scope, route template, status and duration in seconds."""


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/tasks/{task_id}`), set in the scope by the router."""
    route = scope.get("route")
    path: str | None = getattr(route, "path", None)
    return path if path is not None else UNMATCHED_ROUTE


class ObserveRequests(HttpMiddleware):
    def __init__(self, app: ASGIApp, observers: Sequence[Observer]) -> None:
        super().__init__(app)
        self._observers = tuple(observers)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        route = route_template(scope)
        for observer in self._observers:
            observer(scope, route, status, seconds)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 0
        observed = False

        async def send_observed(message: Message) -> None:
            nonlocal status, observed
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                observed = True
                self._observe(scope, status, started)
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        except Exception:
            if not observed:
                # Starlette's outermost error middleware turns it into a 500 after this layer.
                self._observe(scope, 500, started)
            raise
        if not observed:  # the client went away before the response was complete
            self._observe(scope, status or 499, started)
