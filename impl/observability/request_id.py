"""Request ids: one per request, taken from the caller when sane, returned on every response.

The id is the caller's `X-Request-ID` when it is 1-128 characters of a conservative alphabet (HTTP
token characters that are also valid in a URI, so it can be echoed in a header, a log line and a
problem's `instance` without escaping), else the trace id of a valid W3C `traceparent`, else a new
random 128-bit id in the same 32-hex-digit shape. Anything else the caller sent is ignored, never
echoed. The id lives in a context variable for the logs, and in `kit.problems`'s problem instance.
"""

from __future__ import annotations

import os
import re

from starlette.types import Scope

from impl.observability.context import REQUEST_ID
from kit.problems import PROBLEM_INSTANCE

HEADER = "X-Request-ID"
MAX_LENGTH = 128
# RFC 9110 tchar ∩ RFC 3986 pchar: letters, digits and ! $ & ' * + - . _ ~
_SANE_ID = re.compile(rb"[A-Za-z0-9!$&'*+._~-]{1,%d}" % MAX_LENGTH)
# version-traceid-parentid-flags; version ff is invalid, and version 00 has exactly these four fields.
_TRACEPARENT = re.compile(rb"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?")
_ZERO_TRACE_ID = b"0" * 32
_ZERO_PARENT_ID = b"0" * 16
_HEADER_NAME = HEADER.lower().encode()

# Where a request's id is kept in its ASGI scope, so whichever layer needs it first (the tracing
# middleware, outside every policy, or the request policies) settles it once for all the others.
SCOPE_KEY = "request_id"


def id_headers() -> dict[str, str]:
    """The response header that carries the current request's id, for responses sent outside the
    middleware (the 500 handler runs in Starlette's outermost error middleware)."""
    request_id = REQUEST_ID.get()
    return {HEADER: request_id} if request_id is not None else {}


def trace_id_of(traceparent: bytes) -> str | None:
    match = _TRACEPARENT.fullmatch(traceparent)
    if match is None:
        return None
    version, trace_id, parent_id, rest = match.groups()
    if version == b"ff" or (version == b"00" and rest is not None):
        return None
    if trace_id == _ZERO_TRACE_ID or parent_id == _ZERO_PARENT_ID:
        return None
    return trace_id.decode()


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    incoming = traceparent = None
    for name, value in headers:
        if name == _HEADER_NAME:
            incoming = value
        elif name == b"traceparent":
            traceparent = value
    if incoming is not None and _SANE_ID.fullmatch(incoming):
        return incoming.decode()
    from_trace = trace_id_of(traceparent) if traceparent is not None else None
    return from_trace or os.urandom(16).hex()


def request_id_of(scope: Scope) -> str:
    request_id: str | None = scope.get(SCOPE_KEY)
    if request_id is None:
        request_id = scope[SCOPE_KEY] = request_id_from(scope["headers"])
    return request_id


def problem_instance(request_id: str) -> str:
    return f"urn:request:{request_id}"


def name_request(scope: Scope) -> tuple[bytes, bytes]:
    """Settles the request's id for everything that runs while it is served, and returns the response
    header that carries it (impl/policies.py adds it to every answer, refusals of every policy included).

    The context variables are not reset afterwards: the 500 handler runs after the policies return (in
    the same task, so the value is this request's), and every request runs in a task of its own.
    """
    request_id = request_id_of(scope)
    REQUEST_ID.set(request_id)
    PROBLEM_INSTANCE.set(problem_instance(request_id))
    return (_HEADER_NAME, request_id.encode())
