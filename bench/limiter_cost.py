"""What the rate limits add to one request, measured in-process: `python -m bench.limiter_cost`.

Times the authentication dependency with the limits (`current_user`) against the same verification
without them (`verified_user`) for a read and a write, with memory storage and with Redis
(`--redis-url`, default the local one), and prints microseconds per request. The token is the same in
every call, so verification is the memo's lookup, as for a client's second and later requests.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request

from impl.app import create_app
from impl.auth.dependency import current_user, verified_user
from impl.settings import Settings
from tests.live_server import UNTRIPPABLE_RATE_LIMITS_ENV
from tests.support import sign_token

Dependency = Callable[[Request], Awaitable[str]]


def _app(storage_url: str, secret: str) -> FastAPI:
    values: dict[str, Any] = {name.lower(): value for name, value in UNTRIPPABLE_RATE_LIMITS_ENV.items()}
    values |= {"better_auth_secret": secret, "database_url": "sqlite+aiosqlite:///:memory:"}
    return create_app(Settings(_env_file=None, rate_limit_storage_url=storage_url, **values))


async def _seconds_per_call(
    app: FastAPI, dependency: Dependency, method: str, token: str, calls: int
) -> float:
    headers = [(b"authorization", f"Bearer {token}".encode())]
    scope: dict[str, Any] = {"type": "http", "method": method, "path": "/api/tasks", "headers": headers}
    scope |= {"client": ("127.0.0.1", 1), "app": app}
    started = time.perf_counter()
    for _ in range(calls):
        await dependency(Request(dict(scope)))
    return (time.perf_counter() - started) / calls


async def measure(storage_url: str, calls: int) -> dict[str, float]:
    secret = secrets.token_urlsafe(48)
    app = _app(storage_url, secret)
    token = sign_token(f"bench-{secrets.token_hex(4)}", secret=secret)
    costs = {}
    for method in ("GET", "POST"):
        await _seconds_per_call(app, current_user, method, token, calls // 10)  # warm up
        without = await _seconds_per_call(app, verified_user, method, token, calls)
        with_limits = await _seconds_per_call(app, current_user, method, token, calls)
        costs[method] = (with_limits - without) * 1e6
    await app.state.engine.dispose()
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    args = parser.parse_args()
    for name, url in (("memory", "memory://"), ("redis", args.redis_url)):
        costs = asyncio.run(measure(url, args.calls))
        print(f"{name:>6}: read +{costs['GET']:.1f} µs, write +{costs['POST']:.1f} µs per request")


if __name__ == "__main__":
    main()
