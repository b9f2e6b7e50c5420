"""The connections the gate keeps checked out between requests (PostgreSQL): lent again without
SQLAlchemy's checkout, pinged only when they may be dead, replaced when they are, never carrying a
transaction from one request to the next, and closed at shutdown. Real connections, real backends:
a backend is killed with pg_terminate_backend, which waits until it has exited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from impl.app import create_app
from impl.db import ConnectionGate
from tests.support import TASKS, asyncpg_dsn, auth, fresh_postgres_database, settings_for

# A threshold every reuse exceeds (each connection is pinged), and one no test reaches (none is).
ALWAYS = 0.0
NEVER = 3600.0


@pytest.fixture(scope="module")
async def postgres_url(postgres_admin: str) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_admin) as url:
        yield url


@pytest.fixture
async def admin(postgres_admin: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(postgres_admin))
    try:
        yield connection
    finally:
        await connection.close()


@asynccontextmanager
async def started(url: str, *, pool_size: int, ping_after: float) -> AsyncIterator[FastAPI]:
    settings = settings_for(
        url, db_pool_size=pool_size, db_max_overflow=0, db_ping_after_idle_seconds=ping_after
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://t", headers=auth("held"))


async def backend_of(connection: AsyncConnection) -> int:
    return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def driver_of(connection: AsyncConnection) -> asyncpg.Connection:
    driver = (await connection.get_raw_connection()).driver_connection
    assert isinstance(driver, asyncpg.Connection)
    return driver


async def lent_backend(gate: ConnectionGate) -> int:
    """The backend of the connection the gate lends next, given straight back."""
    async with gate.borrowed() as connection:
        return await backend_of(connection)


async def last_statement(admin: asyncpg.Connection, backend: int) -> str:
    return str(await admin.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", backend))


async def terminate(admin: asyncpg.Connection, backend: int) -> None:
    assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", backend)


async def test_a_connection_given_back_is_lent_again_without_a_pool_checkout(postgres_url: str) -> None:
    async with started(postgres_url, pool_size=2, ping_after=NEVER) as app:
        gate: ConnectionGate = app.state.gate
        # By driver connection: the tombstone purge checks out a connection of its own meanwhile.
        checked_out: list[object] = []
        event.listen(
            app.state.engine.sync_engine.pool,
            "checkout",
            lambda dbapi_connection, *_: checked_out.append(dbapi_connection.driver_connection),
        )
        connection = await gate.connect()
        driver = await driver_of(connection)
        await gate.release(connection)
        async with client(app) as api:
            assert [(await api.get(TASKS)).status_code for _ in range(3)] == [200] * 3
        again = await gate.connect()
        await gate.release(again)
    assert again is connection
    assert checked_out.count(driver) == 1


async def test_a_connection_idle_past_the_threshold_is_pinged_before_use(
    postgres_url: str, admin: asyncpg.Connection
) -> None:
    async with started(postgres_url, pool_size=2, ping_after=ALWAYS) as app:
        backend = await lent_backend(app.state.gate)
        assert await last_statement(admin, backend) != ";"
        async with app.state.gate.borrowed():
            assert await last_statement(admin, backend) == ";"  # the ping, before anything was run


async def test_a_connection_in_steady_use_is_not_pinged_until_connections_are_lost(
    postgres_url: str, admin: asyncpg.Connection
) -> None:
    async with started(postgres_url, pool_size=2, ping_after=NEVER) as app:
        gate: ConnectionGate = app.state.gate
        backend = await lent_backend(gate)
        connection = await gate.connect()
        await gate.release(connection)
        assert await last_statement(admin, backend) == "SELECT pg_backend_pid()"
        gate.connections_lost()
        connection = await gate.connect()
        await gate.release(connection)
        assert await last_statement(admin, backend) == ";"


async def test_a_dead_connection_is_replaced_with_every_older_one_and_the_request_served(
    postgres_url: str, admin: asyncpg.Connection
) -> None:
    async with started(postgres_url, pool_size=4, ping_after=ALWAYS) as app:
        gate: ConnectionGate = app.state.gate
        busy, older, newer = await gate.connect(), await gate.connect(), await gate.connect()
        held = [await backend_of(connection) for connection in (busy, older, newer)]
        await gate.release(older)
        await gate.release(newer)  # lent first
        await terminate(admin, held[2])
        async with client(app) as api:
            assert (await api.get(TASKS)).status_code == 200
        await gate.release(busy)
        lent = [await gate.connect() for _ in range(3)]
        try:
            # The others still worked, but were held before a connection was found dead, as SQLAlchemy's
            # pool replaces every connection older than one that failed its ping.
            assert {await backend_of(connection) for connection in lent}.isdisjoint(held)
        finally:
            for connection in lent:
                await gate.release(connection)


async def test_a_disconnect_seen_by_sqlalchemy_replaces_the_connections_the_gate_holds(
    postgres_url: str, admin: asyncpg.Connection
) -> None:
    # SQLAlchemy invalidates its whole pool on a disconnect; the gate's idle connections are in it.
    async with started(postgres_url, pool_size=3, ping_after=NEVER) as app:
        gate: ConnectionGate = app.state.gate
        cut, idle = await gate.connect(), await gate.connect()
        idle_backend = await backend_of(idle)
        await gate.release(idle)
        await terminate(admin, await backend_of(cut))
        with pytest.raises(DBAPIError) as raised:
            await cut.execute(text("SELECT 1"))
        assert raised.value.connection_invalidated
        await gate.release(cut)
        assert await lent_backend(gate) != idle_backend


async def test_a_transaction_left_open_on_the_driver_is_rolled_back_before_the_next_request(
    postgres_url: str,
) -> None:
    async with started(postgres_url, pool_size=2, ping_after=NEVER) as app:
        gate: ConnectionGate = app.state.gate
        connection = await gate.connect()
        backend = await backend_of(connection)
        driver = await driver_of(connection)
        await driver.execute("BEGIN; SET LOCAL application_name = 'left open'")
        await gate.release(connection)
        async with gate.borrowed() as connection:
            assert await backend_of(connection) == backend  # kept, not replaced
            assert not driver.is_in_transaction()
            assert await connection.scalar(text("SELECT current_setting('application_name')")) != "left open"


async def test_a_transaction_left_open_in_sqlalchemy_is_rolled_back_before_the_next_request(
    postgres_url: str,
) -> None:
    async with started(postgres_url, pool_size=2, ping_after=NEVER) as app:
        gate: ConnectionGate = app.state.gate
        connection = await gate.connect()
        await connection.execute(text("SELECT 1"))  # begins SQLAlchemy's transaction, never committed
        assert connection.in_transaction()
        await gate.release(connection)
        async with gate.borrowed() as again:
            assert again is connection
            assert not again.in_transaction()


async def test_a_connection_that_cannot_roll_back_is_not_lent_again(
    postgres_url: str, admin: asyncpg.Connection
) -> None:
    async with started(postgres_url, pool_size=2, ping_after=NEVER) as app:
        gate: ConnectionGate = app.state.gate
        connection = await gate.connect()
        backend = await backend_of(connection)
        driver = await driver_of(connection)
        await driver.execute("BEGIN")
        await terminate(admin, backend)
        await gate.release(connection)
        # No ping before reuse here: only the failed rollback keeps the dead connection from being lent.
        assert await lent_backend(gate) != backend


async def test_one_pool_connection_is_left_to_the_engines_own_users(postgres_url: str) -> None:
    # The tombstone purge connects through the engine; it must not wait for the pool timeout while
    # the gate holds every connection idle.
    async with started(postgres_url, pool_size=2, ping_after=NEVER) as app:
        gate: ConnectionGate = app.state.gate
        first, second = await gate.connect(), await gate.connect()
        await gate.release(first)
        await gate.release(second)
        async with app.state.engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1


async def test_shutdown_closes_the_connections_the_gate_holds(
    postgres_url: str, admin: asyncpg.Connection
) -> None:
    async with started(postgres_url, pool_size=3, ping_after=NEVER) as app:
        gate: ConnectionGate = app.state.gate
        connections = [await gate.connect() for _ in range(3)]
        backends = [await backend_of(connection) for connection in connections]
        for connection in connections:
            await gate.release(connection)
        still_open = "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])"
        assert await admin.fetchval(still_open, backends) == 3
    # A graceful close returns once the server has closed the connection, its backend gone by then.
    assert await admin.fetchval(still_open, backends) == 0
