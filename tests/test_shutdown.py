"""SIGTERM to the production server (`python -m impl.serve`, 2 workers): not ready first, still serving,
then the requests in flight finish and the process exits 0."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.live_server import ServerProcess, app_env, migrate_as_deployed, production_server
from tests.pg_cluster import poll_until
from tests.support import TEST_SECRET, auth

DRAIN_SECONDS = 5
EXIT_DEADLINE_SECONDS = 30
GRACEFUL_SHUTDOWN_LINE = "Waiting for connections to close"


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("shutdown") / "tasks.db"
    env = app_env(f"sqlite+aiosqlite:///{database}", TEST_SECRET, SHUTDOWN_DRAIN_SECONDS=str(DRAIN_SECONDS))
    migrate_as_deployed(env)
    with production_server(env, workers=2) as serving:
        yield serving


def start_request_in_flight(port: int | None) -> tuple[socket.socket, bytes]:
    """A create whose body is only half sent: in flight until the test sends the rest."""
    body = orjson.dumps({"title": "sent across the shutdown"})
    head = (
        f"POST /api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: {auth('shutdown')['Authorization']}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    connection = socket.create_connection(("127.0.0.1", port), timeout=EXIT_DEADLINE_SECONDS)
    connection.sendall(head + body[:5])
    return connection, body[5:]


def readiness_status(url: str) -> int:
    return httpx.get(f"{url}/readyz", timeout=5).status_code


def test_sigterm_drains_readiness_first_then_finishes_requests_in_flight(server: ServerProcess) -> None:
    assert readiness_status(server.base_url) == 200
    in_flight, rest_of_body = start_request_in_flight(httpx.URL(server.base_url).port)

    server.signal(signal.SIGTERM)

    # Draining: not ready, so a load balancer stops sending; yet requests are still served normally.
    poll_until(lambda: readiness_status(server.base_url) == 503, "unready after SIGTERM", DRAIN_SECONDS)
    draining = httpx.get(f"{server.base_url}/readyz", timeout=5)
    assert draining.headers["retry-after"] == "1"
    assert draining.headers["content-type"] == "application/problem+json"
    served = httpx.get(f"{server.base_url}/api/tasks", headers=auth("shutdown"), timeout=5)
    assert served.status_code == 200
    assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200

    # After the drain uvicorn stops accepting and waits for the connection still in flight.
    in_graceful_shutdown = lambda: GRACEFUL_SHUTDOWN_LINE in server.log_text()  # noqa: E731
    poll_until(in_graceful_shutdown, "in graceful shutdown", EXIT_DEADLINE_SECONDS)
    with in_flight:
        in_flight.sendall(rest_of_body)
        status_line = in_flight.recv(4096).split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 201 Created"

    assert server.wait(EXIT_DEADLINE_SECONDS) == 0
