"""Failure modes: unknown routes, wrong methods, an unreachable database, and unexpected errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from impl.app import create_app
from tests.live_server import free_port
from tests.support import TASKS, auth, fresh_postgres_database, settings_for


async def test_unknown_route_is_a_404_problem(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", TASKS, "GET, POST"),
        ("DELETE", TASKS, "GET, POST"),
        ("POST", f"{TASKS}/1", "DELETE, GET, PATCH, PUT"),
        ("GET", f"{TASKS}/1/complete", "PATCH"),
    ],
)
async def test_wrong_method_is_405_with_every_allowed_method(
    anonymous: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await anonymous.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["status"] == 405


@pytest.mark.parametrize(("path", "allow"), [(TASKS, "GET, POST"), ("/healthz", "GET")])
async def test_head_is_405_because_the_contract_documents_none(
    anonymous: httpx.AsyncClient, path: str, allow: str
) -> None:
    response = await anonymous.head(path)

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/problem+json"


def _silent_listener() -> socket.socket:
    """A TCP port that accepts connections and never answers, like a database behind a dead link."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    return listener


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    listener = _silent_listener()
    yield listener.getsockname()[1]
    listener.close()


def _accepts_tcp(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(params=["refused", "silent"])
async def unreachable_app(request: pytest.FixtureRequest, silent_port: int) -> AsyncIterator[FastAPI]:
    silent = request.param == "silent"
    # A free port was just released, so nothing listens there: the connection is refused at once.
    port = silent_port if silent else free_port()
    # The two cases differ only in the port: if they ever collapse into one, fail rather than pass twice.
    assert _accepts_tcp(port) is silent, f"the {request.param} case got a port that does not fit it"
    app = create_app(settings_for(f"postgresql://nobody@127.0.0.1:{port}/todo"))
    async with app.router.lifespan_context(app):
        yield app


@pytest.mark.parametrize(("method", "path"), [("GET", TASKS), ("POST", TASKS), ("GET", "/readyz")])
async def test_unreachable_database_is_a_prompt_503_with_retry_after(
    unreachable_app: FastAPI, method: str, path: str
) -> None:
    transport = httpx.ASGITransport(app=unreachable_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=auth("u1")
    ) as client:
        # The 5-second bound is a hang detector, not a performance target: the settings allow ~1 s.
        response = await asyncio.wait_for(client.request(method, path, json={"title": "x"}), timeout=5)
        alive = await client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["detail"] == "The database is unavailable; retry later."
    assert alive.status_code == 200


async def test_an_unexpected_database_error_is_a_500_without_internals(postgres_admin: str) -> None:
    # An unmigrated database makes every query fail in a way no request can cause or fix.
    async with fresh_postgres_database(postgres_admin, migrated=False) as url:
        app = create_app(settings_for(url))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://t", headers=auth("u")
            ) as client:
                response = await client.get(TASKS)
    assert response.status_code == 500
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "An unexpected error occurred.",
        "instance": f"urn:request:{response.headers['x-request-id']}",
    }
    assert "tasks" not in response.text
