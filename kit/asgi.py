"""A piece every header-adding ASGI middleware needs: a `send` that adds headers to the response."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Header = tuple[bytes, bytes]


def sending_headers(
    send: Send, headers: Callable[[], Iterable[Header]], *, unless_present: bool = False
) -> Send:
    """`send`, adding `headers()` to the response's start message (asked for only then, so they may
    depend on what the app did meanwhile). With `unless_present`, a header the app set itself wins."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            current = list(message.get("headers", ()))
            extra = list(headers())
            if unless_present:
                present = {name.lower() for name, _ in current}
                extra = [(name, value) for name, value in extra if name not in present]
            message = {**message, "headers": [*current, *extra]}
        await send(message)

    return send_with_headers


class HttpMiddleware:
    """A pure ASGI middleware for HTTP requests: other scopes (lifespan) pass straight through to
    `app`; a subclass says what it does with a request in `handle`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
