"""Python function calls per request, the service's and the lean bound's: a count that does not drift.

    uv run python -m bench.request_calls [--requests 200]

On this shared 2-core machine CPU time per request moves by 10-15 % between runs of the same code, so
a cut of a few per cent is hard to see in it; how many Python functions a request calls (counted with
`sys.setprofile`, C calls apart) is the same in every run. It is a proxy, not a time: a call into a
C library counts once whatever it costs. Each of GET /api/tasks?limit=50 (50 tasks), GET
/api/tasks/{id} and POST /api/tasks goes straight into the ASGI app (no HTTP server) on a fresh
PostgreSQL database, after a warm-up, for the service as `impl.serve` builds it (JSON access lines,
multiprocess metrics) and for the lean bound (bench/lean.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

# prometheus-client picks its storage when imported: multiprocess mode, as under impl.serve.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="todo-calls-"))

import orjson

from bench.lean import LeanApp
from impl.app import create_app
from impl.observability.logging import configure_logging
from tests.support import asgi_status, auth, fresh_postgres_database, postgres_admin_url, settings_for

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
BODY = orjson.dumps({"title": "Buy oat milk", "tags": ["home", "work"], "priority": "high"})
WARM_UP = 60


async def _status(app: App, method: str, path: str, query: bytes = b"", body: bytes = b"") -> int:
    headers = [(name.lower().encode(), value.encode()) for name, value in auth("calls-user").items()]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return await asgi_status(app, method, path, headers, query=query, body=body)


def _operations() -> dict[str, tuple[str, str, bytes, bytes]]:
    return {
        "list": ("GET", "/api/tasks", b"limit=50", b""),
        "get": ("GET", "/api/tasks/1", b"", b""),
        "create": ("POST", "/api/tasks", b"", BODY),
    }


class CallCounter:
    """A profile function (sys.setprofile) counting the Python functions called, resumed coroutines
    included; calls of C functions are events of their own, not counted."""

    def __init__(self) -> None:
        self.python_calls = 0

    def __call__(self, _frame: object, event: str, _arg: object) -> None:
        if event == "call":
            self.python_calls += 1


async def _calls_per_request(app: App, requests: int) -> dict[str, float]:
    counted: dict[str, float] = {}
    for name, request in _operations().items():
        for _ in range(WARM_UP):
            await _status(app, *request)
        calls = CallCounter()
        sys.setprofile(calls)
        statuses = {await _status(app, *request) for _ in range(requests)}
        sys.setprofile(None)
        assert statuses <= {200, 201}, (name, statuses)
        counted[name] = calls.python_calls / requests
    return counted


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    async with fresh_postgres_database(postgres_admin_url(), prefix="todo_calls") as url:
        settings = settings_for(url, metrics_address="127.0.0.1:9464")
        configure_logging(settings)
        service = create_app(settings)
        lean = LeanApp(settings)
        await lean.start()
        try:
            async with service.router.lifespan_context(service):
                for _ in range(WARM_UP):  # the tasks the list and the get read
                    assert await _status(service, "POST", "/api/tasks", body=BODY) == 201
                counts = {
                    "service": await _calls_per_request(service, args.requests),
                    "lean bound": await _calls_per_request(lean, args.requests),
                }
        finally:
            await lean.close()
    print("Python calls per request:")
    for system, per_operation in counts.items():
        figures = "  ".join(f"{name} {calls:.0f}" for name, calls in per_operation.items())
        print(f"  {system:10}  {figures}")


if __name__ == "__main__":
    asyncio.run(main())
