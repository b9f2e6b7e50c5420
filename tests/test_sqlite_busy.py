"""SQLite's write lock: a writer that cannot get it in time is a 503 to retry, never a 500.

SQLite runs one writer at a time; the others wait up to SQLITE_BUSY_TIMEOUT_SECONDS, then fail with
"database is locked". The errors below are real ones, from real statements on real databases.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, closing, contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError

from impl.db_errors import is_database_unavailable
from impl.settings import Settings
from tests.support import TASKS, migrate, serving

# A lock wait fails this soon, so the tests that meet one stay fast.
SHORT_BUSY_TIMEOUT_SECONDS = 0.2
# A hang detector, not a performance target: the lock wait gives up after SHORT_BUSY_TIMEOUT_SECONDS.
HANG_SECONDS = 5
NEW_TASK = {"title": "Written while another writer held the lock"}


def _connect(path: Path | str, *, uri: bool = False) -> sqlite3.Connection:
    # Autocommit: every BEGIN, COMMIT and ROLLBACK is the test's own.
    return sqlite3.connect(path, isolation_level=None, timeout=SHORT_BUSY_TIMEOUT_SECONDS, uri=uri)


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """SQLite's one write lock on `path`, held by another connection as a long write transaction would."""
    with closing(_connect(path)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")


def _error_of(statement: Callable[[], object]) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as raised:
        statement()
    return raised.value


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "tasks.db"
    with closing(_connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE tasks (title TEXT)")
    return path


def a_write_while_another_connection_holds_the_write_lock(path: Path) -> sqlite3.Error:
    with closing(_connect(path)) as writer, write_lock_held(path):
        return _error_of(lambda: writer.execute("INSERT INTO tasks VALUES ('a')"))


def a_write_on_a_snapshot_another_connection_committed_past(path: Path) -> sqlite3.Error:
    with closing(_connect(path)) as stale, closing(_connect(path)) as other:
        stale.execute("BEGIN")
        stale.execute("SELECT count(*) FROM tasks").fetchone()
        other.execute("INSERT INTO tasks VALUES ('b')")
        return _error_of(lambda: stale.execute("INSERT INTO tasks VALUES ('a')"))


def a_read_of_a_table_another_connection_of_a_shared_cache_is_writing(path: Path) -> sqlite3.Error:
    shared = f"file:{path.with_suffix('.shared')}?mode=memory&cache=shared"
    with closing(_connect(shared, uri=True)) as writer, closing(_connect(shared, uri=True)) as reader:
        writer.execute("CREATE TABLE tasks (title TEXT)")
        writer.execute("BEGIN")
        writer.execute("INSERT INTO tasks VALUES ('a')")
        return _error_of(lambda: reader.execute("SELECT * FROM tasks").fetchall())


def a_table_dropped_under_an_open_cursor_of_the_same_connection(path: Path) -> sqlite3.Error:
    with closing(_connect(path)) as connection:
        connection.executemany("INSERT INTO tasks VALUES (?)", [("a",), ("b",)])
        cursor = connection.execute("SELECT * FROM tasks")
        cursor.fetchone()
        return _error_of(lambda: connection.execute("DROP TABLE tasks"))


def a_syntax_error(path: Path) -> sqlite3.Error:
    with closing(_connect(path)) as connection:
        return _error_of(lambda: connection.execute("SELEC 1"))


def a_query_of_a_missing_table(path: Path) -> sqlite3.Error:
    with closing(_connect(path)) as connection:
        return _error_of(lambda: connection.execute("SELECT * FROM nothing_here"))


@pytest.mark.parametrize(
    ("cause", "error_name", "unavailable"),
    [
        (a_write_while_another_connection_holds_the_write_lock, "SQLITE_BUSY", True),
        (a_write_on_a_snapshot_another_connection_committed_past, "SQLITE_BUSY_SNAPSHOT", True),
        (
            a_read_of_a_table_another_connection_of_a_shared_cache_is_writing,
            "SQLITE_LOCKED_SHAREDCACHE",
            True,
        ),
        (a_table_dropped_under_an_open_cursor_of_the_same_connection, "SQLITE_LOCKED", False),
        (a_syntax_error, "SQLITE_ERROR", False),
        (a_query_of_a_missing_table, "SQLITE_ERROR", False),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_waiting_for_another_connections_lock_is_unavailable_and_any_other_sqlite_error_is_a_bug(
    database: Path, cause: Callable[[Path], sqlite3.Error], error_name: str, unavailable: bool
) -> None:
    error = cause(database)

    assert error.sqlite_errorname == error_name  # the statement failed the way its name says
    assert is_database_unavailable(error) is unavailable


@pytest.mark.parametrize("seconds", ["0", "-1", "30000"])
def test_a_busy_timeout_of_nothing_or_one_meant_in_milliseconds_is_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch, seconds: str
) -> None:
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_SECONDS", seconds)
    with pytest.raises(ValidationError, match="sqlite_busy_timeout_seconds"):
        Settings(_env_file=None, app_env="development")


def test_the_busy_timeout_defaults_to_30_seconds_and_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SQLITE_BUSY_TIMEOUT_SECONDS", raising=False)
    assert Settings(_env_file=None, app_env="development").sqlite_busy_timeout_seconds == 30
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_SECONDS", "0.2")
    assert Settings(_env_file=None, app_env="development").sqlite_busy_timeout_seconds == 0.2


def api(database_url: str) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """The real app on `database_url`, waiting SHORT_BUSY_TIMEOUT_SECONDS for SQLite's write lock."""
    return serving(database_url, "writer", sqlite_busy_timeout_seconds=SHORT_BUSY_TIMEOUT_SECONDS)


async def create_task(client: httpx.AsyncClient) -> httpx.Response:
    return await asyncio.wait_for(client.post(TASKS, json=NEW_TASK), timeout=HANG_SECONDS)


def answered_503_for_the_write_lock() -> float:
    return REGISTRY.get_sample_value("todo_unavailable_responses_total", {"cause": "write_lock"}) or 0.0


def assert_no_internals(response: httpx.Response) -> None:
    for internal in ("Traceback", "sqlite", "locked", "INSERT", "SELECT", "tasks"):
        assert internal.lower() not in response.text.lower(), response.text


async def test_a_create_that_cannot_get_the_write_lock_in_time_is_a_503_and_succeeds_once_it_is_free(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.db"
    await migrate(f"sqlite+aiosqlite:///{path}")
    counted_before = answered_503_for_the_write_lock()
    async with api(f"sqlite+aiosqlite:///{path}") as client:
        with write_lock_held(path):
            refused = await create_task(client)
        created = await create_task(client)
        listed = await client.get(TASKS)

    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["detail"] == "The database is unavailable; retry later."
    assert_no_internals(refused)
    assert answered_503_for_the_write_lock() == counted_before + 1
    assert created.status_code == 201, created.text
    assert [task["title"] for task in listed.json()] == [NEW_TASK["title"]]


async def test_a_create_on_a_database_without_its_tables_is_still_a_500(tmp_path: Path) -> None:
    # "no such table" is an OperationalError too, but no retry can fix it: a bug, not a wait.
    async with api(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}") as client:
        response = await create_task(client)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "retry-after" not in response.headers
    assert response.json()["detail"] == "An unexpected error occurred."
    assert_no_internals(response)
