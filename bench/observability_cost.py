"""What observability costs per request: an in-process loop, no HTTP server, no network.

    uv run python -m bench.observability_cost [--requests 3000] [--rounds 7]

First the observers alone, each timed on its own (best of several repeats): naming a request,
writing its JSON access line, recording its RED metrics. Then whole requests: GET /api/tasks/{id}
(one indexed SELECT on SQLite, a remembered token) straight through the ASGI app, as production
runs it: prometheus-client in multiprocess mode (memory-mapped files), JSON access lines written to
a file, the garbage collector tuned as in production. Three builds of the same app, interleaved
round by round in rotating order, CPU time of the process (the SQLite thread included) per request,
best round of each:

  bare      no access log, no metrics (requests are still named)
  logs      request ids and one JSON access line per request (METRICS_ADDRESS empty)
  metrics   the production default: request ids, access line and the RED metrics
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any
from unittest import mock

# prometheus-client picks its storage when imported: multiprocess mode, as under impl.serve.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="todo-metrics-bench-")

from impl.app import create_app
from impl.gc_tuning import tune_garbage_collector
from impl.observability.logging import AccessLog, configure_logging
from impl.observability.metrics import RequestMetrics
from impl.observability.request_id import request_id_from
from impl.settings import Settings
from tests.support import TEST_SECRET, asgi_status, auth, migrate


def _build(variant: str, url: str) -> Any:
    settings = Settings(
        _env_file=None,
        database_url=url,
        better_auth_secret=TEST_SECRET,
        metrics_address="" if variant == "logs" else "127.0.0.1:9464",
    )
    if variant != "bare":
        return create_app(settings)
    with mock.patch("impl.policies.observers", return_value=[]):
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
    tune_garbage_collector()  # as impl.main does once the app is built
    json_headers = [*headers, (b"content-type", b"application/json")]
    assert await asgi_status(apps["bare"], "POST", "/api/tasks", json_headers, body=b'{"title": "t"}') == 201
    path = "/api/tasks/1"
    # Each app's first requests warm its caches (token memo, statements, label children).
    for app in apps.values():
        for _ in range(200):
            assert await asgi_status(app, "GET", path, headers) == 200

    settings = apps["metrics"].state.settings
    print("Each observer alone, per request:")
    for name, seconds in _observer_costs(settings, headers).items():
        print(f"  {name:12} {seconds * 1e6:6.2f} µs")

    best: dict[str, float] = {}
    variants = list(apps)
    for round_number in range(args.rounds):
        order = variants[round_number % 3 :] + variants[: round_number % 3]
        for variant in order:
            started = time.process_time()
            for _ in range(args.requests):
                await asgi_status(apps[variant], "GET", path, headers)
            per_request = (time.process_time() - started) / args.requests
            best[variant] = min(best.get(variant, per_request), per_request)
    for app in apps.values():
        await app.state.engine.dispose()
    shutil.rmtree(directory, ignore_errors=True)

    bare = best["bare"]
    print(f"Whole requests, CPU per request, best of {args.rounds} rounds of {args.requests}:")
    for variant, seconds in best.items():
        extra = (seconds - bare) / bare * 100
        print(f"  {variant:8} {seconds * 1e6:7.1f} µs  ({extra:+5.1f} % of bare)")


def _observer_costs(settings: Settings, headers: list[tuple[bytes, bytes]]) -> dict[str, float]:
    scope = {"method": "GET", "headers": headers, "state": {"user_id": "bench-user"}}
    route = "/api/tasks/{task_id}"
    metrics, access = RequestMetrics(), AccessLog(settings)
    observers = {
        "request id": lambda: request_id_from(headers),
        "access line": lambda: access(scope, route, 200, 0.004),
        "metrics": lambda: metrics(scope, route, 200, 0.004),
    }
    number = 20_000
    return {
        name: min(timeit.repeat(observe, number=number, repeat=7)) / number
        for name, observe in observers.items()
    }


if __name__ == "__main__":
    try:
        asyncio.run(main())
    finally:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
