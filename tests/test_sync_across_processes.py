"""Two API server processes on one PostgreSQL: a client subscribed to one hears of changes made through
the other (LISTEN/NOTIFY), measured over 200 changes; a shutdown ends open streams cleanly."""

from __future__ import annotations

import signal
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.live_server import ServerProcess, app_env, app_server
from tests.sse_support import EventReader
from tests.support import TEST_SECRET, auth, fresh_postgres_database

CHANGES = 200
SHUTDOWN_DEADLINE_SECONDS = 8  # below uvicorn's 10 s graceful timeout: a stream must not hold it


@pytest.fixture(scope="module")
async def database(postgres_admin: str) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_admin) as url:
        yield url


def api_process(database_url: str, log: Path) -> ServerProcess:
    return app_server(app_env(database_url, TEST_SECRET), log_path=log)


async def test_a_change_through_one_process_reaches_a_stream_on_the_other(
    database: str, tmp_path: Path, user_id_factory: object
) -> None:
    user = f"cross-{time.monotonic_ns()}"
    with (
        api_process(database, tmp_path / "a.log") as a,
        api_process(database, tmp_path / "b.log") as b,
    ):
        async with (
            httpx.AsyncClient(base_url=a.base_url, headers=auth(user), timeout=10) as listener,
            httpx.AsyncClient(base_url=b.base_url, headers=auth(user), timeout=10) as writer,
            listener.stream("GET", "/api/tasks/events") as response,
        ):
            events = EventReader(response)
            first = await events.next()
            assert first is not None
            assert first.data["seq"] == 0
            latencies = []
            for n in range(1, CHANGES + 1):
                sent = time.perf_counter()
                assert (await writer.post("/api/tasks", json={"title": f"change {n}"})).status_code == 201
                event = await events.next()
                latencies.append(time.perf_counter() - sent)
                assert event is not None
                assert event.data == {"type": "sync", "seq": n}, "one event per change, in order"
    cuts = statistics.quantiles(latencies, n=100)
    # Reported, not asserted: the README quotes these figures.
    print(
        f"\nSSE delivery across processes over {CHANGES} changes (write sent -> event received): "
        f"p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )


async def test_a_shutdown_ends_open_streams_without_waiting_for_the_graceful_timeout(
    database: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    with api_process(database, log) as process:
        async with (
            httpx.AsyncClient(base_url=process.base_url, headers=auth("shutdown-user"), timeout=10) as client,
            client.stream("GET", "/api/tasks/events") as response,
        ):
            events = EventReader(response)
            assert await events.next() is not None
            process.signal(signal.SIGTERM)
            assert await events.next(deadline=SHUTDOWN_DEADLINE_SECONDS) is None, "the stream ended cleanly"
        # uvicorn re-raises the signal once it has shut down, so the status is -SIGTERM either way.
        process.wait(SHUTDOWN_DEADLINE_SECONDS)
        output = process.log_text()
    assert "Application shutdown complete" in output
    assert "timeout graceful shutdown exceeded" not in output
