"""Remembers tokens that verified, so a client's next requests with the same token skip the crypto.

A client sends the same bearer token with every request until it expires. Once its signature, `nbf`
and `iat` have been checked, only the clock or a withdrawn signing key can make it invalid, so a
verified token is kept with its subject and `exp` for at most `max_age_seconds` (the JWKS cache's
TTL, after which a withdrawn key is noticed), and later requests compare clocks instead of verifying.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import jwt

# Per worker: one entry per active user (a token is about 0.5 KB).
DEFAULT_CAPACITY = 20_000


class Verifier(Protocol):
    async def user_id(self, token: str) -> str: ...


class VerifiedTokens:
    """Wraps a verifier that requires `exp`; answers from memory while a verified token is unexpired."""

    def __init__(
        self,
        verifier: Verifier,
        leeway_seconds: float,
        *,
        max_age_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self._verifier = verifier
        self._leeway = leeway_seconds
        self._max_age = max_age_seconds
        self._clock = clock
        self._capacity = capacity
        self._verified: dict[str, tuple[str, float, float]] = {}

    async def user_id(self, token: str) -> str:
        known = self._verified.get(token)
        if known is not None:
            subject, expires, remembered_at = known
            # The same rule as PyJWT's: expired once exp <= now - leeway.
            if time.time() < expires + self._leeway and self._clock() - remembered_at < self._max_age:
                return subject
            del self._verified[token]
        # Raises for an invalid or expired token, which is therefore never remembered.
        subject = await self._verifier.user_id(token)
        self._remember(token, subject)
        return subject

    def _remember(self, token: str, subject: str) -> None:
        # The wrapped verifier checked the signature and required `exp`: read it without re-verifying.
        claims = jwt.decode(token, options={"verify_signature": False})
        if len(self._verified) >= self._capacity:
            # Forget the oldest entry (dicts keep insertion order), so memory stays bounded.
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (subject, float(claims["exp"]), self._clock())
