"""Fixtures: the real app over SQLite and PostgreSQL, and one HTTP client per user identity."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from impl.app import create_app
from impl.settings import Settings
from tests.support import (
    TEST_SECRET,
    auth,
    create_postgres_database,
    drop_postgres_database,
    migrate,
    postgres_admin_url,
    postgres_unreachable_reason,
)

BACKENDS = ["sqlite", "postgresql"]
# The suite shares one app, one client address and many users: limits far beyond what it sends, so
# only tests/test_ratelimit.py, which sets its own, ever meets one.
UNTRIPPABLE_LIMITS: dict[str, object] = {
    "rate_limit_per_user": "1000000/minute",
    "rate_limit_writes_per_user": "1000000/minute",
    "rate_limit_failed_auth_per_address": "1000000/minute",
}
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def settings_for(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "app_env": "production",
        "database_url": database_url,
        "better_auth_secret": TEST_SECRET,
        **UNTRIPPABLE_LIMITS,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def require_postgres() -> str:
    """The PostgreSQL admin URL; skips when there is no server, except under CI where that fails."""
    admin_url = postgres_admin_url()
    reason = await postgres_unreachable_reason(admin_url)
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason} (CI requires PostgreSQL)")
        pytest.skip(reason)
    return admin_url


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
    admin_url = await require_postgres()
    url = await create_postgres_database(admin_url)
    try:
        await migrate(url)
        yield url
    finally:
        await drop_postgres_database(admin_url, url)


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
