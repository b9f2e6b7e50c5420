"""The route dispatch answers a matched route and renders its errors as Starlette's exception
middleware, router and route would: the handler of the nearest class, a status handler first for
an HTTPException, no second response once one has started, and everything else through the router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from impl.app import create_app
from kit.routing import OperationRoute, RouteDispatch, RouteTable
from tests.support import settings_for


class Refused(Exception):
    pass


class RefusedLoudly(Refused):
    pass


async def _refused(_: Request) -> Response:
    raise RefusedLoudly("no")


async def _teapot(_: Request) -> Response:
    raise HTTPException(418, "short and stout")


async def _gone(_: Request) -> Response:
    raise HTTPException(410, "gone")


async def _bug(_: Request) -> Response:
    raise RuntimeError("a bug")


async def _broken_stream(_: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first chunk"
        raise Refused("mid-stream")

    return StreamingResponse(chunks())


async def _on_refused(_: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"refused: {type(exc).__name__}", status_code=409)


async def _on_teapot(_: Request, exc: Exception) -> Response:
    return PlainTextResponse("by status", status_code=418)


HANDLERS: dict[Any, Any] = {Refused: _on_refused, 418: _on_teapot}
ROUTES = {
    "/refused": _refused,
    "/teapot": _teapot,
    "/gone": _gone,
    "/bug": _bug,
    "/stream": _broken_stream,
}


def _dispatching_app() -> Starlette:
    table = RouteTable(OperationRoute(path, endpoint, methods=["GET"]) for path, endpoint in ROUTES.items())
    app = Starlette(routes=[table])
    app.middleware_stack = RouteDispatch(table, app.router, HANDLERS)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_dispatching_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def test_an_error_is_rendered_by_the_handler_of_its_nearest_class(client: httpx.AsyncClient) -> None:
    response = await client.get("/refused")
    assert (response.status_code, response.text) == (409, "refused: RefusedLoudly")


async def test_an_http_exception_goes_to_the_handler_of_its_status_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/teapot")
    assert (response.status_code, response.text) == (418, "by status")


async def test_an_http_exception_without_a_status_handler_gets_starlettes_default(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/gone")
    assert (response.status_code, response.text) == (410, "gone")


async def test_an_exception_no_handler_takes_reaches_the_server(client: httpx.AsyncClient) -> None:
    with pytest.raises(RuntimeError, match="a bug"):
        await client.get("/bug")


async def test_an_error_after_the_response_started_is_not_answered_twice(client: httpx.AsyncClient) -> None:
    with pytest.raises(RuntimeError, match="response already started"):
        await client.get("/stream")


async def test_a_request_no_route_of_the_table_matches_goes_to_the_router(client: httpx.AsyncClient) -> None:
    assert (await client.get("/nowhere")).status_code == 404
    assert (await client.post("/refused")).status_code == 405


def test_a_synchronous_exception_handler_is_refused_when_built() -> None:
    def synchronous(_: Request, exc: Exception) -> Response:
        return PlainTextResponse("sync")

    with pytest.raises(TypeError, match="must be async"):
        RouteDispatch(RouteTable([]), Starlette().router, {Refused: synchronous})


def test_the_service_refuses_a_middleware_added_outside_its_request_path(tmp_path: Path) -> None:
    app = create_app(settings_for(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))
    app.add_middleware(GZipMiddleware)
    with pytest.raises(RuntimeError, match="request_path"):
        app.build_middleware_stack()
