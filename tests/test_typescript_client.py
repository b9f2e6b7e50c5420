"""The generated TypeScript client (generated/typescript/), exercised by Node against a live server.

Node and its test files live in clients/typescript/. This module only orchestrates: pinned npm
dependencies, a strict `tsc --noEmit` (which also runs the type-level negative test), then the
real server on a loopback port with production settings, and `node --test` through the client.
Self-contained on purpose: its fixtures are its own, so it depends on no shared conftest.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, NoReturn

import jwt
import pytest

from tests.live_server import ServerNotReady, free_port, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
CLIENT_DIR = ROOT / "clients" / "typescript"
MIN_NODE_MAJOR = 20
STARTUP_DEADLINE_SECONDS = 30.0
NODE_STEP_TIMEOUT_SECONDS = 300.0
# Variables that would quietly change the server under test if inherited from a developer's shell.
SERVER_ENV_OVERRIDDEN = (
    "APP_ENV",
    "DATABASE_URL",
    "BETTER_AUTH_SECRET",
    "CORS_ORIGINS",
)


def _text(stream: str | bytes | None) -> str:
    if isinstance(stream, bytes):
        return stream.decode(errors="replace")
    return stream or ""


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> NoReturn:
    # Developers without Node still get a green suite; CI must prove the client works.
    if _under_ci():
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


def _run(
    command: list[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = CLIENT_DIR,
) -> str:
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=NODE_STEP_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        streams = (exc.stdout, exc.stderr)
        partial = [_text(stream) for stream in streams]
        pytest.fail(f"{' '.join(command)} timed out:\n" + "\n".join(partial))
    output = f"{result.stdout}\n{result.stderr}".strip()
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited with {result.returncode}:\n{output}")
    return output


@dataclass(frozen=True)
class Node:
    node: str
    npm: str


@pytest.fixture(scope="module")
def node() -> Node:
    """Node and npm, with clients/typescript's pinned dependencies installed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("Node.js (node and npm) is not installed")
    version = _run([node, "--version"])
    match = re.match(r"v(\d+)\.", version)
    if match is None or int(match.group(1)) < MIN_NODE_MAJOR:
        _unavailable(f"Node.js >= {MIN_NODE_MAJOR} is required, found {version}")
    installed = CLIENT_DIR / "node_modules" / ".package-lock.json"
    lock = CLIENT_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"])
    return Node(node, npm)


def _log_text(log: IO[bytes]) -> str:
    log.seek(0)
    return _text(log.read())


def _wait_until_serving(process: subprocess.Popen[bytes], base_url: str, log: IO[bytes]) -> None:
    try:
        wait_until_serving(process, f"{base_url}/healthz", deadline_seconds=STARTUP_DEADLINE_SECONDS)
    except ServerNotReady as exc:
        pytest.fail(f"{exc}:\n{_log_text(log)}")


class LiveServer:
    def __init__(self, base_url: str, secret: str) -> None:
        self.base_url = base_url
        self._secret = secret

    def token(self, user_id: str) -> str:
        """A Better Auth-shaped HS256 JWT, signed with the server's secret."""
        issued = datetime.now(UTC)
        claims = {"sub": user_id, "iat": issued, "exp": issued + timedelta(hours=1)}
        return jwt.encode(claims, self._secret, algorithm="HS256")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn with production settings and a fresh, migrated SQLite database."""
    secret = secrets.token_urlsafe(48)
    database = tmp_path_factory.mktemp("typescript-client") / "tasks.db"
    env = {k: v for k, v in os.environ.items() if k not in SERVER_ENV_OVERRIDDEN}
    env |= {
        "APP_ENV": "production",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "BETTER_AUTH_SECRET": secret,
    }
    _run([sys.executable, "-m", "alembic", "upgrade", "head"], env=env, cwd=ROOT)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "impl.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    # A file rather than a pipe: nobody has to drain it while Node runs, and it outlives the process.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        try:
            _wait_until_serving(process, base_url, log)
            yield LiveServer(base_url, secret)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_typescript_client_typechecks(node: Node) -> None:
    # Strict tsc over the tests and the committed package's declarations; test/types.typetest.ts
    # holds `@ts-expect-error` lines, so this also fails if a wrong call starts to compile.
    _run([node.npm, "run", "--silent", "typecheck"])


def test_typescript_client_user_journey(node: Node, live_server: LiveServer) -> None:
    _run([node.npm, "run", "--silent", "build:test"])
    suffix = secrets.token_hex(4)
    env = {
        **os.environ,
        "TODO_API_BASE_URL": live_server.base_url,
        "TODO_API_TOKEN": live_server.token(f"ts-alice-{suffix}"),
        "TODO_API_OTHER_TOKEN": live_server.token(f"ts-bob-{suffix}"),
    }
    output = _run([node.node, "--test", ".test-build/journey.test.js"], env=env)
    assert re.search(r"^# pass [1-9]", output, re.MULTILINE), output
    assert re.search(r"^# fail 0$", output, re.MULTILINE), output
