"""On PostgreSQL the everyday requests run their statements straight on the driver, as asyncpg
prepared statements compiled once (impl/compiled.py), never through SQLAlchemy's execution: only a
statement whose SQL varies per call (`IN` a list of If-Match versions or of bulk ids) goes through it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from impl.app import create_app
from tests.support import auth, fresh_postgres_database, require_postgres, settings_for


@pytest.fixture(scope="module")
async def postgres_app() -> AsyncIterator[FastAPI]:
    async with fresh_postgres_database(await require_postgres()) as url:
        app = create_app(settings_for(url))
        async with app.router.lifespan_context(app):
            yield app


@pytest.fixture
async def owner(postgres_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=postgres_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=auth("owner")) as client:
        yield client


@contextmanager
def through_sqlalchemy(app: FastAPI) -> Iterator[list[str]]:
    """The first word of every statement SQLAlchemy's engine executes for this task's requests
    (httpx's ASGI transport runs them in the caller's task) while the block runs; the app's own
    background work, such as the periodic purge of tombstones, runs in tasks of its own."""
    executed: list[str] = []
    requests = asyncio.current_task()

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if asyncio.current_task() is requests:
            executed.append(statement.split(None, 1)[0])

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield executed
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_reads_and_writes_of_one_task_bypass_sqlalchemy(
    postgres_app: FastAPI, owner: httpx.AsyncClient
) -> None:
    with through_sqlalchemy(postgres_app) as executed:
        created = await owner.post("/api/tasks", json={"title": "Buy oat milk", "tags": ["home"]})
        task = f"/api/tasks/{created.json()['id']}"
        answers = [
            created,
            await owner.get("/api/tasks", params={"status": "pending", "sort": "title"}),
            await owner.get(task),
            await owner.patch(task, json={"title": "Buy soy milk", "due_at": None, "completed": True}),
            await owner.put(task, json={"title": "Buy rice milk", "priority": "high", "tags": []}),
            await owner.patch(f"{task}/complete"),
            await owner.delete(task),
        ]
    assert [answer.status_code for answer in answers] == [201, 200, 200, 200, 200, 200, 204]
    assert executed == []


async def test_a_write_bound_to_a_list_of_versions_goes_through_sqlalchemy(
    postgres_app: FastAPI, owner: httpx.AsyncClient
) -> None:
    created = await owner.post("/api/tasks", json={"title": "Call the bank"})
    with through_sqlalchemy(postgres_app) as executed:
        patched = await owner.patch(
            f"/api/tasks/{created.json()['id']}",
            json={"priority": "low"},
            headers={"If-Match": f'"stale", {created.headers["etag"]}'},
        )
    assert patched.status_code == 200
    assert patched.json()["priority"] == "low"
    assert executed == ["WITH"]
