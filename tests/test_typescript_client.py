"""The generated TypeScript client (generated/typescript/), exercised by Node against a live server.

Node and its test files live in clients/typescript/. This module only orchestrates: pinned npm
dependencies, a strict `tsc --noEmit` (which also runs the type-level negative test), then the
real server on a loopback port with production settings, and `node --test` through the client.
Self-contained on purpose: its fixtures are its own, so it depends on no shared conftest.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
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

from tests.live_server import UNTRIPPABLE_RATE_LIMITS_ENV, ServerNotReady, free_port, wait_until_serving

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
        **UNTRIPPABLE_RATE_LIMITS_ENV,
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


@pytest.fixture
def unreachable_url() -> Iterator[str]:
    """A loopback port that is bound but not listening: connecting is refused, like a dead server."""
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{reserved.getsockname()[1]}"


def test_typescript_client_user_journey(node: Node, live_server: LiveServer, unreachable_url: str) -> None:
    _run([node.npm, "run", "--silent", "build:test"])
    suffix = secrets.token_hex(4)
    env = {
        **os.environ,
        "TODO_API_BASE_URL": live_server.base_url,
        "TODO_API_TOKEN": live_server.token(f"ts-alice-{suffix}"),
        "TODO_API_OTHER_TOKEN": live_server.token(f"ts-bob-{suffix}"),
        "TODO_API_UNREACHABLE_URL": unreachable_url,
    }
    output = _run([node.node, "--test", ".test-build/journey.test.js"], env=env)
    assert re.search(r"^# pass [1-9]", output, re.MULTILINE), output
    assert re.search(r"^# fail 0$", output, re.MULTILINE), output


README = ROOT / "README.md"
TS_SNIPPET = re.compile(r"^```ts\n(.*?)^```$", re.MULTILINE | re.DOTALL)
# A snippet whose first line is `// api.ts` is written under that name, so later snippets import it.
SNIPPET_FILE = re.compile(r"\A// (?P<name>[\w-]+\.ts)\n")
# The strictest settings a frontend project commonly enables (as in @tsconfig/strictest), except
# noUnused*: a snippet shows a result without using it.
README_COMPILER_OPTIONS = {
    "target": "ES2022",
    "lib": ["ES2022", "DOM", "DOM.Iterable"],
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": True,
    "exactOptionalPropertyTypes": True,
    "noUncheckedIndexedAccess": True,
    "noImplicitOverride": True,
    "noImplicitReturns": True,
    "noFallthroughCasesInSwitch": True,
    "allowUnreachableCode": False,
    "isolatedModules": True,
    "noEmit": True,
    "types": ["node"],
}
# What the README's snippets take from outside this repository: Better Auth (declared here with the
# shapes the snippets use, rather than installing it), the auth client module the README describes,
# and the two names it leaves to the reader's app.
README_CONTEXT = {
    "better-auth.d.ts": """
declare module 'better-auth' {
  export function betterAuth(options: { baseURL?: string | undefined; plugins?: unknown[] }): unknown;
}
declare module 'better-auth/plugins' {
  export function jwt(options?: { jwks?: { keyPairConfig?: { alg: string; crv?: string } } }): unknown;
}
declare module 'better-auth/client/plugins' {
  export function jwtClient(): unknown;
}
declare module 'better-auth/react' {
  interface FetchContext { response: Response }
  export interface AuthClient {
    token(): Promise<{ data: { token: string } | null; error: { message?: string } | null }>;
    getSession(options?: { fetchOptions?: { onSuccess?: (ctx: FetchContext) => unknown } }): Promise<unknown>;
  }
  export function createAuthClient(options?: { plugins?: unknown[] }): AuthClient;
}
""",
    "auth-client.ts": """
import { createAuthClient } from 'better-auth/react';
import { jwtClient } from 'better-auth/client/plugins';
export const authClient = createAuthClient({ plugins: [jwtClient()] });
""",
    "app.d.ts": """
declare const API_URL: string;
declare function showFieldErrors(byField: Map<string, string>): void;
""",
}


def readme_snippets() -> list[str]:
    return TS_SNIPPET.findall(README.read_text(encoding="utf-8"))


def test_every_readme_typescript_snippet_compiles_strictly(node: Node, tmp_path: Path) -> None:
    snippets = readme_snippets()
    # Better Auth server and frontend, configure, list/create, errors, transport failure.
    assert len(snippets) >= 6, f"found only {len(snippets)} ```ts snippets in README.md"
    for index, snippet in enumerate(snippets, start=1):
        named = SNIPPET_FILE.match(snippet)
        name = named["name"] if named else f"snippet-{index}.ts"
        # `export {}` makes each snippet a module of its own, as in an app (and allows top-level await).
        (tmp_path / name).write_text(f"{snippet}\nexport {{}};\n", encoding="utf-8")
    for name, text in README_CONTEXT.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    tsconfig = {
        "compilerOptions": {
            **README_COMPILER_OPTIONS,
            "typeRoots": [str(CLIENT_DIR / "node_modules" / "@types")],
            # As after `npm install ../todo-api/generated/typescript`.
            "paths": {"@todo-api/client": [str(ROOT / "generated" / "typescript" / "index.d.ts")]},
        },
        "include": ["*.ts"],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(tsconfig), encoding="utf-8")
    tsc = CLIENT_DIR / "node_modules" / "typescript" / "bin" / "tsc"
    _run([node.node, str(tsc), "-p", str(tmp_path / "tsconfig.json"), "--pretty", "false"])
