"""The async engine, and one connection per request committed once at the end.

On PostgreSQL most requests run exactly one statement (an UPDATE … RETURNING, an INSERT … RETURNING,
a SELECT), which PostgreSQL makes atomic by itself, so the engine runs in autocommit: wrapping that
statement in BEGIN … COMMIT would triple the round trips of every request. Statements that must
commit together run in `RequestDatabase.transaction()` (READ COMMITTED). The hot statements run
straight on the driver connection (`RequestDatabase.fetch`, impl/compiled.py).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager, nullcontext
from types import TracebackType
from typing import Any, Protocol

import asyncpg
import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import Result
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import Executable
from starlette.requests import Request

from impl.compiled import compiled_for_asyncpg
from impl.db_errors import is_database_unavailable
from impl.observability.metrics import DB_CONNECTIONS_IN_USE, DB_REQUESTS_WAITING
from impl.settings import Settings

# Whether the connected database refuses writes, asked in each dialect's own words.
READ_ONLY_QUERIES = {
    "postgresql": "SELECT current_setting('transaction_read_only') = 'on'",
    "sqlite": "PRAGMA query_only",
}
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
            database.url, connect_args={"timeout": settings.sqlite_busy_timeout_seconds}, hide_parameters=True
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
        json_serializer=_json_text,
        connect_args={
            **database.connect_args,
            **_statement_cache_args(settings.statement_cache_size),
            "timeout": settings.db_connect_timeout_seconds,
            "command_timeout": settings.db_statement_timeout_seconds,
        },
    )
    # After the dialect's own connect hook, which registers the codec this one replaces.
    event.listen(engine.sync_engine, "connect", _on_postgres_connect)
    return engine


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _on_postgres_connect(dbapi_connection: Any, _record: Any) -> None:
    """JSONB read as text straight into orjson's C parser: SQLAlchemy's codec calls a Python function
    for every value (a page of 50 tasks decodes 50 tag lists) to strip the binary format's version
    byte. Values go out as the text SQLAlchemy serialised them to (`_json_text`)."""

    async def register(connection: asyncpg.Connection) -> None:
        await connection.set_type_codec(
            "jsonb", encoder=str, decoder=orjson.loads, schema="pg_catalog", format="text"
        )

    dbapi_connection.run_async(register)


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


# nullcontext holds nothing between uses: one serves every untraced statement.
_NO_SPAN = nullcontext()


def _untraced(_sql: str) -> AbstractContextManager[object]:
    return _NO_SPAN


class HeldConnection:
    """A connection the gate holds checked out of SQLAlchemy's pool, lent to a request or idle
    between requests; kept across requests, so neither checkout nor checkin (and its reset) is paid."""

    __slots__ = ("checked_out_at", "connection", "driver", "idle_since")

    def __init__(self, connection: AsyncConnection, checked_out_at: float) -> None:
        self.connection = connection
        # Compared with when a connection was last found dead: one checked out before then is replaced.
        self.checked_out_at = checked_out_at
        # Both set each time it is given back, while it waits in the gate's idle list.
        self.driver: asyncpg.Connection | None = None
        self.idle_since = checked_out_at


class ConnectionGate:
    """Hands out the pool's connections first come, first served, or a 503 after the pool timeout.

    Without it, requests wait in the pool's own queue, where a request arriving just as a
    connection is returned takes it ahead of those already waiting: under a burst some requests
    wait for seconds while others pass straight through. An asyncio.Semaphore wakes waiters in order.

    On PostgreSQL the gate also keeps the connections requests give back checked out of the pool
    (up to `max_idle_held`), clean and ready for the next request: SQLAlchemy's checkout and checkin
    (events, the reset's rollback, its queue) cost more Python than a whole simple query. The most
    recently given back is lent first, so a light load reuses a few hot connections, which skip the ping.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        capacity: int,
        timeout_seconds: float,
        *,
        ping_after_idle_seconds: float | None = None,
        max_idle_held: int = 0,
    ) -> None:
        self.engine = engine
        self.dialect: str = engine.dialect.name
        # When the database was last seen to drop a connection: every connection given back before
        # then is pinged before its next use (see _ping_when_needed and _answers_when_asked).
        self._lost_at = -math.inf
        self._ping_after_idle = ping_after_idle_seconds
        if ping_after_idle_seconds is not None:
            self._ping_when_needed(ping_after_idle_seconds)
        # When a connection was last invalidated for an error: every connection held since before
        # then is replaced, as SQLAlchemy's pool replaces every connection older than that.
        self._invalidated_at = -math.inf
        self._max_idle_held = max_idle_held
        self._idle: list[HeldConnection] = []
        # The connections lent out, by id(): an AsyncConnection hashes in Python, an int in C.
        self._lent: dict[int, HeldConnection] = {}
        if max_idle_held:
            event.listen(engine.sync_engine.pool, "invalidate", self._on_invalidate)
        # Statements run straight on the driver are traced through this when tracing is on
        # (impl/observability/tracing.py sets it); SQLAlchemy's own are traced by its engine tracer.
        self.trace_statement: Callable[[str], AbstractContextManager[object]] = _untraced
        self._slots = asyncio.Semaphore(capacity)
        self._timeout = timeout_seconds
        self.waiting = 0
        # Every worker reports its gauges (and so its process figures) from its start, idle or not.
        DB_CONNECTIONS_IN_USE.inc(0)
        DB_REQUESTS_WAITING.inc(0)

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
            held = await self._ready_connection()
        except BaseException:
            self._slots.release()
            raise
        self._lent[id(held.connection)] = held
        DB_CONNECTIONS_IN_USE.inc()
        return held.connection

    async def _ready_connection(self) -> HeldConnection:
        """The connection given back last, pinged first when it may be dead; else one from the pool."""
        while self._idle:
            held = self._idle.pop()
            try:
                if held.checked_out_at > self._invalidated_at and await self._answers_when_asked(held):
                    return held
            except BaseException:
                await _discard(held)
                raise
            await _discard(held)
        return HeldConnection(await self.engine.connect(), time.monotonic())

    async def _answers_when_asked(self, held: HeldConnection) -> bool:
        """False when a ping, sent only if the connection may be dead, fails: the database dropped
        connections, and every connection held since before now is replaced (_on_invalidate)."""
        driver = held.driver  # set when it was given back
        if driver is None or self._ping_after_idle is None:
            return True
        if not self._may_be_dead(held.idle_since, self._ping_after_idle):
            return True
        try:
            await driver.fetchrow(";")
        except Exception as exc:
            await held.connection.invalidate(exc)
            # Those idle in SQLAlchemy's pool are pinged before use (its checkout listener).
            self.connections_lost()
            return False
        return True

    def _ping_when_needed(self, idle_seconds: float) -> None:
        """Ping a pooled connection before use only when it may be dead: after it sat idle, or when
        it was returned before the database dropped a connection. SQLAlchemy's pool_pre_ping pings on
        every checkout, a round trip more for every request (three outside autocommit).

        A connection in steady use has just proven itself; one that idled may have been cut by a
        database restart, a serverless compute suspending, or a NAT or pooler timeout; and when one
        connection was found lost (the database restarted or failed over), the others were cut too.
        This covers the connections idle in SQLAlchemy's pool; the gate's own are pinged by
        _answers_when_asked, by the same rule.
        """
        pool = self.engine.sync_engine.pool

        @event.listens_for(pool, "checkin")
        def _checked_in(_dbapi_connection: Any, record: Any) -> None:
            record.info["idle_since"] = time.monotonic()

        @event.listens_for(pool, "checkout")
        def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
            if not self._may_be_dead(record.info.get("idle_since", time.monotonic()), idle_seconds):
                return
            try:
                dbapi_connection.ping()
            except Exception as exc:
                # The pool discards every connection older than this one and retries with a new one.
                raise InvalidatePoolError() from exc

    def _may_be_dead(self, idle_since: float, idle_seconds: float) -> bool:
        """The one rule for both kinds of idle connection: it sat idle too long, or was given back
        before the database was last seen to drop a connection."""
        return time.monotonic() - idle_since > idle_seconds or idle_since <= self._lost_at

    def _on_invalidate(self, _dbapi_connection: Any, _record: Any, exception: BaseException | None) -> None:
        # An invalidation for an error is a connection found dead (a failed ping, a disconnect seen by
        # SQLAlchemy, which then invalidates its whole pool): the gate replaces those it holds as well.
        # One invalidated without an error is a single connection retired on purpose.
        if exception is not None:
            self._invalidated_at = time.monotonic()

    def connections_lost(self) -> None:
        """The database dropped a connection: the pooled ones are suspect until pinged."""
        self._lost_at = time.monotonic()

    @asynccontextmanager
    async def borrowed(self) -> AsyncIterator[AsyncConnection]:
        """`async with gate.borrowed() as connection`: a connection outside any request (the periodic
        purge), given back however the block ends. Requests use RequestDatabase, which connects lazily."""
        connection = await self.connect()
        try:
            yield connection
        finally:
            await self.release(connection)

    async def release(self, connection: AsyncConnection) -> None:
        """Takes the connection back: kept for the next request when nothing of this one is left on it
        (an open transaction is rolled back) and there is room, else returned to the pool."""
        held = self._lent.pop(id(connection), None)
        kept = False
        try:
            kept = held is not None and await self._kept(held)
        finally:
            try:
                if not kept:
                    # The pool rolls back what was not committed; an invalidated one reconnects when used.
                    await connection.close()
            finally:
                self._slots.release()
                DB_CONNECTIONS_IN_USE.dec()

    async def _kept(self, held: HeldConnection) -> bool:
        if len(self._idle) >= self._max_idle_held:
            return False
        proxied = held.connection.sync_connection
        if proxied is None or proxied.invalidated or proxied.closed:
            return False
        if held.checked_out_at <= self._invalidated_at:
            await held.connection.invalidate()
            return False
        driver: asyncpg.Connection = proxied.connection.driver_connection
        transaction_left_open = driver.is_in_transaction() or proxied.in_transaction()
        if transaction_left_open and not await _rolled_back(held.connection, driver):
            return False
        if len(self._idle) >= self._max_idle_held:  # others were kept while it rolled back
            return False
        held.driver = driver
        held.idle_since = time.monotonic()
        self._idle.append(held)
        return True

    async def aclose(self) -> None:
        """Returns the idle connections the gate holds to the pool, and any given back from now on, so
        that engine.dispose() (which closes only the pool's own) closes them: call it just before."""
        self._max_idle_held = 0
        idle, self._idle = self._idle, []
        for held in idle:
            await held.connection.close()


async def _discard(held: HeldConnection) -> None:
    """Closes the connection and returns its place to the pool, which opens a new one when next asked."""
    await held.connection.invalidate()
    await held.connection.close()


async def _rolled_back(connection: AsyncConnection, driver: asyncpg.Connection) -> bool:
    """Whether a transaction left open (begun straight on the driver, or SQLAlchemy's own) was
    rolled back; one that cannot roll back is invalidated, never lent to the next request."""
    try:
        if driver.is_in_transaction():
            await driver.execute("ROLLBACK")
        await connection.rollback()
    except Exception:
        await connection.invalidate()
        return False
    return True


def create_gate(engine: AsyncEngine, settings: Settings) -> ConnectionGate:
    if engine.dialect.name == "sqlite":
        # One writer at a time anyway; SQLAlchemy's own pool (5 + 10) is the limit.
        return ConnectionGate(engine, SQLITE_POOL_CAPACITY, settings.db_pool_timeout_seconds)
    capacity = settings.db_pool_size + settings.db_max_overflow
    return ConnectionGate(
        engine,
        capacity,
        settings.db_pool_timeout_seconds,
        ping_after_idle_seconds=settings.db_ping_after_idle_seconds,
        # One of the pool's connections is always left to those who connect through the engine itself
        # (the tombstone purge, impl/sync/purge.py), which would otherwise wait out the pool timeout
        # behind connections the gate holds idle.
        max_idle_held=capacity - 1,
    )


class ChangeAnnouncer(Protocol):
    """Where committed changes are announced in-process (SQLite; PostgreSQL announces by NOTIFY)."""

    def publish(self, user_id: str, seq: int) -> None: ...


class RequestDatabase:
    """A request's database access: one connection from the gate, taken on first use and committed once.

    Plain SQLAlchemy Core on an AsyncConnection: the repository runs Core statements only, and an ORM
    session around them costs a quarter of a small request's CPU (measured). Connecting lazily keeps
    requests that never reach the database (liveness, rejected input) off the pool. `async with` it
    (request_database) commits when the block completes and gives the connection back either way.
    """

    def __init__(self, gate: ConnectionGate, announcer: ChangeAnnouncer | None = None) -> None:
        self._gate = gate
        # A plain attribute, not a property: read several times per request.
        self.dialect = gate.dialect
        self._connection: AsyncConnection | None = None
        self._announcer = announcer
        self._announcements: list[tuple[str, int]] = []
        self._in_transaction = False
        self._driver_connection: asyncpg.Connection | None = None

    async def _connected(self) -> AsyncConnection:
        if self._connection is None:
            self._connection = await self._gate.connect()
        return self._connection

    async def fetch(self, statement: Any, parameters: Mapping[str, Any]) -> list[Any]:
        """The rows of a statement built once (module level or cached): on PostgreSQL run straight on
        the driver connection as an asyncpg prepared statement (impl/compiled.py), rows as asyncpg
        Records; on SQLite, and for a statement with an expanding parameter, through SQLAlchemy,
        rows as Rows. Either is read by position."""
        compiled = compiled_for_asyncpg(statement) if self.dialect == "postgresql" else None
        if compiled is None:
            return list((await self.execute(statement, parameters)).all())
        with self._gate.trace_statement(compiled.sql):
            try:
                driver = await self._driver()
                return await driver.fetch(compiled.sql, *compiled.arguments(parameters))  # type: ignore[no-any-return]
            except BaseException as exc:
                await self._dropped_if_lost(exc)
                raise

    async def _run_on_driver(self, sql: str) -> None:
        """A plain statement (BEGIN, COMMIT) on the driver connection."""
        try:
            await (await self._driver()).execute(sql)
        except BaseException as exc:
            await self._dropped_if_lost(exc)
            raise

    async def _dropped_if_lost(self, exc: BaseException) -> None:
        """After every failed use of the driver connection: one the database lost is invalidated, as
        SQLAlchemy does for its own statements, so the pool never hands it to the next request.
        (An except clause, not a context manager: it costs nothing until a statement fails.)"""
        if is_database_unavailable(exc):
            await self._drop_lost_connections()

    async def _drop_lost_connections(self) -> None:
        # A lost connection means the database restarted or failed over, which cut every pooled
        # connection too: each is pinged before its next use rather than handed to a request dead.
        self._gate.connections_lost()
        if self._connection is not None:
            await self._connection.invalidate()

    async def _driver(self) -> asyncpg.Connection:
        if self._driver_connection is None:
            connection = await self._connected()
            proxied = connection.sync_connection
            # A connection just checked out is valid, and then its DBAPI connection is at hand without
            # the greenlet bridge; an invalidated one is reconnected through it.
            if proxied is not None and not proxied.invalidated:
                raw = proxied.connection
            else:
                raw = await connection.get_raw_connection()
            self._driver_connection = raw.driver_connection
        return self._driver_connection

    async def execute(
        self,
        statement: Executable,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> Result[Any]:
        return await (await self._connected()).execute(statement, parameters)

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """The statements run inside commit together, or not at all (rolled back on any exception).

        On PostgreSQL the connection leaves autocommit for READ COMMITTED until it returns to the
        pool: each statement sees what committed before it started, and an INSERT of a unique key
        waits for a concurrent transaction holding the same key to finish. SQLite runs one writing
        transaction at a time. A transaction opened inside another is part of it: the outer one commits
        (a keyed create runs the task cap's transaction inside the Idempotency-Key's).
        """
        if self._in_transaction:
            return _INSIDE_TRANSACTION
        if self.dialect == "postgresql":
            return PostgresTransaction(self)
        return self._sqlite_transaction()

    @asynccontextmanager
    async def _sqlite_transaction(self) -> AsyncIterator[None]:
        connection = await self._connected()
        if connection.in_transaction():
            await connection.commit()
        self._in_transaction = True
        try:
            yield
        except BaseException:
            await connection.rollback()
            raise
        else:
            await connection.commit()
        finally:
            self._in_transaction = False

    async def read_only(self) -> bool:
        """Whether this connection's database refuses writes: a standby, e.g. the old primary after a
        failover, or a database set read-only. One round trip, the cost of the `SELECT 1` it replaces."""
        question = READ_ONLY_QUERIES.get(self.dialect, READ_ONLY_QUERIES["postgresql"])
        return bool((await self.execute(text(question))).scalar_one())

    def announce_after_commit(self, user_id: str, seq: int) -> None:
        self._announcements.append((user_id, seq))

    async def commit(self) -> None:
        # Nothing to commit when every statement ran straight on the driver in autocommit (fetch).
        if self._connection is not None and self._connection.in_transaction():
            await self._connection.commit()
        announcements, self._announcements = self._announcements, []
        if self._announcer is not None:
            for user_id, seq in announcements:
                self._announcer.publish(user_id, seq)

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await self._gate.release(connection)

    # A class's own __aenter__/__aexit__, not @asynccontextmanager: a generator-based context manager
    # costs about seven more Python calls per use, and every request enters this one.
    async def __aenter__(self) -> RequestDatabase:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        """Commits when the block completed, and returns the connection to the pool either way."""
        try:
            if exc_type is None:
                await self.commit()
        finally:
            await self.close()


# What `transaction()` returns inside a transaction: the outer one commits.
_INSIDE_TRANSACTION: AbstractAsyncContextManager[None] = nullcontext()
BEGIN_READ_COMMITTED = "BEGIN ISOLATION LEVEL READ COMMITTED"


class PostgresTransaction:
    """BEGIN ISOLATION LEVEL READ COMMITTED … COMMIT on the driver connection itself.

    The engine runs in autocommit, so SQLAlchemy's adapter never begins a transaction of its own:
    statements executed through SQLAlchemy (execute) and straight on the driver (fetch) alike run
    inside this one. The connection is back in autocommit once it commits or rolls back. BEGIN,
    COMMIT and ROLLBACK go as the plain statements they are, not through asyncpg's transaction
    object, whose bookkeeping (nesting, savepoints, state checks) a flat transaction does not need;
    one left open all the same (a request cancelled mid-COMMIT) is rolled back when the gate takes
    the connection back. A class, not a generator context manager: every create enters it.
    """

    __slots__ = ("_database",)

    def __init__(self, database: RequestDatabase) -> None:
        self._database = database

    async def __aenter__(self) -> None:
        await self._database._run_on_driver(BEGIN_READ_COMMITTED)
        self._database._in_transaction = True

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        database = self._database
        database._in_transaction = False
        if exc is None:
            await database._run_on_driver("COMMIT")
            return
        try:
            await (await database._driver()).execute("ROLLBACK")
        except BaseException:
            # A connection that cannot even roll back is not returned to the pool as it is.
            await database._drop_lost_connections()
            raise exc from None


def request_database(request: Request) -> RequestDatabase:
    """The request's database, for `async with`: committed when the block completes and returned to the
    pool either way."""
    return RequestDatabase(request.app.state.gate, getattr(request.app.state, "announcer", None))
