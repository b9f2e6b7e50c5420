"""Live events over a real HTTP server (uvicorn in this process, so the app's bus can be inspected)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from impl.app import create_app
from impl.sync.events import ChangeBus, StreamsExhausted, TooManyStreams
from tests.live_server import free_port
from tests.sse_support import EventReader
from tests.support import asyncpg_dsn, auth, settings_for

EVENTS = "/api/tasks/events"


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """`app` (its lifespan already running) served over TCP on a free loopback port."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            # uvicorn offers a flag, not an event, for "listening": polled, bounded by the timeout.
            while not server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        app.state.sync.bus.close_all()
        await task


@pytest.fixture(scope="module")
async def base_url(app: FastAPI) -> AsyncIterator[str]:
    async with serving(app) as url:
        yield url


@asynccontextmanager
async def stream(base_url: str, user_id: str, **headers: str) -> AsyncIterator[EventReader]:
    async with (
        httpx.AsyncClient(base_url=base_url, headers=auth(user_id), timeout=10) as client,
        client.stream("GET", EVENTS, headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response)


async def _create(base_url: str, user_id: str, title: str = "x") -> int:
    async with httpx.AsyncClient(base_url=base_url, headers=auth(user_id)) as client:
        response = await client.post("/api/tasks", json={"title": title})
        assert response.status_code == 201
        task_id: int = response.json()["id"]
        return task_id


async def test_a_stream_starts_at_the_current_position_and_announces_each_change(
    base_url: str, user_id_factory: Callable[[], str]
) -> None:
    user = user_id_factory()
    async with stream(base_url, user) as events:
        first = await events.next()
        assert first is not None
        assert (first.event, first.data) == ("sync", {"type": "sync", "seq": 0})
        await _create(base_url, user)
        second = await events.next()
        assert second is not None
        assert second.event == "sync"
        assert second.data["seq"] > 0
        assert second.id == str(second.data["seq"])


async def test_another_users_changes_are_not_announced(
    base_url: str, user_id_factory: Callable[[], str]
) -> None:
    me, other = user_id_factory(), user_id_factory()
    async with stream(base_url, me) as events:
        assert await events.next() is not None
        await _create(base_url, other)
        await _create(base_url, me)
        announced = await events.next()
        assert announced is not None
        # Exactly one change of mine: my sequence is at 1, whatever the other user did first.
        assert announced.data["seq"] == 1


async def test_last_event_id_resumes_without_repeating_the_position(
    base_url: str, user_id_factory: Callable[[], str]
) -> None:
    user = user_id_factory()
    await _create(base_url, user)
    async with stream(base_url, user, **{"Last-Event-ID": "1"}) as events:
        await _create(base_url, user)
        event = await events.next()
        assert event is not None
        assert event.data["seq"] == 2, "the position the client already had must not be repeated"
    async with stream(base_url, user, **{"Last-Event-ID": "1"}) as events:
        event = await events.next()
        assert event is not None
        assert event.data["seq"] == 2, "a change missed while disconnected is announced at once"


async def test_streams_per_user_are_capped_with_a_429(
    base_url: str, app: FastAPI, user_id_factory: Callable[[], str]
) -> None:
    user = user_id_factory()
    cap = app.state.settings.sync_streams_per_user
    async with httpx.AsyncClient(base_url=base_url, headers=auth(user), timeout=10) as client:
        opened = [client.stream("GET", EVENTS) for _ in range(cap)]
        responses = [await s.__aenter__() for s in opened]
        try:
            assert {r.status_code for r in responses} == {200}
            refused = await client.get(EVENTS)
            assert refused.status_code == 429
            assert refused.headers["content-type"] == "application/problem+json"
            assert "retry-after" in refused.headers
            other = user_id_factory()
            async with stream(base_url, other) as events:
                assert await events.next() is not None
        finally:
            for s in opened:
                await s.__aexit__(None, None, None)
    # Closed streams give their places back.
    async with stream(base_url, user) as events:
        assert await events.next() is not None


def test_the_total_cap_answers_503_and_freed_places_are_reused() -> None:
    bus = ChangeBus(per_user=5, total=2, retry_after_seconds=1)
    first, _ = bus.subscribe("a"), bus.subscribe("b")
    with pytest.raises(StreamsExhausted):
        bus.subscribe("c")
    bus.unsubscribe(first)
    bus.unsubscribe(first)  # idempotent: a stream closed twice frees one place
    assert bus.open_streams == 1
    bus.subscribe("c")


def test_the_per_user_cap_comes_before_the_total() -> None:
    bus = ChangeBus(per_user=1, total=1, retry_after_seconds=1)
    bus.subscribe("a")
    with pytest.raises(TooManyStreams):
        bus.subscribe("a")


async def test_a_stream_refuses_an_accept_without_event_stream(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, headers=auth("accept-json")) as client:
        response = await client.get(EVENTS, headers={"Accept": "application/json"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"


async def test_heartbeats_keep_an_idle_stream_alive_until_its_maximum_duration(
    database_url: str, user_id_factory: Callable[[], str]
) -> None:
    settings = settings_for(database_url, sync_heartbeat_seconds=0.05, sync_stream_max_seconds=1)
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        serving(app) as url,
        stream(url, user_id_factory()) as events,
    ):
        assert await events.next() is not None
        assert await events.next_comment() == ": heartbeat"
        assert await events.next() is None, "the stream ends after its maximum duration"
    assert app.state.sync.bus.open_streams == 0


async def test_a_lost_listener_reconnects_and_tells_streams_to_resync(
    app: FastAPI, base_url: str, backend: str, postgres_admin: str, user_id_factory: Callable[[], str]
) -> None:
    if backend != "postgresql":
        pytest.skip("the LISTEN connection exists on PostgreSQL only")
    listener = app.state.sync.listener
    user = user_id_factory()
    async with stream(base_url, user) as events:
        assert await events.next() is not None
        async with asyncio.timeout(10):
            await listener.listening.wait()
        admin = await asyncpg.connect(asyncpg_dsn(postgres_admin))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", listener.backend_pid)
        finally:
            await admin.close()
        resync = await events.next()
        assert resync is not None
        assert (resync.event, resync.data) == ("resync", {"type": "resync", "seq": None})
        await _create(base_url, user)
        after = await events.next()
        assert after is not None
        assert after.data["seq"] == 1, "changes are announced again over the new connection"
