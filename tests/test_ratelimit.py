"""Rate limits (impl/ratelimit.py) over both storages, and across two server processes sharing Redis.

Each test gets its own client address and user ids, and windows of an hour, so nothing a test counts
reaches another test (or another run sharing the same Redis) and no window ends mid-test.
"""

from __future__ import annotations

import os
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from prometheus_client import REGISTRY
from pydantic import ValidationError

from impl.app import create_app
from impl.auth.verified_tokens import VerifiedTokens
from impl.ratelimit import RateLimiter, SweptMemoryStorage, client_address
from impl.settings import Settings
from tests.live_server import app_env, app_server, free_port, migrate_as_deployed
from tests.support import TEST_SECRET, auth, migrate, settings_for, unavailable

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
STORAGES = ["memory", "redis"]
HOUR = 3600
POLICY = re.compile(r'"(?P<name>[a-z]+)";q=(?P<q>\d+);w=(?P<w>\d+)')
USAGE = re.compile(r'"(?P<name>[a-z]+)";r=(?P<r>\d+);t=(?P<t>\d+)')


def redis_unreachable_reason() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} is unreachable ({type(exc).__name__})"
    return None


def require_redis() -> None:
    reason = redis_unreachable_reason()
    if reason is not None:
        unavailable(reason)


@pytest.fixture(scope="module")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('ratelimit') / 'tasks.db'}"
    await migrate(url)
    return url


@pytest.fixture(params=STORAGES)
def storage_url(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        require_redis()
        return REDIS_URL
    return "memory://"


LimitedApp = Callable[..., Awaitable[FastAPI]]


@pytest.fixture
async def limited_app(sqlite_url: str, storage_url: str) -> AsyncIterator[LimitedApp]:
    """An app factory: the suite's settings with the given limits (per hour unless said otherwise)."""
    apps: list[FastAPI] = []

    async def build(**limits: Any) -> FastAPI:
        app = create_app(settings_for(sqlite_url, rate_limit_storage_url=storage_url, **limits))
        apps.append(app)
        return app

    yield build
    for app in apps:
        await app.state.engine.dispose()


def client(app: FastAPI, address: str, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


def fresh_address() -> str:
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def fresh_user() -> str:
    return f"limited-{uuid.uuid4().hex}"


def policies(response: httpx.Response) -> dict[str, tuple[int, int]]:
    return {
        m["name"]: (int(m["q"]), int(m["w"])) for m in POLICY.finditer(response.headers["ratelimit-policy"])
    }


def usage(response: httpx.Response) -> dict[str, tuple[int, int]]:
    return {m["name"]: (int(m["r"]), int(m["t"])) for m in USAGE.finditer(response.headers["ratelimit"])}


def remaining(response: httpx.Response) -> dict[str, int]:
    return {name: r for name, (r, _) in usage(response).items()}


def assert_too_many(response: httpx.Response, policy: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 429
    assert problem["title"] == "Too Many Requests"
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= HOUR
    assert f"Retry after {retry_after} s." in problem["detail"]
    assert remaining(response)[policy] == 0
    assert usage(response)[policy][1] <= retry_after


def _rejections(limit: str) -> float:
    return REGISTRY.get_sample_value("todo_rate_limit_rejections_total", {"limit": limit}) or 0.0


async def test_a_user_gets_their_quota_then_429(limited_app: LimitedApp) -> None:
    app = await limited_app(rate_limit_per_user="3/hour")
    user, other = fresh_user(), fresh_user()
    async with client(app, fresh_address(), auth(user)) as alice:
        answers = [await alice.get("/api/tasks") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert policies(answers[0]) == {"user": (3, HOUR)}
        assert [remaining(a) for a in answers] == [{"user": 2}, {"user": 1}, {"user": 0}]
        assert all(0 < usage(a)["user"][1] <= HOUR for a in answers)

        counted_before = _rejections("user")
        refused = await alice.post("/api/tasks", json={"title": "not stored"})
        assert_too_many(refused, "user")
        assert _rejections("user") == counted_before + 1, "the operator's metric counts the refusal"
        assert "requests for this user: at most 3 per 3600 seconds" in refused.json()["detail"]
    # The quota is the user's, not the address's or the app's.
    async with client(app, fresh_address(), auth(other)) as bob:
        assert (await bob.get("/api/tasks")).status_code == 200
    async with client(app, fresh_address(), auth(user)) as alice_elsewhere:
        assert_too_many(await alice_elsewhere.get("/api/tasks"), "user")


async def test_writes_have_a_tighter_quota_of_their_own(limited_app: LimitedApp) -> None:
    app = await limited_app(rate_limit_per_user="100/hour", rate_limit_writes_per_user="2/hour")
    async with client(app, fresh_address(), auth(fresh_user())) as alice:
        created = [await alice.post("/api/tasks", json={"title": f"task {n}"}) for n in range(2)]
        assert [c.status_code for c in created] == [201, 201]
        assert policies(created[0]) == {"user": (100, HOUR), "writes": (2, HOUR)}
        assert remaining(created[1]) == {"user": 98, "writes": 0}

        refused = await alice.delete(created[0].headers["location"])
        assert_too_many(refused, "writes")
        assert "writes for this user: at most 2 per 3600 seconds" in refused.json()["detail"]
        # Nothing was deleted, and reads still go through with their own quota.
        still_there = await alice.get(created[0].headers["location"])
        assert still_there.status_code == 200
        assert policies(still_there) == {"user": (100, HOUR)}
        assert remaining(still_there) == {"user": 96}


class CountingTokens(VerifiedTokens):
    """The app's own verified-token memo, counting the tokens it is asked to verify."""

    def __init__(self, inner: VerifiedTokens) -> None:
        self.__dict__.update(inner.__dict__)
        self.verified = 0

    async def user_id(self, token: str) -> str:
        self.verified += 1
        return await super().user_id(token)


async def test_bad_tokens_cost_the_address_and_are_then_refused_unread(limited_app: LimitedApp) -> None:
    app = await limited_app(rate_limit_failed_auth_per_address="3/hour")
    tokens = app.state.tokens = CountingTokens(app.state.tokens)
    address = fresh_address()
    async with client(app, address) as attacker:
        failures = [
            await attacker.get("/api/tasks", headers={"Authorization": f"Bearer bad.{n}.x"}) for n in range(3)
        ]
        assert [f.status_code for f in failures] == [401, 401, 401]
        assert policies(failures[0]) == {"address": (3, HOUR)}
        assert [remaining(f) for f in failures] == [{"address": 2}, {"address": 1}, {"address": 0}]
        assert tokens.verified == 3

        for n in range(20):
            refused = await attacker.get("/api/tasks", headers={"Authorization": f"Bearer worse.{n}.x"})
            assert_too_many(refused, "address")
        assert_too_many(await attacker.get("/api/tasks"), "address")
        assert "missing or invalid token from this address" in refused.json()["detail"]
        # Refused before the token is read: the verifier saw none of them, a valid one included.
        assert_too_many(await attacker.get("/api/tasks", headers=auth(fresh_user())), "address")
        assert tokens.verified == 3
        # Probes carry no token and are never limited.
        assert (await attacker.get("/healthz")).status_code == 200
    async with client(app, fresh_address(), auth(fresh_user())) as neighbour:
        assert (await neighbour.get("/api/tasks")).status_code == 200


async def test_valid_tokens_do_not_cost_the_address(limited_app: LimitedApp) -> None:
    app = await limited_app(rate_limit_failed_auth_per_address="1/hour")
    address = fresh_address()
    async with client(app, address, auth(fresh_user())) as alice:
        answers = [await alice.get("/api/tasks") for _ in range(5)]
        assert {a.status_code for a in answers} == {200}
        assert "address" not in policies(answers[-1])
    async with client(app, address) as anonymous:
        assert (await anonymous.get("/api/tasks")).status_code == 401
        assert_too_many(await anonymous.get("/api/tasks"), "address")


async def test_an_unreachable_redis_is_a_503_not_an_open_door(sqlite_url: str) -> None:
    settings = settings_for(
        sqlite_url,
        rate_limit_storage_url=f"redis://127.0.0.1:{free_port()}",
        rate_limit_storage_timeout_seconds=0.2,
    )
    app = create_app(settings)
    async with client(app, fresh_address(), auth(fresh_user())) as alice:
        response = await alice.get("/api/tasks")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The rate limiter's storage is unavailable; retry later."
    assert response.headers["retry-after"] == "1"
    assert "127.0.0.1" not in response.text


def _request_from(host: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "client": (host, 1)})


@pytest.mark.parametrize(
    ("host", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64(host: str, counted_as: str) -> None:
    assert client_address(_request_from(host)) == counted_as


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("rate_limit_per_user", "lots"),
        ("rate_limit_writes_per_user", "0/minute"),
        ("rate_limit_failed_auth_per_address", "10 per fortnight"),
        ("rate_limit_storage_url", "http://user:hunter2@cache:6379"),
    ],
)
def test_settings_refuse_what_cannot_be_a_limit(setting: str, value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, better_auth_secret=TEST_SECRET, **{setting: value})  # type: ignore[arg-type]
    assert setting.upper() in str(refused.value)
    assert "hunter2" not in str(refused.value)


# Two server processes, one Redis: the quota is shared, not doubled.


@pytest.fixture(scope="module")
def shared_redis_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    require_redis()
    database = tmp_path_factory.mktemp("shared") / "tasks.db"
    env = app_env(
        f"sqlite+aiosqlite:///{database}",
        TEST_SECRET,
        RATE_LIMIT_STORAGE_URL=REDIS_URL,
        RATE_LIMIT_PER_USER="7/hour",
    )
    migrate_as_deployed(env)
    with app_server(env) as first, app_server(env) as second:
        yield [first.base_url, second.base_url]


def test_two_servers_sharing_redis_share_one_quota(shared_redis_servers: list[str]) -> None:
    headers = auth(fresh_user())
    statuses: list[int] = []
    with httpx.Client(headers=headers, timeout=10) as http:
        # Alternating between the processes: 7 in all are served, whichever process answers.
        for n in range(12):
            statuses.append(http.get(f"{shared_redis_servers[n % 2]}/api/tasks").status_code)
        last = [http.get(f"{server}/api/tasks") for server in shared_redis_servers]
    assert statuses == [200] * 7 + [429] * 5
    for response in last:
        assert_too_many(response, "user")
        assert policies(response) == {"user": (7, HOUR)}


async def test_the_in_process_counters_are_swept_at_most_once_a_second_not_after_every_count() -> None:
    limiter = RateLimiter.from_settings(settings_for("sqlite://", rate_limit_storage_url="memory://"))
    storage = limiter._storage
    assert isinstance(storage, SweptMemoryStorage)
    for user in range(100):
        await storage.incr(f"user-{user}", 60)
    first_sweep = storage.timer
    assert first_sweep is not None, "the stock scheduler no longer calls the override"
    await first_sweep

    for user in range(100):
        await storage.incr(f"user-{user}", 60)
    assert storage.timer is first_sweep

    storage.expirations["user-0"] = 0.0  # expired long ago
    storage.next_sweep_at = 0.0  # a second has passed
    await storage.incr("user-1", 60)
    assert storage.timer is not first_sweep
    assert storage.timer is not None
    await storage.timer
    assert "user-0" not in storage.storage
    assert "user-1" in storage.storage
