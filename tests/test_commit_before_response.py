"""An acknowledged write is durable: the request's database work is committed before its response starts.

Seen from another connection at the moment the server sends `http.response.start`, the write must
already be visible. On SQLite a PATCH runs inside the request's transaction, committed only when the
handler's dependency exits (impl/tasks/handler.py task_handler, used with scope="function"); were that
exit to run after the response, this test would see the old title.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from tests.support import TASKS, auth, http_scope, settings_for


@pytest.fixture
async def observer(database_url: str) -> AsyncIterator[AsyncEngine]:
    # The URL as the app's settings normalise it (the async driver of each backend).
    engine = create_async_engine(settings_for(database_url).database.url, poolclass=NullPool)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _title_seen_by_another_connection(engine: AsyncEngine, task_id: int) -> str | None:
    async with engine.connect() as connection:
        query = text("SELECT title FROM tasks WHERE id = :task_id")
        return (await connection.execute(query, {"task_id": task_id})).scalar_one_or_none()


async def _call(
    app: FastAPI, method: str, path: str, user: str, body: dict[str, Any], at_start: Any
) -> tuple[int, dict[str, Any]]:
    """One request straight through ASGI; `at_start()` runs when the response starts, before it is sent."""
    headers = [(name.lower().encode(), value.encode()) for name, value in auth(user).items()]
    scope = http_scope(
        method, path, [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers]
    )
    requested = orjson.dumps(body)
    answered: dict[str, Any] = {"body": b""}

    async def receive() -> MutableMapping[str, Any]:
        nonlocal requested
        chunk, requested = requested, b""
        return {"type": "http.request", "body": chunk, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answered["status"] = message["status"]
            await at_start()
        elif message["type"] == "http.response.body":
            answered["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answered["status"], orjson.loads(answered["body"])


async def test_a_write_is_visible_elsewhere_when_its_response_starts(
    app: FastAPI, observer: AsyncEngine
) -> None:
    user = f"user-{uuid.uuid4().hex}"
    status, created = await _call(app, "POST", TASKS, user, {"title": "before"}, _nothing)
    assert status == 201
    task_id = created["id"]
    seen: list[str | None] = []

    async def look() -> None:
        seen.append(await _title_seen_by_another_connection(observer, task_id))

    status, patched = await _call(app, "PATCH", f"{TASKS}/{task_id}", user, {"title": "after"}, look)
    assert (status, patched["title"]) == (200, "after")
    assert seen == ["after"]


async def _nothing() -> None:
    return None
