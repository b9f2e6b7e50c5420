"""The service's problems (kit.problems.Problem subclasses) and the handlers that render every error.

Every refusal, whether raised here, by the kit (400, 406, 415) or by FastAPI and Starlette (404, 405,
parameter errors), leaves as application/problem+json; anything unexpected is a bare 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException

from impl.contract import CONTRACT
from impl.observability.metrics import UNAVAILABLE_RESPONSES
from impl.observability.request_id import id_headers
from kit.paths import AllowTable
from kit.problems import FieldError, Problem, problem_response

logger = logging.getLogger(__name__)


class NotFound(Problem):
    status = 404
    detail = "Task not found."


class Unauthorized(Problem):
    status = 401
    detail = "A valid bearer token is required."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class ServiceUnavailable(Problem):
    status = 503
    detail = "The database is unavailable; retry later."
    cause = "database"  # the label of the 503 counter (impl/observability/metrics.py)


# Served beside the contract's own paths, so a wrong method on them is a 405 with the right Allow.
SERVED_DOCUMENTS = {"/openapi.json": ["GET"], "/docs": ["GET"]}
ALLOW_TABLE = AllowTable({**CONTRACT.path_methods, **SERVED_DOCUMENTS})


def _parameter_errors(exc: RequestValidationError) -> list[FieldError]:
    # FastAPI reports parameters as ("query", "limit"); bodies never reach it (kit.http reads them).
    return [FieldError("/".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]


def install_error_handlers(app: FastAPI, retry_after_seconds: int) -> None:
    unavailable_headers = {"Retry-After": str(retry_after_seconds)}

    async def on_problem(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        if exc.status == 503:
            exc.headers = {**exc.headers, **unavailable_headers}
            UNAVAILABLE_RESPONSES.labels(exc.cause if isinstance(exc, ServiceUnavailable) else "other").inc()
        return exc.response()

    async def on_invalid_parameters(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = _parameter_errors(exc)
        return problem_response(400, "The request parameters do not match the contract.", errors=errors)

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(ALLOW_TABLE.allowed(request.url.path))
        return problem_response(exc.status_code, str(exc.detail), headers=headers)

    async def on_database_unavailable(_: Request, exc: Exception) -> Response:
        logger.warning("database unavailable: %s", type(exc).__name__)
        cause = "pool_timeout" if isinstance(exc, PoolTimeoutError) else "database"
        UNAVAILABLE_RESPONSES.labels(cause).inc()
        return problem_response(503, ServiceUnavailable.detail, headers=unavailable_headers)

    async def on_unexpected(_: Request, exc: Exception) -> Response:
        logger.exception("unhandled error", exc_info=exc)
        return problem_response(500, Problem.detail)

    async def on_uncaught(request: Request, exc: Exception) -> Response:
        # Sent by Starlette's outermost middleware, past the request id policy: the header is added here.
        response = await on_unexpected(request, exc)
        response.headers.update(id_headers())
        return response

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_invalid_parameters)
    app.add_exception_handler(HTTPException, on_http_exception)
    for unavailable in (OperationalError, InterfaceError, PoolTimeoutError, OSError, TimeoutError):
        app.add_exception_handler(unavailable, on_database_unavailable)
    app.add_exception_handler(DBAPIError, on_dbapi_error(on_database_unavailable, on_unexpected))
    app.add_exception_handler(Exception, on_uncaught)


def on_dbapi_error(unavailable: Any, unexpected: Any) -> Any:
    """A lost connection is the database being unavailable; any other driver error is a bug."""

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DBAPIError)
        handler = unavailable if exc.connection_invalidated else unexpected
        response: Response = await handler(request, exc)
        return response

    return handle
