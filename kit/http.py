"""Request and response plumbing the generated routes call: bodies, content negotiation, rendering."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import orjson
from pydantic import BaseModel
from pydantic import ValidationError as ModelError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from kit.contract import Contract
from kit.problems import FieldError, InvalidRequest, NotAcceptable, UnsupportedMediaType
from kit.validation import MAX_DEPTH, BodySchema, pointer, too_deep

JSON_MEDIA_TYPE = "application/json"
JSON_MEDIA_TYPE_BYTES = JSON_MEDIA_TYPE.encode()
EVENT_STREAM_MEDIA_TYPE = "text/event-stream"
# RFC 9110 qvalue; a malformed one is ignored, so the media range counts as acceptable.
QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
BODY_MISMATCH = "The request body does not match the contract."
Model = TypeVar("Model", bound=BaseModel)


class BodyReader(Generic[Model]):
    """Reads one operation's JSON body: media type, syntax, the contract's schema, then the model."""

    def __init__(self, contract: Contract, model: type[Model]) -> None:
        # The generated models carry the names of the contract's component schemas.
        self._schema = BodySchema(contract, model.__name__)
        self._model = model

    async def required(self, request: Request) -> Model:
        body = await self.optional(request)
        if body is None:
            raise InvalidRequest("A JSON request body is required.", [FieldError("/", "is required")])
        return body

    async def optional(self, request: Request) -> Model | None:
        """The body as the model, or None when the request has none."""
        raw = await request.body()
        if not raw.strip():
            return None
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != JSON_MEDIA_TYPE and not media_type.endswith("+json"):
            raise UnsupportedMediaType()
        data = _parse_json(raw)
        errors = self._schema.errors(data)
        if errors:
            raise InvalidRequest(BODY_MISMATCH, errors)
        try:
            return self._model.model_validate(data)
        except ModelError as exc:
            errors = [FieldError(pointer(e["loc"]), e["msg"]) for e in exc.errors(include_input=False)]
            raise InvalidRequest(BODY_MISMATCH, errors) from None


def _parse_json(raw: bytes) -> Any:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidRequest("The request body is not valid JSON.") from None
    if too_deep(data):
        raise InvalidRequest(f"The request body nests arrays and objects more than {MAX_DEPTH} deep.")
    return data


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q" and QVALUE.fullmatch(value.strip()):
            return float(value)
    return 1.0


def _accepts(accept: str, media_type: str) -> bool:
    acceptable = ("*/*", media_type.split("/")[0] + "/*", media_type)
    for media_range in accept.split(","):
        name, *parameters = media_range.split(";")
        if name.strip().lower() in acceptable and _quality(parameters) > 0:
            return True
    return False


def negotiate(request: Request, media_type: str) -> None:
    """Refuse (406) a request whose Accept header rules out the only representation the route has."""
    accept = request.headers.get("accept", "")
    # No Accept header, or an empty one, means any media type will do (RFC 9110, section 12.5.1).
    if accept.strip() and not _accepts(accept, media_type):
        raise NotAcceptable(
            f"The response can only be {media_type}.",
            [FieldError("header/accept", f"must allow {media_type}")],
        )


class NotModified:
    """A handler's answer to a conditional GET whose validator still matches: 304, no body.

    The headers the handler set (its `ETag`) go out with it, as RFC 9110 section 15.4.5 asks.
    """


NOT_MODIFIED = NotModified()


@dataclass(frozen=True, slots=True)
class Rendered:
    """A representation the handler already rendered to bytes: a stored response replayed as sent."""

    content: bytes


def response_headers() -> Response:
    """The `Response` a handler sets its headers on; `render` copies them onto the answer."""
    response = Response()
    del response.headers["content-length"]
    return response


def render(status_code: int, content: bytes | None, headers: Response | None = None) -> Response:
    """A response with `content` as JSON: `headers`, the response a handler set its headers on,
    completed in place (a second response with the headers copied over costs a request more)."""
    response = headers if headers is not None else response_headers()
    response.status_code = status_code
    response.body = content if content is not None else b""
    described: list[tuple[bytes, bytes]] = []
    # As Starlette's Response: no Content-Length on an informational, 204 or 304 answer.
    if not (status_code < 200 or status_code in (204, 304)):
        described.append((b"content-length", str(len(response.body)).encode()))
    if content is not None:
        described.append((b"content-type", JSON_MEDIA_TYPE_BYTES))
    response.raw_headers[:0] = described
    return response


class EventStream(Protocol):
    """Server-sent events a handler produces: the encoded frames, and a close that frees what it holds.

    `aclose` is called once the response ends, however it ends (client gone, shutdown, cancellation),
    even if the frames were never iterated; it must be idempotent.
    """

    def frames(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


def event_frame(event: str, data: bytes, event_id: str | None = None) -> bytes:
    """One server-sent event; `data` is one line of JSON (orjson never writes a newline)."""
    frame = f"event: {event}\n".encode()
    if event_id is not None:
        frame += f"id: {event_id}\n".encode()
    return frame + b"data: " + data + b"\n\n"


class EventStreamResponse(StreamingResponse):
    """A `text/event-stream` response that always closes its stream, and that proxies do not buffer."""

    def __init__(self, stream: EventStream) -> None:
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        super().__init__(stream.frames(), media_type=EVENT_STREAM_MEDIA_TYPE, headers=headers)
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._stream.aclose()


def stream_events(stream: EventStream) -> Response:
    return EventStreamResponse(stream)


async def method_not_allowed(_: Request) -> Response:
    """The route of a method a path does not document; the service's 405 handler adds `Allow`."""
    raise HTTPException(405)
