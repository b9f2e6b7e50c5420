"""The async engine, and one connection per request committed once at the end.

On PostgreSQL every request runs exactly one statement (an UPDATE … RETURNING, an INSERT … RETURNING,
a SELECT), which PostgreSQL makes atomic by itself, so the engine runs in autocommit: wrapping that
statement in BEGIN … COMMIT would triple the round trips of every request. A handler that ever needs
two statements to commit together must open its own transaction on a connection with
`execution_options(isolation_level="READ COMMITTED")`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Result
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import Executable

from impl.observability.metrics import DB_CONNECTIONS_IN_USE, DB_REQUESTS_WAITING
from impl.settings import Settings

SQLITE_BUSY_TIMEOUT_SECONDS = 5
SQLITE_POOL_CAPACITY = 15


# SQLite's lower() and LIKE fold ASCII letters only ("Ü" stays "Ü"), where PostgreSQL's ILIKE folds
# every letter; this function, registered on each SQLite connection, lets a search fold like PostgreSQL.
SQLITE_UNICODE_LOWER = "unicode_lower"


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while one writer commits; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    dbapi_connection.create_function(SQLITE_UNICODE_LOWER, 1, _unicode_lower, deterministic=True)


def create_engine(settings: Settings) -> AsyncEngine:
    database = settings.database
    if database.dialect == "sqlite":
        engine = create_async_engine(
            database.url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, hide_parameters=True
        )
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        return engine
    engine = create_async_engine(
        database.url,
        # Bound values are the users' data: kept out of error messages, and so out of the logs.
        hide_parameters=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        isolation_level="AUTOCOMMIT",
        # A page of 50 tasks decodes 50 JSONB tag lists; orjson does it several times faster.
        json_deserializer=orjson.loads,
        connect_args={
            **database.connect_args,
            **_statement_cache_args(settings.statement_cache_size),
            "timeout": settings.db_connect_timeout_seconds,
            "command_timeout": settings.db_statement_timeout_seconds,
        },
    )
    _ping_when_idle(engine, settings.db_ping_after_idle_seconds)
    return engine


def _unnamed_statement() -> str:
    return ""


def _statement_cache_args(size: int) -> dict[str, Any]:
    """asyncpg's and SQLAlchemy's prepared statement caches; off (0) behind a transaction-mode pooler.

    With the caches off, statements are also left unnamed: asyncpg then re-parses an unnamed statement
    in the same message batch that executes it, so nothing depends on which server connection the
    pooler picks, and no named statement is ever left behind on a server connection.
    """
    args: dict[str, Any] = {"statement_cache_size": size, "prepared_statement_cache_size": size}
    if size == 0:
        args["prepared_statement_name_func"] = _unnamed_statement
    return args


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection before use only after it sat idle; SQLAlchemy's pool_pre_ping pings
    on every checkout, a round trip more for every request (three outside autocommit).

    A connection in steady use has just proven itself; one that idled may have been cut by a
    database restart, a serverless compute suspending, or a NAT or pooler timeout.
    """
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", time.monotonic()) <= idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            # The pool discards every connection older than this one and retries with a new one.
            raise InvalidatePoolError() from exc


class ConnectionGate:
    """Hands out the pool's connections first come, first served, or a 503 after the pool timeout.

    Without it, requests wait in the pool's own queue, where a request arriving just as a
    connection is returned takes it ahead of those already waiting: under a burst some requests
    wait for seconds while others pass straight through. An asyncio.Semaphore wakes waiters in order.
    """

    def __init__(self, engine: AsyncEngine, capacity: int, timeout_seconds: float) -> None:
        self.engine = engine
        self._slots = asyncio.Semaphore(capacity)
        self._timeout = timeout_seconds
        self.waiting = 0

    async def connect(self) -> AsyncConnection:
        if self._slots.locked():
            self.waiting += 1
            DB_REQUESTS_WAITING.inc()
            try:
                async with asyncio.timeout(self._timeout):
                    await self._slots.acquire()
            except TimeoutError:
                raise PoolTimeoutError(f"no database connection free within {self._timeout} s") from None
            finally:
                self.waiting -= 1
                DB_REQUESTS_WAITING.dec()
        else:
            await self._slots.acquire()
        try:
            connection = await self.engine.connect()
        except BaseException:
            self._slots.release()
            raise
        DB_CONNECTIONS_IN_USE.inc()
        return connection

    async def release(self, connection: AsyncConnection) -> None:
        """Returns the connection to the pool, rolling back whatever was not committed."""
        try:
            await connection.close()
        finally:
            self._slots.release()
            DB_CONNECTIONS_IN_USE.dec()


def create_gate(engine: AsyncEngine, settings: Settings) -> ConnectionGate:
    capacity = settings.db_pool_size + settings.db_max_overflow
    if engine.dialect.name == "sqlite":
        # One writer at a time anyway; SQLAlchemy's own pool (5 + 10) is the limit.
        capacity = SQLITE_POOL_CAPACITY
    return ConnectionGate(engine, capacity, settings.db_pool_timeout_seconds)


class RequestDatabase:
    """A request's database access: one pooled connection, checked out on first use and committed once.

    Plain SQLAlchemy Core on an AsyncConnection: the repository runs Core statements only, and an ORM
    session around them costs a quarter of a small request's CPU (measured). Checking out lazily keeps
    requests that never reach the database (liveness, rejected input) off the pool.
    """

    def __init__(self, gate: ConnectionGate) -> None:
        self._gate = gate
        self._connection: AsyncConnection | None = None

    @property
    def dialect(self) -> str:
        return self._gate.engine.dialect.name

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        if self._connection is None:
            self._connection = await self._gate.connect()
        return await self._connection.execute(statement, parameters)

    async def commit(self) -> None:
        if self._connection is not None:
            await self._connection.commit()

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await self._gate.release(connection)


async def get_database(request: Request) -> AsyncIterator[RequestDatabase]:
    database = RequestDatabase(request.app.state.gate)
    try:
        yield database
        await database.commit()
    finally:
        await database.close()


# scope="function": the commit runs before the response is sent, so an acknowledged write is durable.
DatabaseDep = Annotated[RequestDatabase, Depends(get_database, scope="function")]
