"""No change becomes visible behind a token: many concurrent writers of one user, one client syncing
in a loop meanwhile; at the end its replica equals the table, with no change applied twice."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import httpx
from fastapi import FastAPI

from tests.support import auth
from tests.sync_support import Replica, all_tasks

WRITERS = 8
WRITES_PER_WRITER = 40


def _session(app: FastAPI, user_id: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=auth(user_id)
    )


async def _write(client: httpx.AsyncClient, ids: list[int], rng: random.Random) -> None:
    for n in range(WRITES_PER_WRITER):
        choice = rng.random()
        if choice < 0.3 or not ids:
            response = await client.post("/api/tasks", json={"title": f"w{n}"})
            assert response.status_code == 201
            ids.append(response.json()["id"])
            continue
        task_id = rng.choice(ids)
        if choice < 0.55:
            await client.patch(f"/api/tasks/{task_id}", json={"title": f"edit {n}"})
        elif choice < 0.75:
            await client.patch(f"/api/tasks/{task_id}/complete")
        elif choice < 0.9:
            sample = rng.sample(ids, min(3, len(ids)))
            await client.post(
                "/api/tasks/bulk", json={"action": rng.choice(["complete", "reopen"]), "ids": sample}
            )
        else:
            await client.delete(f"/api/tasks/{task_id}")


async def test_a_client_syncing_during_concurrent_writes_ends_with_exactly_the_table(
    app: FastAPI, user_id_factory: Callable[[], str]
) -> None:
    user = user_id_factory()
    ids: list[int] = []
    sessions = [_session(app, user) for _ in range(WRITERS + 1)]
    reader, writers = sessions[0], sessions[1:]
    replica = Replica()
    try:
        writing = asyncio.gather(
            *(_write(client, ids, random.Random(seed)) for seed, client in enumerate(writers))
        )
        pulls = 0
        while not writing.done():
            pulls += await replica.pull(reader, limit=7)
        await writing
        await replica.pull(reader, limit=7)
        table = await all_tasks(reader)
    finally:
        for client in sessions:
            await client.aclose()

    assert pulls > 1, "the reader must have synced while the writers were writing"
    assert len(replica.applied) == len(set(replica.applied)), "a change was delivered twice"
    assert replica.tasks == table
