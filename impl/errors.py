"""One exception family, rendered as application/problem+json (RFC 9457) by one set of handlers."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException

from generated.runtime import CONTRACT, FieldError, InvalidRequest
from impl.db_errors import is_database_unavailable

logger = logging.getLogger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"


class ApiError(Exception):
    status: int = 500
    detail: str = "An unexpected error occurred."

    def __init__(
        self,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail
        self.headers = headers or {}
        self.errors = errors or []


class NotFound(ApiError):
    status = 404
    detail = "Task not found."


class Unauthorized(ApiError):
    status = 401
    detail = "A valid bearer token is required."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


class ServiceUnavailable(ApiError):
    status = 503
    detail = "The database is unavailable; retry later."


def problem(
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
    if errors:
        body["errors"] = [{"pointer": e.pointer, "detail": e.detail} for e in errors]
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _parameter_errors(exc: RequestValidationError) -> list[FieldError]:
    # FastAPI reports parameters as ("query", "limit"); bodies never reach it (generated/runtime).
    return [FieldError("/".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]


HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")
SERVED_DOCUMENTS: dict[str, dict[str, Any]] = {"/openapi.json": {"get": {}}, "/docs": {"get": {}}}


def _method_table() -> list[tuple[re.Pattern[str], list[str]]]:
    """Each contract path as a pattern, with the methods it documents, to answer a 405's Allow."""
    paths = {**CONTRACT["paths"], **SERVED_DOCUMENTS}
    return [
        (
            re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"),
            sorted(m for m in (k.upper() for k in item) if m in HTTP_METHODS),
        )
        for path, item in paths.items()
    ]


METHOD_TABLE = _method_table()


def _allowed_methods(path: str) -> list[str]:
    return next((methods for pattern, methods in METHOD_TABLE if pattern.match(path)), [])


# What a database fault can surface as; OSError includes TimeoutError and refused connections.
DATABASE_ERRORS = (DBAPIError, PoolTimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


def install_error_handlers(app: FastAPI, retry_after_seconds: int) -> None:
    unavailable_headers = {"Retry-After": str(retry_after_seconds)}

    async def on_api_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        headers = {**exc.headers, **(unavailable_headers if exc.status == 503 else {})}
        return problem(exc.status, exc.detail, errors=exc.errors, headers=headers)

    async def on_invalid_request(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, InvalidRequest)
        return problem(exc.status, exc.detail, errors=exc.errors)

    async def on_invalid_parameters(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = _parameter_errors(exc)
        return problem(400, "The request parameters do not match the contract.", errors=errors)

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request.url.path))
        return problem(exc.status_code, str(exc.detail), headers=headers)

    async def on_database_unavailable(_: Request, exc: Exception) -> Response:
        logger.warning("database unavailable: %s", type(exc).__name__)
        return problem(503, ServiceUnavailable.detail, headers=unavailable_headers)

    async def on_unexpected(_: Request, exc: Exception) -> Response:
        logger.exception("unhandled error", exc_info=exc)
        return problem(500, ApiError.detail)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(InvalidRequest, on_invalid_request)
    app.add_exception_handler(RequestValidationError, on_invalid_parameters)
    app.add_exception_handler(HTTPException, on_http_exception)
    # Every error a database can raise goes through one classification (impl/db_errors.py).
    classify = on_dbapi_error(on_database_unavailable, on_unexpected)
    for database_error in DATABASE_ERRORS:
        app.add_exception_handler(database_error, classify)
    app.add_exception_handler(Exception, on_unexpected)


def on_dbapi_error(unavailable: Any, unexpected: Any) -> Any:
    """The database not being there right now is a 503; any other database error is a bug, a 500."""

    async def handle(request: Request, exc: Exception) -> Response:
        handler = unavailable if is_database_unavailable(exc) else unexpected
        response: Response = await handler(request, exc)
        return response

    return handle
