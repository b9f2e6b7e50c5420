"""Pure ASGI request policies that bound what one request may cost, and the headers every answer carries.

They run before routing, so a refusal costs no body read, no token verification and no query; each
refusal is problem+json like every other. The server process bounds the same things on the socket
(impl/http_protocol.py); these hold under any ASGI server and give the precise status.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impl.auth.dependency import MAX_TOKEN_BYTES, TokenTooLong
from impl.errors import ContentTooLarge, HeadersTooLarge
from kit.asgi import HttpMiddleware
from kit.problems import Problem

# What a private JSON API sends on every response (OWASP REST Security Cheat Sheet).
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
# JSON needs no content sources at all; /docs sets its own policy for Swagger UI's assets.
JSON_CONTENT_SECURITY_POLICY = b"default-src 'none'; frame-ancestors 'none'"
# Tasks are private: no shared or browser cache keeps them. The contract itself is public.
PRIVATE_CACHE_CONTROL = b"no-store"
PUBLIC_PATHS = frozenset({"/openapi.json"})


PRIVATE_SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    *SECURITY_HEADERS,
    (b"content-security-policy", JSON_CONTENT_SECURITY_POLICY),
    (b"cache-control", PRIVATE_CACHE_CONTROL),
)
PUBLIC_SECURITY_HEADERS = PRIVATE_SECURITY_HEADERS[:-1]


def security_headers(path: str) -> tuple[tuple[bytes, bytes], ...]:
    """The security headers of every answer to `path`, errors included, unless the route set its own."""
    return PUBLIC_SECURITY_HEADERS if path in PUBLIC_PATHS else PRIVATE_SECURITY_HEADERS


class RequestLimits(HttpMiddleware):
    """What one request may cost, refused before routing: 431 for a header block over
    `max_header_bytes`; 401 for a bearer token over the size `current_user` accepts
    (impl/auth/dependency.py), before anything parses the token; 413 for a body over `max_body_bytes`,
    from Content-Length before reading, or as the chunks of a body without one arrive.

    A chunked body is counted while the route reads it; past the limit `receive` raises
    ContentTooLarge (rendered by the service's problem handler), so no more of it is read. A body
    with a Content-Length needs no counting: the HTTP server hands the app exactly that many bytes;
    nor does an HTTP/1 request with neither header, which has no body at all (RFC 9112, 6.3).
    """

    def __init__(self, app: ASGIApp, *, max_header_bytes: int, max_body_bytes: int) -> None:
        super().__init__(app)
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        declared = _content_length(headers)
        refusal = self._refusal(headers, declared)
        if refusal is not None:
            await refusal.response()(scope, receive, send)
            return
        if declared is not None or _has_no_body(scope):
            await self.app(scope, receive, send)
            return
        await self._counting_body(scope, receive, send)

    def _refusal(self, headers: list[tuple[bytes, bytes]], declared: int | None) -> Problem | None:
        if sum(len(name) + len(value) for name, value in headers) > self.max_header_bytes:
            return HeadersTooLarge(f"The request headers exceed {self.max_header_bytes} bytes.")
        # The credentials after the scheme, as current_user measures them.
        tokens = (value.partition(b" ")[2].strip() for name, value in headers if name == b"authorization")
        if max(map(len, tokens), default=0) > MAX_TOKEN_BYTES:
            return TokenTooLong()
        if declared is not None and declared > self.max_body_bytes:
            return self._too_large()
        return None

    def _too_large(self) -> ContentTooLarge:
        # Closing the connection is what stops the server reading the rest of the body.
        return ContentTooLarge(
            f"The request body exceeds {self.max_body_bytes} bytes.", headers={"Connection": "close"}
        )

    async def _counting_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise self._too_large()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except ContentTooLarge as too_large:
            # The service's problem handler renders it inside the app; this is the net for a read
            # outside it (and a response already under way cannot be replaced).
            if started:
                raise
            await too_large.response()(scope, receive, send)


def _has_no_body(scope: Scope) -> bool:
    if not scope.get("http_version", "1.1").startswith("1"):
        return False  # HTTP/2 and 3 frame a body without either header
    return all(name != b"transfer-encoding" for name, _ in scope["headers"])


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    # The HTTP server already refused a malformed Content-Length; only digits reach the app.
    for name, value in headers:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None
