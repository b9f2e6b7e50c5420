"""The benchmark's lean bound (bench/lean.py) answers exactly what the service answers for the same rows.

Its req/s are only a yardstick for the service's if it does the same work: same rows from the same
SQL, rendered as the same Task JSON with the same headers, and the same input refused.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bench.lean import LeanApp
from impl.app import create_app
from tests.conftest import settings_for
from tests.support import auth, create_postgres_database, drop_postgres_database, migrate

TASKS = "/api/tasks"
SEEDED = 55  # more than one default page, so both answer with a next-page link
BODIES: list[dict[str, Any]] = [
    {
        "title": "  Buy milk\u3000",
        "description": "Two litres",
        "priority": "high",
        "tags": ["home", "errands"],
    },
    {"title": "Call the bank", "due_at": "2026-12-01T17:00:00.25+01:00"},
    {"title": "Renew passport", "due_at": "2027-01-31T23:30:00-05:30", "priority": "low", "tags": []},
    {"title": "Fix the bike", "description": None, "due_at": None, "tags": ["x"]},
]
INVALID_BODIES: list[object] = [
    {},
    {"title": " \t "},
    {"title": "a" * 201},
    {"title": "ok", "owner": "someone else"},
    {"title": "ok", "priority": "urgent"},
    {"title": "ok", "tags": ["a", "a"]},
    {"title": "ok", "tags": [" padded"]},
    {"title": "ok", "tags": ["t"] * 21},
    {"title": "ok", "due_at": "2026-12-01T17:00:00"},
    {"title": "ok", "due_at": "0001-01-01T00:00:00+01:00"},
    {"title": "ok", "description": "nul\x00"},
    ["title"],
]


def _client(app: Any, user: str | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers=auth(user) if user else None,
    )


@pytest.fixture(scope="module")
async def database(postgres_admin: str) -> AsyncIterator[str]:
    url = await create_postgres_database(postgres_admin, prefix="todo_lean")
    try:
        await migrate(url)
        yield url
    finally:
        await drop_postgres_database(postgres_admin, url)


@pytest.fixture(scope="module")
async def service(database: str) -> AsyncIterator[FastAPI]:
    app = create_app(settings_for(database))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def lean(database: str) -> AsyncIterator[LeanApp]:
    app = LeanApp(settings_for(database))
    await app.start()
    try:
        yield app
    finally:
        await app.close()


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex}"


def _same(service_answer: httpx.Response, lean_answer: httpx.Response, status: int) -> None:
    assert (service_answer.status_code, lean_answer.status_code) == (status, status), lean_answer.text
    assert lean_answer.headers["content-type"] == service_answer.headers["content-type"]
    assert lean_answer.json() == service_answer.json()


async def test_created_tasks_are_stored_and_rendered_alike(
    service: FastAPI, lean: LeanApp, user: str
) -> None:
    async with _client(service, user) as by_service, _client(lean, user) as by_lean:
        for body in BODIES:
            created = {
                "service": await by_service.post(TASKS, json=body),
                "lean": await by_lean.post(TASKS, json=body),
            }
            for name, answer in created.items():
                assert answer.status_code == 201, (name, answer.text)
                assert answer.headers["location"] == f"{TASKS}/{answer.json()['id']}"
                # The other one renders the same stored row identically.
                reader = by_lean if name == "service" else by_service
                again = await reader.get(answer.headers["location"])
                assert again.status_code == 200
                assert again.json() == answer.json()
            stored = [answer.json() for answer in created.values()]
            for task in stored:
                for generated in ("id", "created_at", "updated_at"):
                    task.pop(generated)
            assert stored[0] == stored[1]


async def test_list_pages_and_links_are_identical(service: FastAPI, lean: LeanApp, user: str) -> None:
    async with _client(service, user) as by_service, _client(lean, user) as by_lean:
        ids = []
        for n in range(SEEDED):
            body = BODIES[n % len(BODIES)] | {"title": f"task {n}"}
            ids.append((await by_service.post(TASKS, json=body)).json()["id"])
        for task_id in ids[::3]:
            assert (await by_service.patch(f"{TASKS}/{task_id}/complete")).status_code == 200
        for query in ("", "?limit=50", "?limit=7", "?limit=100"):
            listed = await by_service.get(TASKS + query), await by_lean.get(TASKS + query)
            _same(*listed, 200)
            assert listed[1].headers.get("link") == listed[0].headers.get("link")
        assert len((await by_lean.get(TASKS)).json()) == 50
        assert "link" not in (await by_lean.get(f"{TASKS}?limit=100")).headers
        for task_id in ids:
            _same(await by_service.get(f"{TASKS}/{task_id}"), await by_lean.get(f"{TASKS}/{task_id}"), 200)


async def test_both_refuse_the_same_requests(service: FastAPI, lean: LeanApp, user: str) -> None:
    async with _client(service, user) as by_service, _client(lean, user) as by_lean:
        for body in INVALID_BODIES:
            refused = await by_service.post(TASKS, json=body), await by_lean.post(TASKS, json=body)
            assert [answer.status_code for answer in refused] == [400, 400], body
        someone_elses = (await by_service.post(TASKS, json=BODIES[0])).json()["id"]
    async with _client(service, "intruder") as by_service, _client(lean, "intruder") as by_lean:
        for client in (by_service, by_lean):
            assert (await client.get(f"{TASKS}/{someone_elses}")).status_code == 404
            assert (await client.get(f"{TASKS}/{2**63 - 1}")).status_code == 404
            assert (await client.get(TASKS)).json() == []
    async with _client(service, None) as by_service, _client(lean, None) as by_lean:
        for client in (by_service, by_lean):
            answer = await client.get(TASKS)
            assert answer.status_code == 401
            assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
