"""Issue #10, items 5 and 13 on the real server (`python -m impl.serve`), driven over raw sockets.

A client that never finishes its headers (slowloris) is answered 408 and closed once the header
timeout passes, while /healthz keeps answering; a header block over the limit is a 431 before it is
buffered whole; no response names the server software.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.live_server import app_env, migrate_as_deployed, production_server
from tests.support import TEST_SECRET

HEADER_TIMEOUT_SECONDS = 1.0
SLOW_CLIENTS = 8
# Each slow client sends one header byte per step, far more steps than the timeout allows.
STEP_SECONDS = 0.1
MAX_STEPS = int(20 * HEADER_TIMEOUT_SECONDS / STEP_SECONDS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("slow") / "tasks.db"
    env = app_env(
        f"sqlite+aiosqlite:///{database}", TEST_SECRET, HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT_SECONDS)
    )
    migrate_as_deployed(env)
    with production_server(env) as process:
        yield process.base_url


def _connect(base_url: str) -> socket.socket:
    host, port = httpx.URL(base_url).host, httpx.URL(base_url).port
    assert port is not None
    connection = socket.create_connection((host, port), timeout=5)
    connection.setblocking(False)
    return connection


def _answer_if_closed(connection: socket.socket) -> bytes | None:
    """What the server sent, once it closed the connection; None while it is still open."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except BlockingIOError:
        return None
    return received


def test_slow_header_senders_are_answered_408_and_closed_while_the_server_serves_others(server: str) -> None:
    clients = [_connect(server) for _ in range(SLOW_CLIENTS)]
    for client in clients:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    answers: dict[int, bytes] = {}
    started = time.monotonic()
    for _ in range(MAX_STEPS):
        for index, client in enumerate(clients):
            if index in answers:
                continue
            answer = _answer_if_closed(client)
            if answer is not None:
                answers[index] = answer
                continue
            try:
                client.sendall(b"a")
            except OSError:
                answers[index] = _answer_if_closed(client) or b""
        if len(answers) == SLOW_CLIENTS:
            break
        # While they trickle, another client is served at once.
        assert httpx.get(f"{server}/healthz", timeout=HEADER_TIMEOUT_SECONDS).status_code == 200
        time.sleep(STEP_SECONDS)
    elapsed = time.monotonic() - started
    for client in clients:
        client.close()
    print(
        f"{SLOW_CLIENTS} slow clients closed after {elapsed:.2f}s (header timeout {HEADER_TIMEOUT_SECONDS}s)"
    )
    assert len(answers) == SLOW_CLIENTS, "a slow client was still connected after 20 header timeouts"
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers.values())
    assert all(b"application/problem+json" in answer for answer in answers.values())


def test_a_silent_connection_is_closed_too(server: str) -> None:
    client = _connect(server)
    client.setblocking(True)
    client.settimeout(20 * HEADER_TIMEOUT_SECONDS)
    answer = client.recv(65536)
    client.close()
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_header_block_over_the_limit_is_431_before_it_is_complete(server: str) -> None:
    client = _connect(server)
    client.setblocking(True)
    client.settimeout(10)
    client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
    answer = b""
    try:
        # Up to 1 MB of one header that never ends; the server answers and closes long before.
        for _ in range(64):
            client.sendall(b"a" * 16384)
    except OSError:
        pass  # closed by the server: the answer is already waiting
    try:
        while chunk := client.recv(65536):
            answer += chunk
    except OSError:
        pass
    client.close()
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]


def test_responses_carry_no_server_banner_and_the_security_headers(server: str) -> None:
    response = httpx.get(f"{server}/api/tasks")
    assert response.status_code == 401
    assert "server" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
