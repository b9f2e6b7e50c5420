"""A piece every header-adding ASGI middleware needs: a `send` that adds headers to the response."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.types import Message, Send

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
