"""PostgreSQL answers the hot queries from an index, so their cost does not grow with the table."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.sql.expression import ClauseElement

from impl.db import ConnectionGate, RequestDatabase
from impl.db_url import parse_database_url
from impl.sync.feed import changes_statement
from impl.sync.tokens import INITIAL, Position
from impl.tasks.cursor import Cursor
from impl.tasks.repository import SELECT_OWNED_TASK, ListQuery, TaskRepository
from tests.support import fresh_postgres_database

# One user with many tasks among many users with a few: an index is then clearly the cheapest plan.
OTHER_USERS = 300
TASKS_PER_OTHER_USER = 20
USER = "busy-user"
USER_TASKS = 3000
INSERT = text(
    "INSERT INTO tasks (user_id, title, completed, priority, tags, created_at, updated_at) "
    "SELECT CASE WHEN n <= :mine THEN :user ELSE 'user-' || (n % :others) END, 'task ' || n, "
    "n % 3 = 0, 1 + n % 3, '[]', now() - n * interval '1 minute', now() "
    "FROM generate_series(1, :rows) AS n"
)
# The change feed's numbers, and tombstones of as many deleted tasks.
NUMBER = text("UPDATE tasks SET change_seq = id")
TOMBSTONES = text(
    "INSERT INTO task_tombstones (user_id, task_id, deleted_at, change_seq) "
    "SELECT user_id, id + 1000000, now(), id FROM tasks"
)


@pytest.fixture(scope="module")
async def database(postgres_admin: str) -> AsyncIterator[RequestDatabase]:
    """Many users' tasks, the statistics analysed, and a connection to them."""
    async with fresh_postgres_database(postgres_admin) as url:
        engine = create_async_engine(parse_database_url(url).url)
        try:
            async with engine.begin() as connection:
                rows = USER_TASKS + OTHER_USERS * TASKS_PER_OTHER_USER
                await connection.execute(
                    INSERT, {"mine": USER_TASKS, "user": USER, "others": OTHER_USERS, "rows": rows}
                )
                await connection.execute(NUMBER)
                await connection.execute(TOMBSTONES)
                await connection.execute(text("ANALYZE tasks"))
                await connection.execute(text("ANALYZE task_tombstones"))
            database = RequestDatabase(ConnectionGate(engine, capacity=1, timeout_seconds=1))
            try:
                yield database
            finally:
                await database.close()
        finally:
            await engine.dispose()


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def _indexes_used(database: RequestDatabase, statement: ClauseElement) -> set[str]:
    """The indexes in PostgreSQL's plan for `statement`, with its parameters inlined."""
    dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]  # (SQLAlchemy leaves it untyped)
    sql = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    explained = (await database.execute(text(f"EXPLAIN (FORMAT JSON) {sql}"))).scalar_one()
    nodes = list(_nodes(explained[0]["Plan"]))
    assert not any(node["Node Type"] == "Seq Scan" for node in nodes), nodes
    return {node["Index Name"] for node in nodes if "Index Name" in node}


def _page(completed: bool | None = None, after: Cursor | None = None) -> ListQuery:
    return ListQuery(completed=completed, sort="-created_at", search=None, tag=None, limit=50, after=after)


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (_page(), "ix_tasks_user_created"),
        (_page(after=Cursor(datetime(2026, 1, 1, tzinfo=UTC), 1000)), "ix_tasks_user_created"),
        (_page(completed=True), "ix_tasks_user_completed"),
        (_page(completed=False), "ix_tasks_user_completed"),
    ],
    ids=["first-page", "next-page", "completed", "pending"],
)
async def test_the_list_queries_use_their_index(
    database: RequestDatabase, query: ListQuery, index: str
) -> None:
    statement = TaskRepository(database, USER).list_statement(query)
    assert await _indexes_used(database, statement) == {index}


async def test_a_single_task_is_found_by_its_primary_key(database: RequestDatabase) -> None:
    statement = SELECT_OWNED_TASK.params(owner=USER, task_id=42)
    assert await _indexes_used(database, statement) == {"tasks_pkey"}


@pytest.mark.parametrize(
    "after", [INITIAL, Position(USER_TASKS // 2, USER_TASKS // 2)], ids=["initial", "since"]
)
async def test_the_change_feed_reads_its_indexes(database: RequestDatabase, after: Position) -> None:
    statement = changes_statement(USER, after, 101)
    assert await _indexes_used(database, statement) >= {"ix_tasks_user_change", "ix_tombstones_user_change"}
