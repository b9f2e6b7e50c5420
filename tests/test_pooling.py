"""The connection pool under pressure and after failures, and the service through PgBouncer."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from impl.app import create_app
from impl.db import RequestDatabase
from impl.db_url import parse_database_url
from tests.pgbouncer import running_pgbouncer
from tests.support import TASKS, asyncpg_dsn, auth, fresh_postgres_database, settings_for, unavailable


@pytest.fixture(scope="module")
async def postgres_url(postgres_admin: str) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_admin) as url:
        yield url


async def _serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = auth("pool")
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            yield client


async def _queued(app: FastAPI) -> None:
    """Until a request waits at the gate: each pass yields one turn of the event loop, no timed wait."""
    while app.state.gate.waiting == 0:  # noqa: ASYNC110 - the gate has no event to wait on, by design
        await asyncio.sleep(0)


async def test_a_full_pool_is_a_prompt_503_with_retry_after(postgres_url: str) -> None:
    settings = settings_for(postgres_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=0.05)
    app = create_app(settings)
    async for client in _serving(app):
        held = RequestDatabase(app.state.gate)
        await held.execute(text("SELECT 1"))
        waiting = asyncio.create_task(client.get(TASKS))
        await asyncio.wait_for(_queued(app), timeout=5)
        # While a request waits for a connection, the event loop goes on serving everything else.
        assert (await client.get("/healthz")).status_code == 200
        assert app.state.gate.waiting == 1
        # The bound only detects a stall; a request waits db_pool_timeout_seconds for a connection.
        response = await asyncio.wait_for(waiting, timeout=5)
        await held.close()
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.headers["content-type"] == "application/problem+json"
        assert (await client.get(TASKS)).status_code == 200


async def test_a_connection_killed_while_idle_is_replaced_before_use(
    postgres_url: str, postgres_admin: str
) -> None:
    settings = settings_for(postgres_url, db_pool_size=1, db_max_overflow=0, db_ping_after_idle_seconds=0)
    app = create_app(settings)
    async for client in _serving(app):
        assert (await client.get(TASKS)).status_code == 200
        async with app.state.engine.connect() as connection:
            backend = await connection.scalar(text("SELECT pg_backend_pid()"))
        admin = await asyncpg.connect(asyncpg_dsn(postgres_admin))
        try:
            # Waits (up to 5 s) until the backend has exited.
            assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", backend)
        finally:
            await admin.close()

        assert (await client.get(TASKS)).status_code == 200


@pytest.mark.parametrize(
    ("url", "overrides", "size"),
    [
        ("postgresql://u@ep-cool-name-123456.eu-central-1.aws.neon.tech/db", {}, 100),
        ("postgresql://u@ep-cool-name-123456-pooler.eu-central-1.aws.neon.tech/db", {}, 0),
        ("postgresql://u@127.0.0.1:6432/db", {"db_statement_cache_size": 0}, 0),
        ("postgresql://u@ep-x-pooler.neon.tech/db", {"db_statement_cache_size": 50}, 50),
    ],
)
def test_statement_caches_are_off_behind_a_transaction_mode_pooler(
    url: str, overrides: dict[str, Any], size: int
) -> None:
    assert settings_for(url, **overrides).statement_cache_size == size
    assert parse_database_url(url).behind_pooler == ("-pooler." in url)


@pytest.fixture(scope="module")
def pgbouncer_url(postgres_url: str) -> Any:
    if shutil.which("pgbouncer") is None:
        unavailable("pgbouncer is not installed (apt-get install pgbouncer)")
    with running_pgbouncer(postgres_url, pool_size=2) as url:
        yield url


async def _life_of_a_task(client: httpx.AsyncClient, n: int) -> list[int]:
    created = await client.post(TASKS, json={"title": f"through pgbouncer {n}", "tags": ["pooled"]})
    location = created.headers["location"]
    statuses = [created.status_code]
    for request in (
        client.get(location),
        client.patch(location, json={"priority": "high", "due_at": None}),
        client.patch(f"{location}/complete"),
        client.get(TASKS, params={"tag": "pooled", "status": "completed", "limit": 5}),
        client.get(TASKS, params={"sort": "title", "q": "pgbouncer"}),
        client.delete(location),
        client.get(location),
    ):
        statuses.append((await request).status_code)
    return statuses


async def test_every_operation_works_through_a_transaction_mode_pgbouncer(pgbouncer_url: str) -> None:
    # Eight app connections share PgBouncer's two server connections, statement by statement.
    app = create_app(settings_for(pgbouncer_url, db_pool_size=8, db_statement_cache_size=0))
    async for client in _serving(app):
        results = await asyncio.gather(*(_life_of_a_task(client, n) for n in range(16)))
        assert results == [[201, 200, 200, 200, 200, 200, 204, 404]] * 16
        assert (await client.get("/readyz")).status_code == 200
        async with app.state.engine.connect() as connection:
            # Unnamed statements only: nothing is left behind on the shared server connections.
            leftovers = await connection.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        assert leftovers == 0
