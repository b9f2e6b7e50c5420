"""The per-user cap on stored tasks (MAX_TASKS_PER_USER), on SQLite and PostgreSQL, under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from generated import models
from impl.app import create_app
from impl.db import ConnectionGate, RequestDatabase
from impl.tasks.mapping import editable_values
from impl.tasks.repository import TaskRepository
from tests.support import auth, settings_for

CAP = 5
CONCURRENT_CREATES = 24


@pytest.fixture(scope="module")
async def capped_app(database_url: str) -> AsyncIterator[FastAPI]:
    app = create_app(settings_for(database_url, max_tasks_per_user=CAP, db_pool_size=CONCURRENT_CREATES))
    async with app.router.lifespan_context(app):
        yield app


def _client(app: FastAPI, user_id: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=auth(user_id)
    )


async def _count(client: httpx.AsyncClient) -> int:
    return len((await client.get("/api/tasks", params={"limit": 100})).json())


async def test_the_cap_is_a_409_that_stores_nothing(
    capped_app: FastAPI, user_id_factory: Callable[[], str]
) -> None:
    async with _client(capped_app, user_id_factory()) as alice, _client(capped_app, user_id_factory()) as bob:
        created = [await alice.post("/api/tasks", json={"title": f"task {n}"}) for n in range(CAP)]
        assert {c.status_code for c in created} == {201}

        refused = await alice.post("/api/tasks", json={"title": "one too many"})
        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json() | {"instance": "request id"} == {
            "instance": "request id",
            "type": "about:blank",
            "title": "Conflict",
            "status": 409,
            "detail": f"You already have {CAP} tasks, the most one user may keep; "
            "delete some to create more.",
        }
        assert "location" not in refused.headers
        assert await _count(alice) == CAP
        # The cap is per user, and deleting makes room again.
        assert (await bob.post("/api/tasks", json={"title": "bob's first"})).status_code == 201
        assert (await alice.delete(created[0].headers["location"])).status_code == 204
        assert (await alice.post("/api/tasks", json={"title": "room again"})).status_code == 201
        assert (await alice.post("/api/tasks", json={"title": "full again"})).status_code == 409


async def test_concurrent_creates_at_the_cap_store_exactly_one(
    capped_app: FastAPI, user_id_factory: Callable[[], str]
) -> None:
    """Concurrent clients on their own connections: one create fits, every other one is refused."""
    user = user_id_factory()
    async with _client(capped_app, user) as alice:
        for n in range(CAP - 1):
            assert (await alice.post("/api/tasks", json={"title": f"task {n}"})).status_code == 201
    clients = [_client(capped_app, user) for _ in range(CONCURRENT_CREATES)]
    try:
        answers = await asyncio.gather(
            *(c.post("/api/tasks", json={"title": f"racer {n}"}) for n, c in enumerate(clients))
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (CONCURRENT_CREATES - 1)
    async with _client(capped_app, user) as alice:
        assert await _count(alice) == CAP


class HeldOpen(RequestDatabase):
    """A request's database whose create transaction stays open, uncommitted, until released."""

    def __init__(self, gate: ConnectionGate) -> None:
        super().__init__(gate)
        self.inserted = asyncio.Event()
        self.release = asyncio.Event()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with super().transaction():
            yield
            self.inserted.set()
            await self.release.wait()


async def _someone_waits_for_a_lock(gate: ConnectionGate) -> bool:
    async with gate.engine.connect() as connection:
        waiting = await connection.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
    return bool(waiting)


async def test_a_create_waits_for_the_uncommitted_create_before_it(
    capped_app: FastAPI, backend: str, user_id_factory: Callable[[], str]
) -> None:
    """The race a single INSERT … SELECT count(*) has on PostgreSQL, made deterministic: while one
    create at cap - 1 is inserted but not committed, a second one must wait, then count it and refuse."""
    if backend != "postgresql":
        pytest.skip("SQLite has a single writer: the second INSERT waits for the database's write lock")
    gate: ConnectionGate = capped_app.state.gate
    user = user_id_factory()
    values = editable_values(models.TaskCreate(title="racer"))
    filler = RequestDatabase(gate)
    for _ in range(CAP - 1):
        assert await TaskRepository(filler, user).create(values, CAP) is not None
    await filler.close()

    first_db, second_db = HeldOpen(gate), RequestDatabase(gate)
    first = asyncio.create_task(TaskRepository(first_db, user).create(values, CAP))
    await first_db.inserted.wait()
    second = asyncio.create_task(TaskRepository(second_db, user).create(values, CAP))
    # The second create either finishes (counting the cap - 1 committed rows) or waits for the lock.
    async with asyncio.timeout(10):
        # Polled: a lock wait inside PostgreSQL is a condition no asyncio.Event can signal.
        while not second.done() and not await _someone_waits_for_a_lock(gate):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    first_db.release.set()
    try:
        stored = [await first, await second]
    finally:
        await first_db.close()
        await second_db.close()
    assert [row is not None for row in stored] == [True, False]
    async with _client(capped_app, user) as owner:
        assert await _count(owner) == CAP
