"""SIGTERM to the production server (`python -m impl.serve`, 2 workers): not ready first, still serving,
then the requests in flight finish and the process exits 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import orjson
import pytest

from tests.live_server import free_port, wait_until_serving
from tests.pg_cluster import poll_until
from tests.support import ROOT, TEST_SECRET, auth

DRAIN_SECONDS = 5
EXIT_DEADLINE_SECONDS = 30
GRACEFUL_SHUTDOWN_LINE = "Waiting for connections to close"


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logged(self, text: str) -> bool:
        return any(text in line for line in list(self.log))


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    database = tmp_path_factory.mktemp("shutdown") / "tasks.db"
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS),
    }
    alembic = [sys.executable, "-m", "alembic", "upgrade", "head"]
    subprocess.run(alembic, cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    command = [sys.executable, "-m", "impl.serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    running = Server(process, port)

    def read_log() -> None:
        # Keeps the pipe drained, and lets the test see when uvicorn starts its graceful shutdown.
        assert process.stderr is not None
        running.log.extend(line.decode(errors="replace") for line in process.stderr)

    threading.Thread(target=read_log, daemon=True).start()
    try:
        wait_until_serving(process, f"{running.url}/healthz")
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def start_request_in_flight(port: int) -> tuple[socket.socket, bytes]:
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


def test_sigterm_drains_readiness_first_then_finishes_requests_in_flight(server: Server) -> None:
    assert readiness_status(server.url) == 200
    in_flight, rest_of_body = start_request_in_flight(server.port)

    server.process.send_signal(signal.SIGTERM)

    # Draining: not ready, so a load balancer stops sending; yet requests are still served normally.
    poll_until(lambda: readiness_status(server.url) == 503, "unready after SIGTERM", DRAIN_SECONDS)
    draining = httpx.get(f"{server.url}/readyz", timeout=5)
    assert draining.headers["retry-after"] == "1"
    assert draining.headers["content-type"] == "application/problem+json"
    served = httpx.get(f"{server.url}/api/tasks", headers=auth("shutdown"), timeout=5)
    assert served.status_code == 200
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200

    # After the drain uvicorn stops accepting and waits for the connection still in flight.
    poll_until(lambda: server.logged(GRACEFUL_SHUTDOWN_LINE), "in graceful shutdown", EXIT_DEADLINE_SECONDS)
    with in_flight:
        in_flight.sendall(rest_of_body)
        status_line = in_flight.recv(4096).split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 201 Created"

    assert server.process.wait(timeout=EXIT_DEADLINE_SECONDS) == 0
