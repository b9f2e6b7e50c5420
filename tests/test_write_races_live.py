"""The write races over real TCP connections, against uvicorn with two worker processes on PostgreSQL.

The in-process tests (test_conditional, test_idempotency) race requests through one event loop and one
pool; here the racers are separate connections served by separate processes, as in production.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.live_server import app_env, app_server
from tests.support import TEST_SECRET, auth, fresh_postgres_database

TASKS = "/api/tasks"
WORKERS = "2"


@pytest.fixture(scope="module")
async def postgres_url(postgres_admin: str) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_admin, prefix="todo_races") as url:
        yield url


@pytest.fixture(scope="module")
def server(postgres_url: str) -> Iterator[str]:
    with app_server(app_env(postgres_url, TEST_SECRET), workers=int(WORKERS)) as serving:
        yield serving.base_url


@pytest.fixture
async def client(server: str) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=100)
    headers = auth(f"racer-{uuid.uuid4().hex}")
    async with httpx.AsyncClient(base_url=server, headers=headers, limits=limits, timeout=30) as c:
        yield c


async def test_100_writers_with_one_etag_over_tcp_one_wins(client: httpx.AsyncClient) -> None:
    created = await client.post(TASKS, json={"title": "Contested"})
    url, etag = created.headers["location"], created.headers["etag"]

    responses = await asyncio.gather(
        *(client.put(url, json={"title": f"writer {i}"}, headers={"If-Match": etag}) for i in range(100))
    )

    assert sorted(r.status_code for r in responses) == [200] + [412] * 99
    assert (await client.get(url)).json()["version"] == 2


async def test_50_retries_of_one_keyed_create_over_tcp_make_one_task(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}

    responses = await asyncio.gather(
        *(client.post(TASKS, json={"title": "Retried"}, headers=headers) for _ in range(50))
    )

    assert [r.status_code for r in responses] == [201] * 50
    assert len({r.content for r in responses}) == 1
    assert len((await client.get(TASKS)).json()) == 1


async def test_a_toggle_retried_10_times_over_tcp_flips_once(client: httpx.AsyncClient) -> None:
    url = (await client.post(TASKS, json={"title": "Toggle"})).headers["location"]
    headers = {"Idempotency-Key": str(uuid.uuid4())}

    responses = await asyncio.gather(*(client.patch(f"{url}/complete", headers=headers) for _ in range(10)))

    assert [r.status_code for r in responses] == [200] * 10
    final = (await client.get(url)).json()
    assert (final["completed"], final["version"]) == (True, 2)
