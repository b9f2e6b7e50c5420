"""The real server process (uvicorn) on a loopback port, driven over TCP like a client would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live_server import UNTRIPPABLE_RATE_LIMITS_ENV, free_port, wait_until_serving
from tests.support import ROOT, TEST_SECRET, auth, sign_token

STARTUP_DEADLINE_SECONDS = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("server") / "tasks.db"
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "BETTER_AUTH_SECRET": TEST_SECRET,
        **UNTRIPPABLE_RATE_LIMITS_ENV,
    }
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "impl.main:app", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, f"{base_url}/healthz", deadline_seconds=STARTUP_DEADLINE_SECONDS)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_full_flow_over_tcp(server: str) -> None:
    with httpx.Client(base_url=server, headers=auth("tcp-alice"), timeout=10) as alice:
        created = alice.post("/api/tasks", json={"title": "Over the wire", "tags": ["tcp"]})
        assert created.status_code == 201
        location = created.headers["location"]

        assert alice.get(location).json()["title"] == "Over the wire"
        assert alice.patch(location, json={"priority": "high"}).json()["priority"] == "high"
        assert alice.patch(f"{location}/complete").json()["completed"] is True
        assert [t["title"] for t in alice.get("/api/tasks", params={"tag": "tcp"}).json()] == [
            "Over the wire"
        ]

        other = httpx.get(f"{server}{location}", headers=auth("tcp-bob"))
        assert other.status_code == 404

        assert alice.delete(location).status_code == 204
        assert alice.get(location).status_code == 404

    unauthenticated = httpx.get(f"{server}/api/tasks")
    assert unauthenticated.status_code == 401
    expired = httpx.get(
        f"{server}/api/tasks", headers={"Authorization": f"Bearer {sign_token('x', secret='y' * 40)}"}
    )
    assert expired.status_code == 401
    assert httpx.get(f"{server}/openapi.json").json()["openapi"] == "3.1.0"


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BETTER_AUTH_SECRET"}
    env |= {"APP_ENV": "production", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    result = subprocess.run(
        [sys.executable, "-c", "import impl.main"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "BETTER_AUTH_SECRET must be set" in result.stderr
