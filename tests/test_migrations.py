"""An existing database upgrades in place: tasks stored before versions existed get version 1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from impl.app import create_app
from impl.db_url import parse_database_url
from tests.support import BACKENDS, auth, fresh_postgres_database, migrate, require_postgres, settings_for

BEFORE_VERSIONS = "0001"
OWNER = "migrated-user"


@pytest.fixture(params=BACKENDS)
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    admin_url = await require_postgres()
    async with fresh_postgres_database(admin_url, prefix="todo_migrate", migrated=False) as url:
        yield url


async def _insert_old_task(database_url: str) -> None:
    engine = create_async_engine(parse_database_url(database_url).url)
    at = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    # As the app stores it: timestamptz on PostgreSQL, naive UTC on SQLite.
    stored_at = at if database_url.startswith("postgresql") else at.replace(tzinfo=None)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO tasks (user_id, title, completed, priority, tags, created_at, updated_at) "
                    "VALUES (:owner, 'Stored before versions', false, 2, '[]', :at, :at)"
                ),
                {"owner": OWNER, "at": stored_at},
            )
    finally:
        await engine.dispose()


async def test_a_task_stored_before_versions_upgrades_to_version_1(empty_database: str) -> None:
    await migrate(empty_database, BEFORE_VERSIONS)
    await _insert_old_task(empty_database)

    await migrate(empty_database)

    app = create_app(settings_for(empty_database))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=auth(OWNER)) as client:
            [task] = (await client.get("/api/tasks")).json()
            fetched = await client.get(f"/api/tasks/{task['id']}")
            if_match = {"If-Match": fetched.headers["etag"]}
            url = f"/api/tasks/{task['id']}"
            patched = await client.patch(url, json={"title": "Edited"}, headers=if_match)
    assert task["version"] == 1
    assert fetched.headers["etag"] == f'"{task["id"]}-1"'
    assert patched.json()["version"] == 2
