"""The service's problems (kit.problems.Problem subclasses) and the handlers that render every error.

Every refusal, whether raised here, by the kit (400, 406, 415) or by Starlette (404, 405), leaves as
application/problem+json; anything unexpected is a bare 500.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException

from impl.contract import CONTRACT
from impl.db_errors import is_database_unavailable, is_lock_wait
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


class ContentTooLarge(Problem):
    status = 413
    detail = "The request body is too large."


class HeadersTooLarge(Problem):
    status = 431
    detail = "The request headers are too large."


class ServiceUnavailable(Problem):
    status = 503
    detail = "The database is unavailable; retry later."
    cause = "database"  # the label of the 503 counter (impl/observability/metrics.py)


class PreconditionFailed(Problem):
    """If-Match named none of the task's current tags; `etag` is the current one, to refetch."""

    status = 412
    detail = "The task has changed since the version in If-Match."

    def __init__(self, etag: str) -> None:
        errors = [FieldError("header/if-match", "does not match the current ETag")]
        super().__init__(errors=errors, headers={"ETag": etag})


class PreconditionRequired(Problem):
    status = 428
    detail = "This write needs an If-Match header with the task's ETag."

    def __init__(self) -> None:
        super().__init__(errors=[FieldError("header/if-match", "is required")])


class IdempotencyKeyReused(Problem):
    status = 422
    detail = "This Idempotency-Key was used for a different request."

    def __init__(self) -> None:
        super().__init__(errors=[FieldError("header/idempotency-key", "was used for a different request")])


# Served beside the contract's own paths, so a wrong method on them is a 405 with the right Allow.
SERVED_DOCUMENTS = {"/openapi.json": ["GET"], "/docs": ["GET"]}
ALLOW_TABLE = AllowTable({**CONTRACT.path_methods, **SERVED_DOCUMENTS})


# What a database fault can surface as; OSError includes TimeoutError and refused connections.
DATABASE_ERRORS = (
    DBAPIError,
    PoolTimeoutError,
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    # TargetServerAttributeNotMatched (mid-failover) is one of these, raised straight from the driver.
    asyncpg.InternalClientError,
)


def install_error_handlers(app: FastAPI, retry_after_seconds: int) -> None:
    unavailable_headers = {"Retry-After": str(retry_after_seconds)}

    async def on_problem(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        if exc.status == 503:
            exc.headers = {**exc.headers, **unavailable_headers}
            UNAVAILABLE_RESPONSES.labels(exc.cause if isinstance(exc, ServiceUnavailable) else "other").inc()
        return exc.response()

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(ALLOW_TABLE.allowed(request.url.path))
        return problem_response(exc.status_code, str(exc.detail), headers=headers)

    async def on_database_unavailable(_: Request, exc: Exception) -> Response:
        logger.warning("database unavailable: %s", type(exc).__name__)
        UNAVAILABLE_RESPONSES.labels(_unavailable_cause(exc)).inc()
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
    app.add_exception_handler(HTTPException, on_http_exception)
    # Every error a database can raise goes through one classification (impl/db_errors.py).
    classify = on_dbapi_error(on_database_unavailable, on_unexpected)
    for database_error in DATABASE_ERRORS:
        app.add_exception_handler(database_error, classify)
    app.add_exception_handler(Exception, on_uncaught)


def _unavailable_cause(exc: Exception) -> str:
    """The 503 counter's label: a full pool and a busy SQLite are load, the database itself is not."""
    if isinstance(exc, PoolTimeoutError):
        return "pool_timeout"
    return "write_lock" if is_lock_wait(exc) else "database"


def on_dbapi_error(unavailable: Any, unexpected: Any) -> Any:
    """The database not being there right now is a 503; any other database error is a bug, a 500."""

    async def handle(request: Request, exc: Exception) -> Response:
        handler = unavailable if is_database_unavailable(exc) else unexpected
        response: Response = await handler(request, exc)
        return response

    return handle
