"""The JWKS cache: fetched asynchronously, kept for a TTL, refetched for unknown kids at a bounded rate."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection

import httpx
import jwt
import orjson

from impl.auth.keys import KeySet, parse_jwks
from impl.errors import ServiceUnavailable, Unauthorized
from impl.observability.metrics import JWKS_FETCHES

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
"""Monotonic seconds; tests pass a manual clock instead of sleeping through TTLs and intervals."""

# Better Auth publishes a handful of keys, about 0.2 KB each (RSA-4096: 0.8 KB); 64 KiB holds ~80 of
# the largest, and bounds the memory and parse time an auth server (or whoever poses as one) can cost.
MAX_JWKS_BYTES = 64 * 1024


class KeysUnavailable(ServiceUnavailable):
    detail = "The token signing keys could not be fetched; retry later."
    cause = "signing_keys"


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
        # Identity encoding: the size cap then bounds what is held, not what a decompressor makes of it.
        self._client = httpx.AsyncClient(
            timeout=fetch_timeout_seconds,
            follow_redirects=False,
            headers={"Accept": "application/json", "Accept-Encoding": "identity"},
        )
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._completed_attempts = 0
        self._lock = asyncio.Lock()

    def trusts(self, kid: str) -> bool:
        """Whether a token verified earlier with `kid` may still be taken as verified.

        Only while the key set is within its TTL (after it a fetch would be due) and still publishes
        `kid`: a refresh that withdrew the key ends the trust in every token it signed at once.
        """
        keys = self._keys
        return keys is not None and kid in keys and self._clock() - self._fetched_at < self._ttl

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
            # httpx's timeout bounds each phase; this bounds the whole fetch, slow-drip bodies and
            # parsing included (the parse of at most MAX_JWKS_BYTES takes well under a millisecond).
            async with asyncio.timeout(self._timeout):
                body = await self._download()
                # orjson refuses nesting deeper than 1,024 with a ValueError, where json recurses.
                keys = parse_jwks(orjson.loads(body), self._allowed)
        except (httpx.HTTPError, TimeoutError, ValueError) as exc:
            logger.warning("JWKS fetch from %s failed: %s", self._url, str(exc) or type(exc).__name__)
            JWKS_FETCHES.labels("failed").inc()
            return
        finally:
            self._completed_attempts += 1
        self._keys = keys
        self._fetched_at = self._clock()
        JWKS_FETCHES.labels("ok").inc()
        logger.info("JWKS fetched from %s: %d usable keys", self._url, len(keys))

    async def _download(self) -> bytes:
        async with self._client.stream("GET", self._url) as response:
            if response.status_code != httpx.codes.OK:
                raise ValueError(f"HTTP {response.status_code}")
            if response.headers.get("content-encoding", "identity").lower() != "identity":
                raise ValueError("the key set came compressed, though identity encoding was asked for")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_JWKS_BYTES:
                raise ValueError(f"the key set is larger than {MAX_JWKS_BYTES} bytes")
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise ValueError(f"the key set is larger than {MAX_JWKS_BYTES} bytes")
            return bytes(body)

    async def aclose(self) -> None:
        await self._client.aclose()
