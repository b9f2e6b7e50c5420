"""Every "the database is not there right now" state is a 503 with Retry-After, on every operation and on
/readyz, never a 500; and the app recovers by itself. Each state is a real PostgreSQL put into it
(tests/pg_cluster.py), except Neon's proxy, which is stood in for at the protocol level.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import asyncpg
import httpx
import pytest

from impl.db_errors import is_database_unavailable
from impl.db_url import parse_database_url
from tests.pg_cluster import (
    Cluster,
    poll_until,
    postgres_bin_available,
    process_gone,
    template_data_directory,
    throwaway_cluster,
)
from tests.support import IN_CI, TASKS, migrate, serving

# A hang detector, not a performance target: every answer here is expected within about a second.
ANSWER_TIMEOUT_SECONDS = 10
EVERY_OPERATION = [("GET", TASKS), ("POST", TASKS), ("GET", "/readyz")]


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    """A migrated data directory every throwaway cluster is copied from."""
    if not postgres_bin_available():
        if IN_CI:
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are required under CI")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    with template_data_directory() as data:
        cluster = Cluster(data, _port())
        cluster.start()
        try:
            asyncio.run(migrate(cluster.url))
        finally:
            cluster.stop()
        yield data


def _port() -> int:
    from tests.live_server import free_port

    return free_port()


def api(database_url: str, **settings: object) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return serving(database_url, "transitions", **settings)


async def call(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    request = client.request(method, path, json={"title": "x"} if method == "POST" else None)
    return await asyncio.wait_for(request, timeout=ANSWER_TIMEOUT_SECONDS)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"


async def assert_every_operation_unavailable(client: httpx.AsyncClient) -> None:
    for method, path in EVERY_OPERATION:
        assert_unavailable(await call(client, method, path))


async def sqlstate_of_new_connection(url: str) -> str | None:
    try:
        connection = await asyncpg.connect(url, timeout=2)
    except asyncpg.PostgresError as exc:
        return str(exc.sqlstate)
    except OSError:
        return "refused"
    await connection.close()
    return None


def wait_for_sqlstate(url: str, expected: str) -> None:
    poll_until(lambda: asyncio.run(sqlstate_of_new_connection(url)) == expected, f"refusing with {expected}")


async def other_client_backends(admin: asyncpg.Connection) -> list[int]:
    """The server processes of every client session but `admin`'s: here, the app's pooled connections."""
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )
    return [row["pid"] for row in rows]


async def wait_until_served(client: httpx.AsyncClient) -> None:
    """Recovered without a restart: polls the same app until a read answers 200."""
    for _ in range(200):
        if (await call(client, "GET", TASKS)).status_code == 200:
            return
        await asyncio.sleep(0.05)
    pytest.fail("the app did not recover after the database did")


async def test_starting_up_57p03_is_503(template: Path) -> None:
    # A standby with hot_standby off stays in recovery, refusing every connection with 57P03, exactly
    # like a primary replaying WAL after a crash, for as long as the test needs.
    with throwaway_cluster(template, hot_standby=False) as cluster:
        (cluster.data / "standby.signal").touch()
        cluster.start(wait=False)
        await asyncio.to_thread(wait_for_sqlstate, cluster.url, "57P03")
        async with api(cluster.url) as client:
            await assert_every_operation_unavailable(client)


async def test_shutting_down_57p03_is_503(template: Path) -> None:
    with throwaway_cluster(template) as cluster:
        cluster.start()
        # A smart shutdown waits for this session to end, refusing new connections meanwhile.
        holder = await asyncpg.connect(cluster.url)
        try:
            cluster.stop("smart", wait=False)
            await asyncio.to_thread(wait_for_sqlstate, cluster.url, "57P03")
            async with api(cluster.url) as client:
                await assert_every_operation_unavailable(client)
        finally:
            await holder.close()


async def test_terminated_connection_57p01_is_503_then_recovers(template: Path) -> None:
    with throwaway_cluster(template) as cluster:
        cluster.start()
        # No ping before reuse, so the terminated pooled connection is what the next request gets.
        async with api(cluster.url, db_ping_after_idle_seconds=3600) as client:
            assert (await call(client, "GET", TASKS)).status_code == 200
            admin = await asyncpg.connect(cluster.url)
            try:
                app_backends = await other_client_backends(admin)
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", app_backends
                )
            finally:
                await admin.close()
            # The pooled connection the request used, and the event listener's own (PostgreSQL only).
            assert app_backends
            await asyncio.to_thread(poll_until, lambda: process_gone(app_backends[0]), "terminated")
            assert_unavailable(await call(client, "GET", TASKS))
            await wait_until_served(client)


async def test_crash_of_another_backend_57p02_is_503_then_recovers(template: Path) -> None:
    with throwaway_cluster(template) as cluster:
        cluster.start()
        async with api(cluster.url, db_ping_after_idle_seconds=3600) as client:
            assert (await call(client, "GET", TASKS)).status_code == 200
            victim = await asyncpg.connect(cluster.url)
            app_backends = await other_client_backends(victim)
            # A backend dying of SIGKILL makes the postmaster end every session (57P02) and recover.
            os.kill(await victim.fetchval("SELECT pg_backend_pid()"), signal.SIGKILL)
            victim.terminate()
            for pid in app_backends:
                await asyncio.to_thread(poll_until, lambda pid=pid: process_gone(pid), "ended by the crash")
            responses = [await call(client, method, path) for method, path in EVERY_OPERATION]
            assert [r.status_code for r in responses].count(500) == 0
            assert_unavailable(responses[0])
            await wait_until_served(client)


async def test_too_many_connections_53300_is_503(template: Path) -> None:
    with throwaway_cluster(template) as cluster:
        cluster.start()
        admin = await asyncpg.connect(cluster.url)
        try:
            await admin.execute("CREATE ROLE limited LOGIN CONNECTION LIMIT 1")
            await admin.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO limited")
            role_url = cluster.url.replace("postgres@", "limited@")
            holder = await asyncpg.connect(role_url)
            try:
                async with api(role_url) as client:
                    await assert_every_operation_unavailable(client)
            finally:
                await holder.close()
        finally:
            await admin.close()


async def test_write_on_a_read_only_database_25006_is_503(template: Path) -> None:
    # What a write meets on a standby, e.g. the old primary after a failover.
    with throwaway_cluster(template, default_transaction_read_only=True) as cluster:
        cluster.start()
        async with api(cluster.url) as client:
            assert (await call(client, "GET", TASKS)).status_code == 200
            assert_unavailable(await call(client, "POST", TASKS))
            assert_unavailable(await call(client, "GET", "/readyz"))


async def test_stopped_then_started_is_503_then_recovers(template: Path) -> None:
    with throwaway_cluster(template) as cluster:
        cluster.start()
        async with api(cluster.url) as client:
            assert (await call(client, "GET", "/readyz")).status_code == 200
            cluster.stop("immediate")
            await assert_every_operation_unavailable(client)
            cluster.start()
            await wait_until_served(client)
            assert (await call(client, "GET", "/readyz")).status_code == 200


SSL_REQUEST = struct.pack("!II", 8, 80877103)


def _error_response(sqlstate: str, message: str) -> bytes:
    fields = b"".join(code + text.encode() + b"\0" for code, text in [(b"S", "ERROR"), (b"C", sqlstate)])
    body = fields + b"M" + message.encode() + b"\0\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


@pytest.fixture
def neon_proxy_waking_compute() -> Iterator[int]:
    """A listener answering every startup like Neon's proxy while the compute cannot be woken yet."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    reply = _error_response("XX000", "Couldn't connect to compute node: connection refused")

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                # asyncpg first asks for TLS ("prefer"); the stand-in declines, then reads the startup.
                if connection.recv(8192) == SSL_REQUEST:
                    connection.sendall(b"N")
                    connection.recv(8192)
                connection.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    yield int(listener.getsockname()[1])
    listener.close()


async def test_neon_compute_waking_up_is_503(neon_proxy_waking_compute: int) -> None:
    async with api(f"postgresql://neon@127.0.0.1:{neon_proxy_waking_compute}/neondb") as client:
        await assert_every_operation_unavailable(client)


async def test_multi_host_url_with_only_standbys_left_is_503(template: Path) -> None:
    # Mid-failover: the old primary refuses connections, the other node does not take writes yet.
    with throwaway_cluster(template, default_transaction_read_only=True) as standby:
        standby.start()
        hosts = f"127.0.0.1:{_port()},127.0.0.1:{standby.port}"
        url = f"postgresql://postgres@{hosts}/postgres?target_session_attrs=read-write"
        async with api(url) as client:
            await assert_every_operation_unavailable(client)


async def test_multi_host_url_reaches_the_writable_node(template: Path) -> None:
    with (
        throwaway_cluster(template, default_transaction_read_only=True) as standby,
        throwaway_cluster(template) as primary,
    ):
        standby.start()
        primary.start()
        hosts = f"127.0.0.1:{standby.port},127.0.0.1:{primary.port}"
        url = f"postgresql://postgres@{hosts}/postgres?target_session_attrs=read-write"
        async with api(url) as client:
            assert (await call(client, "POST", TASKS)).status_code == 201
            assert (await call(client, "GET", "/readyz")).status_code == 200


def test_libpq_multi_host_url_becomes_asyncpg_hosts() -> None:
    url = parse_database_url("postgresql://u:p@h1:5432,h2:5433/todo?target_session_attrs=read-write").url
    assert (url.drivername, url.host, url.database) == ("postgresql+asyncpg", None, "todo")
    assert url.query == {"host": ("h1:5432", "h2:5433"), "target_session_attrs": "read-write"}


async def test_creates_on_pooled_connections_the_restart_cut_recover_at_once(template: Path) -> None:
    # A create runs in a transaction on the driver connection. Each pooled connection the restart cut
    # must fail one request at most and be replaced, even though no ping runs before reuse.
    pool_size = 4
    with throwaway_cluster(template) as cluster:
        cluster.start()
        async with api(cluster.url, db_pool_size=pool_size, db_ping_after_idle_seconds=3600) as client:
            created = await asyncio.gather(*(call(client, "POST", TASKS) for _ in range(pool_size)))
            assert [r.status_code for r in created] == [201] * pool_size  # every pooled connection used
            cluster.stop("immediate")
            cluster.start()
            statuses = [(await call(client, "POST", TASKS)).status_code for _ in range(pool_size + 2)]
    assert set(statuses) <= {201, 503}, statuses
    assert statuses[-2:] == [201, 201], f"dead connections kept being handed out: {statuses}"


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (asyncpg.InterfaceError("cannot perform operation: connection is closed"), True),
        (
            asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
            True,
        ),
        (asyncpg.InternalClientError("unexpected codec state"), False),
        (asyncpg.InterfaceError("the server expects 2 arguments, 1 was passed"), False),
    ],
)
def test_a_connection_cut_mid_statement_is_unavailable_but_a_misuse_is_a_bug(
    error: Exception, unavailable: bool
) -> None:
    # Seen under `make chaos`: a restart leaves the driver connection in a half-finished protocol state.
    assert is_database_unavailable(error) is unavailable
