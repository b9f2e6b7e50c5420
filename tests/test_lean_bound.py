"""The benchmark's lean bound (bench/lean.py) answers exactly what the service answers for the same rows.

Its req/s are only a yardstick for the service's if it does the same work: same rows from the same
SQL, rendered as the same Task JSON with the same headers, and the same input refused.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bench.lean import LeanApp
from impl.app import create_app
from impl.tasks.cursor import Cursor, CursorCodec, query_fingerprint
from tests.support import (
    NEXT_LINK,
    auth,
    create_postgres_database,
    drop_postgres_database,
    migrate,
    settings_for,
)

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


# The sealed cursor in a `Link` takes a fresh nonce each time: compared once opened, not as text.
# Each app counts its own rate limits: `RateLimit` is compared without the remaining quota and reset.
# Values that differ by design: the sealed cursor, the quota left, the request id (random per request).
SEALED = {"link", "ratelimit", "x-request-id"}
QUOTA_LEFT = re.compile(r";r=\d+;t=\d+")


def _same(service_answer: httpx.Response, lean_answer: httpx.Response, status: int) -> None:
    """Same status, body and headers (security, rate limit, ETag, Location, Link …), header names
    and values alike, except what is sealed afresh per answer."""
    assert (service_answer.status_code, lean_answer.status_code) == (status, status), lean_answer.text
    assert lean_answer.json() == service_answer.json()

    def headers(answer: httpx.Response) -> dict[str, str]:
        return {name: value for name, value in answer.headers.items() if name not in SEALED}

    assert headers(lean_answer) == headers(service_answer)
    assert ("link" in lean_answer.headers) == ("link" in service_answer.headers)
    assert ("x-request-id" in lean_answer.headers) == ("x-request-id" in service_answer.headers)
    assert QUOTA_LEFT.sub("", lean_answer.headers["ratelimit"]) == QUOTA_LEFT.sub(
        "", service_answer.headers["ratelimit"]
    )


def _opened_cursor(app: FastAPI, user: str, answer: httpx.Response) -> Cursor:
    url = httpx.URL(NEXT_LINK.fullmatch(answer.headers["link"])["url"])  # type: ignore[index]
    codec: CursorCodec = app.state.cursors
    fingerprint = query_fingerprint("all", "-created_at", None, None)
    return codec.decode(url.params["cursor"], user, fingerprint, datetime)


def _next(answer: httpx.Response) -> str:
    return NEXT_LINK.fullmatch(answer.headers["link"])["url"]  # type: ignore[index]


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
                assert answer.headers["etag"] == f'"{answer.json()["id"]}-1"'
                # Both read the stored row back alike, and as it was answered when created.
                read = [await client.get(answer.headers["location"]) for client in (by_service, by_lean)]
                _same(read[0], read[1], 200)
                assert read[0].json() == answer.json()
            assert sorted(created["lean"].headers) == sorted(created["service"].headers)
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
            if "link" not in listed[0].headers:
                continue
            # Both seal the same position for this user and query; the service follows either link.
            assert _opened_cursor(service, user, listed[1]) == _opened_cursor(service, user, listed[0])
            pages = [await by_service.get(_next(answer)) for answer in listed]
            assert pages[0].status_code == pages[1].status_code == 200
            assert pages[1].json() == pages[0].json()
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
