"""Helpers shared by the tests: real tokens, real migrations, real databases, the API's paths.

Test modules import shared helpers from here (or from tests.live_server), never from each other.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import asyncpg
import httpx
import jwt
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from impl.app import create_app
from impl.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = secrets.token_urlsafe(48)
TEST_CURSOR_SECRET = "test-cursor-secret-" + "c" * 32
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Every database-backed test runs on each of these.
BACKENDS = ["sqlite", "postgresql"]
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
TASKS = "/api/tasks"
NEXT_LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def unavailable(reason: str) -> NoReturn:
    """Skips for a missing service or tool; under CI, where everything must run, fails instead."""
    if IN_CI:
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


UNTRIPPABLE_LIMITS: dict[str, object] = {
    "rate_limit_per_user": "1000000/minute",
    "rate_limit_writes_per_user": "1000000/minute",
    "rate_limit_failed_auth_per_address": "1000000/minute",
}


def settings_for(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "app_env": "production",
        "database_url": database_url,
        "better_auth_secret": TEST_SECRET,
        # Shared by every app a test builds, so a JWKS-only app (no secret to derive it from) starts.
        "cursor_secret": TEST_CURSOR_SECRET,
        # The suite shares one client address and many users: limits far beyond what it sends, so
        # only tests/test_rate_limit.py, which sets its own, ever meets one.
        **UNTRIPPABLE_LIMITS,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post(TASKS, json={"title": "A task", **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def all_pages(client: httpx.AsyncClient, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a listing, following the next links."""
    pages = []
    response = await client.get(TASKS, params=params)
    while True:
        assert response.status_code == 200, response.text
        pages.append(response.json())
        link = response.headers.get("link")
        if link is None:
            return pages
        match = NEXT_LINK.match(link)
        assert match, link
        response = await client.get(match["url"])


def sign_token(
    sub: str | None,
    *,
    secret: str = TEST_SECRET,
    algorithm: str = "HS256",
    expires_in: timedelta = timedelta(minutes=15),
    extra: Mapping[str, Any] | None = None,
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"iat": now, "exp": now + expires_in, **(extra or {})}
    if sub is not None:
        claims["sub"] = sub
    return jwt.encode(claims, secret, algorithm=algorithm)


def auth(user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sign_token(user_id)}"}


def http_scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The ASGI scope of one HTTP/1.1 request to `path` (no query string), for calling an app directly."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def asgi_status(
    app: Any,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    *,
    query: bytes = b"",
    body: bytes = b"",
) -> int:
    """Calls an ASGI app with one whole HTTP request, as a server would, and returns the response's status."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(http_scope(method, path, headers) | {"query_string": query}, receive, send)
    return status


@asynccontextmanager
async def serving(database_url: str, user: str, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on `database_url` (with `settings` overridden), started, and a client signed in
    as `user`. Unexpected errors are answered as 500s, as a server would, not raised into the test."""
    app = create_app(settings_for(database_url, **settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=auth(user)
        ) as client:
            yield client


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def migrate_blocking(database_url: str, revision: str = "head") -> None:
    """For callers outside an event loop (env.py runs its own), such as the benchmark's seeder."""
    command.upgrade(alembic_config(database_url), revision)


async def migrate(database_url: str, revision: str = "head") -> None:
    # env.py runs its own event loop, so it must run outside the test's loop.
    await asyncio.to_thread(migrate_blocking, database_url, revision)


def postgres_admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_postgres_database(admin_url: str, prefix: str = "todo_test") -> str:
    """A fresh database beside `admin_url`'s, so concurrent test runs never share tables."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    connection = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(admin_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    connection = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@asynccontextmanager
async def fresh_postgres_database(
    admin_url: str, *, prefix: str = "todo_test", migrated: bool = True
) -> AsyncIterator[str]:
    """The URL of a new database (migrated to head unless told otherwise), dropped afterwards."""
    url = await create_postgres_database(admin_url, prefix)
    try:
        if migrated:
            await migrate(url)
        yield url
    finally:
        await drop_postgres_database(admin_url, url)


async def require_postgres() -> str:
    """The PostgreSQL admin URL; skips when there is no server, except under CI where that fails."""
    admin_url = postgres_admin_url()
    reason = await postgres_unreachable_reason(admin_url)
    if reason is not None:
        unavailable(reason)
    return admin_url


async def postgres_unreachable_reason(admin_url: str) -> str | None:
    try:
        connection = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        where = make_url(admin_url).render_as_string()
        return f"PostgreSQL not reachable at {where} ({type(exc).__name__}); set TEST_DATABASE_URL"
    await connection.close()
    return None
