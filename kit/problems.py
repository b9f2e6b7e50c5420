"""The one error family: every refusal is a `Problem`, rendered as application/problem+json."""

from __future__ import annotations

from contextvars import ContextVar
from http import HTTPStatus
from typing import Any, ClassVar, NamedTuple

import orjson
from starlette.responses import Response

PROBLEM_MEDIA_TYPE = "application/problem+json"
# The `instance` of every problem rendered while a request is being served (a URI reference naming
# that request), set per request by whoever identifies requests; unset, problems carry none.
PROBLEM_INSTANCE: ContextVar[str | None] = ContextVar("problem_instance", default=None)


class FieldError(NamedTuple):
    """One problem with the request: where (a JSON pointer or `query/NAME`) and what."""

    pointer: str
    detail: str


class Problem(Exception):
    """An RFC 9457 problem. Subclasses fix `status` and a default `detail`."""

    status: ClassVar[int] = 500
    detail: str = "An unexpected error occurred."

    def __init__(
        self,
        detail: str | None = None,
        errors: list[FieldError] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.detail
        super().__init__(self.detail)
        self.errors = errors or []
        self.headers = headers or {}

    def response(self) -> Response:
        return problem_response(self.status, self.detail, errors=self.errors, headers=self.headers)


class InvalidRequest(Problem):
    """The request does not satisfy the contract."""

    status = 400
    detail = "The request does not match the contract."


class NotAcceptable(Problem):
    status = 406
    detail = "The response cannot be rendered in a media type the request accepts."


class UnsupportedMediaType(Problem):
    status = 415
    detail = "The request body must be application/json."


def problem_response(
    status: int,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    instance = PROBLEM_INSTANCE.get()
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = [{"pointer": e.pointer, "detail": e.detail} for e in errors]
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)
