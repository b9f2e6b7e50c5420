"""Which errors mean "the database is not there right now" (a 503 with Retry-After), not a bug (a 500).

Classified by PostgreSQL SQLSTATE, by SQLite result code and by driver error type, never by SQLAlchemy's
`connection_invalidated` flag alone: an error raised while *opening* a connection (PostgreSQL still
starting up, 57P03) is wrapped in a DBAPIError that invalidated nothing. The error and everything it
wraps (`DBAPIError.orig`, `__cause__`) is inspected, so the answer does not depend on
how many layers (SQLAlchemy's adapter, asyncpg, the socket) stand between the fault and the handler.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import asyncpg
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# Whole SQLSTATE classes: 08 connection exception (refused, lost, failed handshake);
# 53 insufficient resources (53300 too many connections, out of memory, disk full).
UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53"})
UNAVAILABLE_SQLSTATES = frozenset(
    {
        "57P01",  # admin_shutdown: a fast shutdown, pg_terminate_backend, Neon suspending a compute
        "57P02",  # crash_shutdown: another backend crashed, the server is resetting
        "57P03",  # cannot_connect_now: starting up, in recovery, or shutting down
        "57P05",  # idle_session_timeout: the server closed a pooled connection that sat idle
        # read_only_sql_transaction: a write reached a standby, e.g. the old primary came back as one
        # after a failover, or a multi-host URL still points at it until the pool reconnects.
        "25006",
    }
)
# Neon's proxy answers with XX000 (internal_error) and one of these messages while the compute behind
# an endpoint is waking from suspend, or while its control plane cannot wake it yet (see neondatabase/
# neon proxy/src: COULD_NOT_CONNECT, the wake-compute and connection-rate-limit errors).
NEON_TRANSIENT_MESSAGES = (
    "couldn't connect to compute node",
    "control plane request failed",
    "console request failed",
    "failed to acquire permit",
    "rate limit exceeded",
)
# asyncpg's own client-side errors that mean the connection is gone, not that a statement is wrong;
# "another operation is in progress": the connection was cut mid-statement (a restart, a failover)
# and its protocol state is left behind, so nothing can run on it any more.
ASYNCPG_CONNECTION_LOST = (
    "connection is closed",
    "connection was closed",
    "underlying connection is closed",
    "another operation",  # "cannot switch to state 12; another operation (2) is in progress"
)
# SQLite's lock waits, by result code (sqlite.org/rescode.html), which Python's sqlite3 exceptions carry
# and aiosqlite passes through: SQLITE_BUSY and its extended codes (another connection holds the write
# lock past the busy timeout; a WAL snapshot went stale), and SQLITE_LOCKED_SHAREDCACHE (another
# connection of a shared cache holds a table). Plain SQLITE_LOCKED is a conflict within one connection
# (e.g. DROP TABLE under an open cursor): a bug, not a wait.
SQLITE_BUSY_PRIMARY_CODE = sqlite3.SQLITE_BUSY
SQLITE_PRIMARY_CODE_MASK = 0xFF
SQLITE_LOCKED_BY_ANOTHER_CONNECTION = sqlite3.SQLITE_LOCKED_SHAREDCACHE


def is_database_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or anything it wraps) says the database cannot be reached or used right now."""
    return any(_is_unavailable_here(error) for error in _chain(exc))


def is_lock_wait(exc: BaseException) -> bool:
    """True when `exc` (or anything it wraps) is a writer that gave up waiting for SQLite's lock."""
    return any(_is_sqlite_lock_wait(error) for error in _chain(exc))


def _is_unavailable_here(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, (PoolTimeoutError, InvalidatePoolError, OSError, TimeoutError)):
        # OSError covers ConnectionRefusedError, ConnectionResetError and unreachable hosts.
        return True
    if isinstance(error, asyncpg.TargetServerAttributeNotMatched):
        # A multi-host URL with target_session_attrs=read-write found only standbys: mid-failover.
        return True
    if isinstance(error, asyncpg.PostgresError):
        return _unavailable_sqlstate(error)
    if isinstance(error, asyncpg.InterfaceError | asyncpg.InternalClientError):
        return any(phrase in str(error).lower() for phrase in ASYNCPG_CONNECTION_LOST)
    return _is_sqlite_lock_wait(error)


def _is_sqlite_lock_wait(error: BaseException) -> bool:
    """True when SQLite gave up waiting for a lock another connection holds ("database is locked")."""
    if not isinstance(error, sqlite3.Error):
        return False
    # Absent on errors the sqlite3 module raises itself (e.g. a closed connection), not SQLite.
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return False
    busy = code & SQLITE_PRIMARY_CODE_MASK == SQLITE_BUSY_PRIMARY_CODE
    return busy or code == SQLITE_LOCKED_BY_ANOTHER_CONNECTION


def _unavailable_sqlstate(error: asyncpg.PostgresError) -> bool:
    sqlstate = str(getattr(error, "sqlstate", "") or "")
    if sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES or sqlstate in UNAVAILABLE_SQLSTATES:
        return True
    message = str(getattr(error, "message", "") or error).lower()
    return sqlstate == "XX000" and message.startswith(NEON_TRANSIENT_MESSAGES)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what it wraps: the DBAPI error SQLAlchemy adapted, and the causes; each once."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        # Not __context__: a bug raised while handling a lost connection is still a bug.
        wrapped = [getattr(error, "orig", None), error.__cause__]
        pending.extend(inner for inner in wrapped if isinstance(inner, BaseException))
