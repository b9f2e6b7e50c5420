"""What observability costs per request: an in-process loop, no HTTP server, no network.

    uv run python -m bench.observability_cost [--requests 3000] [--rounds 7]

Drives GET /api/tasks/{id} (one indexed SELECT on SQLite, a remembered token) straight through the
ASGI app, as production runs it: prometheus-client in multiprocess mode (memory-mapped files), JSON
access lines written to a file. Compares three builds of the same app, interleaved round by round,
and reports the best round of each (the least disturbed by anything else on the machine):

  bare      no request id, no access log, no metrics
  logs      request ids and one JSON access line per request (METRICS_ADDRESS empty)
  metrics   the production default: request ids, access line and the RED metrics
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

# prometheus-client picks its storage when imported: multiprocess mode, as under impl.serve.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="todo-metrics-bench-")

from impl.app import create_app
from impl.observability.logging import configure_logging
from impl.settings import Settings
from tests.support import TEST_SECRET, auth, migrate


async def _call(
    app: Any, path: str, headers: list[tuple[bytes, bytes]], method: str = "GET", body: bytes = b""
) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    await app(scope, receive, send)
    return status


def _build(variant: str, url: str) -> Any:
    settings = Settings(
        _env_file=None,
        database_url=url,
        better_auth_secret=TEST_SECRET,
        metrics_address="" if variant == "logs" else "127.0.0.1:9464",
    )
    if variant != "bare":
        return create_app(settings)
    with mock.patch("impl.policies.observability_policies", return_value=[]):
        return create_app(settings)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="todo-obs-bench-"))
    url = f"sqlite+aiosqlite:///{directory / 'tasks.db'}"
    await migrate(url)
    console, sys.stderr = sys.stderr, (directory / "access.log").open("w")
    try:  # the access lines go to a file, as a log shipper would read them
        configure_logging(Settings(_env_file=None, better_auth_secret=TEST_SECRET, log_format="json"))
    finally:
        sys.stderr = console
    headers = [(k.lower().encode(), v.encode()) for k, v in auth("bench-user").items()]
    apps = {variant: _build(variant, url) for variant in ("bare", "logs", "metrics")}
    json_headers = [*headers, (b"content-type", b"application/json")]
    assert await _call(apps["bare"], "/api/tasks", json_headers, "POST", b'{"title": "t"}') == 201
    path = "/api/tasks/1"
    # Each app's first requests warm its caches (token memo, statements, label children).
    for app in apps.values():
        for _ in range(200):
            assert await _call(app, path, headers) == 200

    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for variant, app in apps.items():
            started = time.perf_counter()
            for _ in range(args.requests):
                await _call(app, path, headers)
            per_request = (time.perf_counter() - started) / args.requests
            best[variant] = min(best.get(variant, per_request), per_request)
    for app in apps.values():
        await app.state.engine.dispose()

    bare = best["bare"]
    print(f"{args.requests} requests x {args.rounds} rounds, best round per build (GET /api/tasks/{{id}}):")
    for variant, seconds in best.items():
        extra = (seconds - bare) / bare * 100
        print(f"  {variant:8} {seconds * 1e6:7.1f} µs per request  ({extra:+5.1f} % of bare)")
    metrics = best["metrics"] - best["logs"]
    print(f"  metrics alone: {metrics * 1e6:+.1f} µs per request ({metrics / best['logs'] * 100:+.1f} %)")


if __name__ == "__main__":
    asyncio.run(main())
