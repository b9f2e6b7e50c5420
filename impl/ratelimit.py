"""Rate limits: per verified user, tighter for writes, and per client address for failed authentication.

Counted with the `limits` library in fixed windows (a window starts at a key's first hit and lasts the
policy's period): one atomic increment and one expiry read per policy, and the `RateLimit` header says
exactly what is left and when it comes back. The price of fixed windows is that a client can spend two
windows' quota around a window's end; the limits are there against abuse, not for billing.

The counts live in `RATE_LIMIT_STORAGE_URL`: in-process memory by default (each worker process counts
for itself, so N workers allow up to N times the quota), or Redis (`redis://host:6379`), shared by every
worker and instance. A storage that does not answer within its timeout makes the request a 503, like an
unreachable database: a limit that silently stops counting would not be a limit.

Where each limit is applied (`limited_user` wraps the token verification in `impl/auth/dependency.py`):
- before the token is even parsed, an address that already spent its failed-authentication quota gets
  429 (so a flood of bad tokens costs one counter read each, no JWT work);
- a request whose token is refused (401) costs its address one failure;
- a verified request costs its user one request, and a write (POST, PUT, PATCH, DELETE) one write too.
Health probes and the served contract carry no token and are not limited.

The headers follow draft-ietf-httpapi-ratelimit-headers-10 (structured fields): `RateLimit-Policy`
lists the policies that applied to the request (`"user";q=600;w=60`), `RateLimit` what is left of each
(`"user";r=599;t=60`), added to every response by `impl.policies`, refusals and errors included.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.errors import StorageError
from limits.storage import storage_from_string
from starlette.requests import Request

from impl.errors import ServiceUnavailable, Unauthorized
from impl.observability.metrics import RATE_LIMIT_REJECTIONS
from impl.settings import Settings
from kit.problems import Problem

logger = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Where a request's counted policies wait for the answer's headers, in the ASGI scope's "state".
USAGE_STATE_KEY = "rate_limit_usage"
# IPv6 hosts get a /64 each: counting single addresses would give one client 2^64 quotas.
IPV6_CLIENT_PREFIX = 64
UNKNOWN_CLIENT = "unknown"


class TooManyRequests(Problem):
    status = 429
    detail = "Too many requests; retry after the number of seconds in Retry-After."


class RateLimiterUnavailable(ServiceUnavailable):
    detail = "The rate limiter's storage is unavailable; retry later."


@dataclass(frozen=True)
class Policy:
    """One named quota: `item.amount` requests per `item.get_expiry()` seconds per identity."""

    name: str
    item: RateLimitItem
    # What is counted, for the 429's detail: "requests", "writes", …
    counted: str

    @property
    def refusal(self) -> str:
        window = self.item.get_expiry()
        return f"Too many {self.counted}: at most {self.item.amount} per {window} seconds."

    @property
    def field(self) -> str:
        return f'"{self.name}";q={self.item.amount};w={self.item.get_expiry()}'


@dataclass(frozen=True)
class Usage:
    """What a policy has left for one identity after this request."""

    policy: Policy
    remaining: int
    reset_seconds: int
    # Whether this request was over the quota (the request that spends the last unit is not).
    refused: bool

    @property
    def field(self) -> str:
        return f'"{self.policy.name}";r={self.remaining};t={self.reset_seconds}'


def rate_limit_headers(usages: list[Usage]) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-policy", ", ".join(usage.policy.field for usage in usages).encode()),
        (b"ratelimit", ", ".join(usage.field for usage in usages).encode()),
    ]


def client_address(request: Request) -> str:
    """The client's address as uvicorn reports it (behind a trusted proxy: from X-Forwarded-For)."""
    host = request.client.host if request.client is not None else ""
    if ":" not in host:
        return host or UNKNOWN_CLIENT
    try:
        network = ipaddress.IPv6Network(f"{host}/{IPV6_CLIENT_PREFIX}", strict=False)
    except ValueError:
        return host
    return str(network)


class SweptMemoryStorage(MemoryStorage):
    """`limits`' in-process storage, sweeping out expired counters at most once a second.

    The stock storage starts a sweep over every key whenever an increment finds the previous sweep
    finished: under steady load, one sweep after another, each over all users' keys (a quarter of the
    lean bound's CPU per create with 1,000 users, measured by `make bench-profile`, and growing with
    the users). A counter is read as expired on access anyway (`MemoryStorage.get`), so sweeping
    less often only frees an idle user's counters up to a second later.
    """

    SWEEP_INTERVAL_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.next_sweep_at = -math.inf

    # Overrides the stock storage's private scheduler (the `limits` version is pinned by the lock
    # file, and tests/test_ratelimit.py fails if it stops being called).
    async def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self.next_sweep_at:
            return
        self.next_sweep_at = now + self.SWEEP_INTERVAL_SECONDS
        await super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]


def _storage(url: str, options: dict[str, float | str | bool]) -> Storage:
    if url.partition("://")[0] == "async+memory":
        return SweptMemoryStorage(url, wrap_exceptions=True)
    storage = storage_from_string(url, **options)
    assert isinstance(storage, Storage), "an async+ storage URL gives an asyncio storage"
    return storage


def async_storage_url(url: str) -> str:
    """`limits` names its asyncio storages `async+…`; the setting may be written either way."""
    return url if url.startswith("async+") else f"async+{url}"


class RateLimiter:
    """The three policies over one `limits` storage."""

    def __init__(self, storage: Storage, *, user: Policy, writes: Policy, failures: Policy) -> None:
        self._storage = storage
        self.user = user
        self.writes = writes
        self.failures = failures

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        url = async_storage_url(settings.rate_limit_storage_url)
        options: dict[str, float | str | bool] = {"wrap_exceptions": True}
        if "redis" in url.partition("://")[0]:
            timeout = settings.rate_limit_storage_timeout_seconds
            # redis-py's client runs the increment and its expiry as one Lua script (coredis: two calls).
            options |= {"implementation": "redispy", "socket_timeout": timeout}
            options |= {"socket_connect_timeout": timeout}
        return cls(
            _storage(url, options),
            user=Policy("user", parse(settings.rate_limit_per_user), "requests for this user"),
            writes=Policy("writes", parse(settings.rate_limit_writes_per_user), "writes for this user"),
            failures=Policy(
                "address",
                parse(settings.rate_limit_failed_auth_per_address),
                "requests with a missing or invalid token from this address",
            ),
        )

    async def count(self, policy: Policy, identity: str) -> Usage:
        """Spend one unit of `identity`'s quota; refused requests count too, without extending the window."""
        key = policy.item.key_for(policy.name, identity)
        try:
            spent = await self._storage.incr(key, policy.item.get_expiry())
            reset_at = await self._storage.get_expiry(key)
        except StorageError as exc:
            raise self._unavailable(exc) from None
        remaining = policy.item.amount - spent
        return Usage(policy, max(0, remaining), _seconds_until(reset_at), refused=remaining < 0)

    async def exhausted(self, policy: Policy, identity: str) -> Usage | None:
        """The usage if `identity` has no quota left, without spending any; None while it has some."""
        key = policy.item.key_for(policy.name, identity)
        try:
            if await self._storage.get(key) < policy.item.amount:
                return None
            reset_at = await self._storage.get_expiry(key)
        except StorageError as exc:
            raise self._unavailable(exc) from None
        return Usage(policy, 0, _seconds_until(reset_at), refused=True)

    @staticmethod
    def _unavailable(exc: StorageError) -> RateLimiterUnavailable:
        # The storage's own message may carry its URL; the type is enough to act on.
        logger.warning("rate limit storage unavailable: %s", type(exc.storage_error).__name__)
        return RateLimiterUnavailable()


def _seconds_until(timestamp: float) -> int:
    return max(0, math.ceil(timestamp - time.time()))


def _record(request: Request, usages: list[Usage]) -> None:
    setattr(request.state, USAGE_STATE_KEY, usages)


def _refuse_if_exhausted(request: Request, usages: list[Usage]) -> None:
    _record(request, usages)
    refused = [usage for usage in usages if usage.refused]
    if refused:
        longest = max(refused, key=lambda usage: usage.reset_seconds)
        retry_after = max(1, longest.reset_seconds)
        detail = f"{longest.policy.refusal} Retry after {retry_after} s."
        RATE_LIMIT_REJECTIONS.labels(longest.policy.name).inc()
        raise TooManyRequests(detail, headers={"Retry-After": str(retry_after)})


def limited_user(verify: Callable[[Request], Awaitable[str]]) -> Callable[[Request], Awaitable[str]]:
    """`verify` (request → user id) with the address limit around it and the user limits after it."""

    async def current_user(request: Request) -> str:
        limiter: RateLimiter = request.app.state.rate_limiter
        address = client_address(request)
        refused = await limiter.exhausted(limiter.failures, address)
        if refused is not None:
            _refuse_if_exhausted(request, [refused])
        try:
            user_id = await verify(request)
        except Unauthorized:
            _record(request, [await limiter.count(limiter.failures, address)])
            raise
        usages = [await limiter.count(limiter.user, user_id)]
        if request.method in WRITE_METHODS:
            usages.append(await limiter.count(limiter.writes, user_id))
        _refuse_if_exhausted(request, usages)
        return user_id

    return current_user


def usage_headers(state: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """`RateLimit-Policy` and `RateLimit` for a request a limit counted (none for one it did not),
    from the request's scope state, where current_user recorded the usages; added to every answer
    by impl/policies.py, refusals and errors included."""
    usages: list[Usage] | None = state.get(USAGE_STATE_KEY)
    return rate_limit_headers(usages) if usages else []
