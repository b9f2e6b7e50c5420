"""The JWKS cache: fetched asynchronously, kept for a TTL, refetched for unknown kids at a bounded rate."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection

import httpx
import jwt

from impl.auth.keys import KeySet, parse_jwks
from impl.errors import ServiceUnavailable, Unauthorized

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
"""Monotonic seconds; tests pass a manual clock instead of sleeping through TTLs and intervals."""


class KeysUnavailable(ServiceUnavailable):
    detail = "The token signing keys could not be fetched; retry later."


class JwksCache:
    """One JWKS URL's keys, shared by every request of the process.

    A fetch happens when the cache is empty, older than the TTL, or lacks a token's kid, but never
    more often than once per minimum interval (failed attempts count), so junk kids cannot be
    amplified into requests to the auth server. A failed fetch keeps the keys already held:
    tokens they sign keep working while the auth server is down.
    """

    def __init__(
        self,
        url: str,
        *,
        allowed_algorithms: Collection[str],
        ttl_seconds: float,
        min_refresh_interval_seconds: float,
        fetch_timeout_seconds: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self._url = url
        self._allowed = frozenset(allowed_algorithms)
        self._ttl = ttl_seconds
        self._min_interval = min_refresh_interval_seconds
        self._timeout = fetch_timeout_seconds
        self._clock = clock
        self._client = httpx.AsyncClient(
            timeout=fetch_timeout_seconds, follow_redirects=False, headers={"Accept": "application/json"}
        )
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._completed_attempts = 0
        self._lock = asyncio.Lock()

    async def key(self, kid: str, algorithm: str) -> jwt.PyJWK:
        keys = self._keys
        if keys is None or kid not in keys or self._clock() - self._fetched_at >= self._ttl:
            keys = await self._refresh()
        if keys is None:
            raise KeysUnavailable()
        by_algorithm = keys.get(kid)
        if by_algorithm is None:
            raise Unauthorized("Invalid bearer token: unknown signing key.")
        key = by_algorithm.get(algorithm)
        if key is None:
            raise Unauthorized("Invalid bearer token: the signing key does not allow this algorithm.")
        return key

    async def _refresh(self) -> KeySet | None:
        seen = self._completed_attempts
        async with self._lock:
            # A fetch that completed while this caller waited for the lock answers for it too:
            # a burst of misses shares one fetch.
            if seen == self._completed_attempts and self._may_fetch():
                await self._fetch()
        return self._keys

    def _may_fetch(self) -> bool:
        return self._attempted_at is None or self._clock() - self._attempted_at >= self._min_interval

    async def _fetch(self) -> None:
        self._attempted_at = self._clock()
        try:
            # httpx's timeout bounds each phase; this bounds the whole fetch, slow-drip bodies included.
            async with asyncio.timeout(self._timeout):
                response = await self._client.get(self._url)
            if response.status_code != httpx.codes.OK:
                raise ValueError(f"HTTP {response.status_code}")
            keys = parse_jwks(response.json(), self._allowed)
        except (httpx.HTTPError, TimeoutError, ValueError) as exc:
            logger.warning("JWKS fetch from %s failed: %s", self._url, str(exc) or type(exc).__name__)
            return
        finally:
            self._completed_attempts += 1
        self._keys = keys
        self._fetched_at = self._clock()
        logger.info("JWKS fetched from %s: %d usable keys", self._url, len(keys))

    async def aclose(self) -> None:
        await self._client.aclose()
