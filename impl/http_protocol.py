"""uvicorn's httptools protocol with the two bounds it lacks: header bytes and header time.

uvicorn (0.54) arms no timer until a first response is sent, and httptools buffers a header of any
size, so a client could hold a connection open forever by sending its headers a byte at a time
(slowloris), or make a worker buffer a 100 MB header. Here every request's headers must be complete
within `header_timeout_seconds` of the connection opening or the request's first byte (else 408
and close), and within `max_header_bytes` (else 431 and close; the app's HeaderLimits policy gives
the exact 431 for a block that arrived in one read). Served with `python -m impl.serve`.
"""

from __future__ import annotations

import asyncio
from functools import cache
from http import HTTPStatus
from typing import Any

import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from impl.limits import JSON_CONTENT_SECURITY_POLICY, PRIVATE_CACHE_CONTROL, SECURITY_HEADERS
from impl.settings import ServerLimits
from kit.problems import PROBLEM_MEDIA_TYPE


@cache
def server_limits() -> ServerLimits:
    # Each worker process imports this class by name, so it reads the limits from the environment.
    return ServerLimits()


def refusal(status: int, detail: str) -> bytes:
    """A complete HTTP/1.1 problem+json response that closes the connection, written before any app runs."""
    phrase = HTTPStatus(status).phrase
    body = orjson.dumps({"type": "about:blank", "title": phrase, "status": status, "detail": detail})
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *SECURITY_HEADERS,
        (b"content-security-policy", JSON_CONTENT_SECURITY_POLICY),
        (b"cache-control", PRIVATE_CACHE_CONTROL),
    ]
    head = f"HTTP/1.1 {status} {phrase}\r\n".encode() + b"".join(n + b": " + v + b"\r\n" for n, v in headers)
    return head + b"\r\n" + body


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = server_limits()
        self.header_timeout = limits.header_timeout_seconds
        self.max_header_bytes = limits.max_header_bytes
        self.header_deadline: asyncio.TimerHandle | None = None
        self.reading_headers = True
        self.header_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_done()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self.reading_headers or self.transport.is_closing():
            return
        # Still inside a header block after this read: it may grow only so far.
        self.header_bytes += len(data)
        if self.header_bytes > self.max_header_bytes:
            self._refuse(431, f"The request headers exceed {self.max_header_bytes} bytes.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._await_headers()

    def on_headers_complete(self) -> None:
        self._headers_done()
        super().on_headers_complete()

    def _await_headers(self) -> None:
        self.reading_headers = True
        self.header_bytes = 0
        if self.header_deadline is None:
            self.header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _headers_done(self) -> None:
        self.reading_headers = False
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _headers_too_slow(self) -> None:
        self.header_deadline = None
        if self.reading_headers and not self.transport.is_closing():
            self._refuse(408, f"The request headers did not arrive within {self.header_timeout:g} seconds.")

    def _refuse(self, status: int, detail: str) -> None:
        self._headers_done()
        self.transport.write(refusal(status, detail))
        self.transport.close()
