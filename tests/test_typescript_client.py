"""The generated TypeScript client (generated/typescript/), exercised by Node against a live server.

Node and its test files live in clients/typescript/. This module only orchestrates: pinned npm
dependencies, a strict `tsc --noEmit` (which also runs the type-level negative test), then the
real server on a loopback port with production settings, and `node --test` through the client.
Self-contained on purpose: its fixtures are its own, so it depends on no shared conftest fixture.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.live_server import app_env, app_server, migrate_as_deployed
from tests.support import ROOT, sign_token, unavailable

CLIENT_DIR = ROOT / "clients" / "typescript"
MIN_NODE_MAJOR = 20
NODE_STEP_TIMEOUT_SECONDS = 300.0


def _text(stream: str | bytes | None) -> str:
    if isinstance(stream, bytes):
        return stream.decode(errors="replace")
    return stream or ""


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
        unavailable("Node.js (node and npm) is not installed")
    version = _run([node, "--version"])
    match = re.match(r"v(\d+)\.", version)
    if match is None or int(match.group(1)) < MIN_NODE_MAJOR:
        unavailable(f"Node.js >= {MIN_NODE_MAJOR} is required, found {version}")
    installed = CLIENT_DIR / "node_modules" / ".package-lock.json"
    lock = CLIENT_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"])
    return Node(node, npm)


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    secret: str

    def token(self, user_id: str) -> str:
        """A Better Auth-shaped HS256 JWT, signed with the server's secret."""
        return sign_token(user_id, secret=self.secret, expires_in=timedelta(hours=1))


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn with production settings and a fresh, migrated SQLite database."""
    secret = secrets.token_urlsafe(48)
    database = tmp_path_factory.mktemp("typescript-client") / "tasks.db"
    env = app_env(f"sqlite+aiosqlite:///{database}", secret)
    migrate_as_deployed(env)
    with app_server(env) as server:
        yield LiveServer(server.base_url, secret)


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
