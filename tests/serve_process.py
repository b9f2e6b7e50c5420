"""`python -m impl.serve` as a real process on free loopback ports, its stderr kept in a file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.live_server import free_port, wait_until_serving
from tests.support import ROOT, TEST_SECRET

STARTUP_DEADLINE_SECONDS = 30
STOP_DEADLINE_SECONDS = 15


def migrated_sqlite(directory: Path) -> str:
    url = f"sqlite+aiosqlite:///{directory / 'tasks.db'}"
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "production", "BETTER_AUTH_SECRET": TEST_SECRET}
    migration = [sys.executable, "-m", "alembic", "upgrade", "head"]
    subprocess.run(migration, cwd=ROOT, env=env, check=True, capture_output=True)
    return url


@contextmanager
def served(
    database_url: str, log_path: Path, *, workers: int, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """The base URL of a production server; stopped with SIGTERM (as a supervisor would) on exit."""
    port = free_port()
    server_env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "METRICS_ADDRESS": "",
        **(env or {}),
    }
    command = [sys.executable, "-m", "impl.serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)], cwd=ROOT, env=server_env, stdout=log, stderr=log
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, f"{base_url}/healthz", deadline_seconds=STARTUP_DEADLINE_SECONDS)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
