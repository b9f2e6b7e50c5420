"""Fixtures: the real app over SQLite and PostgreSQL, and one HTTP client per user identity."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from impl.app import create_app
from tests.support import BACKENDS, auth, fresh_postgres_database, migrate, require_postgres, settings_for


@pytest.fixture(scope="session")
async def postgres_admin() -> str:
    return await require_postgres()


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'tasks.db'}"
        await migrate(url)
        yield url
        return
    async with fresh_postgres_database(await require_postgres()) as url:
        yield url


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(settings_for(database_url))
    async with application.router.lifespan_context(application):
        yield application


def _client(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


@pytest.fixture
def user_id_factory() -> Callable[[], str]:
    # Fresh identities per test: every query is scoped by user, so tests never see each other's data.
    return lambda: f"user-{uuid.uuid4().hex}"


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app) as client:
        yield client


@pytest.fixture
async def user_a(app: FastAPI, user_id_factory: Callable[[], str]) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app, auth(user_id_factory())) as client:
        yield client


@pytest.fixture
async def user_b(app: FastAPI, user_id_factory: Callable[[], str]) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app, auth(user_id_factory())) as client:
        yield client


@pytest.fixture
def backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"
