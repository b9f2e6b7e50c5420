"""Remembers tokens that verified, so a client's next requests with the same token skip the crypto.

A client sends the same bearer token with every request until it expires. Once its signature, `nbf`
and `iat` have been checked, only the clock or a withdrawn signing key can make it invalid. So a
verified token is remembered, keyed by its SHA-256 digest, as its subject, `exp`, when it was
remembered and which published key (`kid`) verified it; never the token itself, whose size its
holder chooses. A remembered token is answered from memory while it is unexpired, younger than
`max_age_seconds`, and the verifier still trusts its key (the key set is fresh and still publishes
the `kid`), and verified again otherwise.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from typing import NamedTuple, Protocol

from impl.auth.verifier import VerifiedToken
from impl.observability.metrics import VERIFIED_TOKENS, VERIFIED_TOKENS_BYTES

# Per worker: one entry per active user, about 0.3 KB each (a 255-character subject: 0.5 KB).
DEFAULT_CAPACITY = 20_000
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
# The entry tuple, its two floats and the dict slot, beyond the digest, subject and kid strings.
ENTRY_OVERHEAD_BYTES = 200


class Verifier(Protocol):
    async def verify(self, token: str) -> VerifiedToken: ...

    def trusts(self, kid: str | None) -> bool: ...


class Remembered(NamedTuple):
    subject: str
    expires_at: float
    remembered_at: float
    kid: str | None


def _entry_bytes(digest: bytes, entry: Remembered) -> int:
    kid = sys.getsizeof(entry.kid) if entry.kid is not None else 0
    return sys.getsizeof(digest) + sys.getsizeof(entry.subject) + kid + ENTRY_OVERHEAD_BYTES


class VerifiedTokens:
    """Wraps a verifier; answers from memory while a verified token is unexpired and its key trusted.

    Bounded by entries and by bytes: the oldest entries are forgotten first (dicts keep insertion order).
    """

    def __init__(
        self,
        verifier: Verifier,
        leeway_seconds: float,
        *,
        max_age_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        capacity: int = DEFAULT_CAPACITY,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._verifier = verifier
        self._leeway = leeway_seconds
        self._max_age = max_age_seconds
        self._clock = clock
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._remembered: dict[bytes, Remembered] = {}
        self._bytes = 0

    @property
    def size_bytes(self) -> int:
        """The estimated memory held by the remembered entries."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._remembered)

    async def user_id(self, token: str) -> str:
        digest = hashlib.sha256(token.encode()).digest()
        known = self._remembered.get(digest)
        if known is not None:
            if self._still_valid(known):
                return known.subject
            self._forget(digest)
        # Raises for an invalid or expired token, which is therefore never remembered.
        verified = await self._verifier.verify(token)
        self._remember(digest, Remembered(verified.subject, verified.expires_at, self._clock(), verified.kid))
        return verified.subject

    def _still_valid(self, entry: Remembered) -> bool:
        # The same rule as PyJWT's: expired once exp <= now - leeway.
        return (
            time.time() < entry.expires_at + self._leeway
            and self._clock() - entry.remembered_at < self._max_age
            and self._verifier.trusts(entry.kid)
        )

    def _remember(self, digest: bytes, entry: Remembered) -> None:
        size = _entry_bytes(digest, entry)
        if digest in self._remembered:  # remembered meanwhile by a concurrent request
            self._forget(digest)
        while self._remembered and (
            len(self._remembered) >= self._capacity or self._bytes + size > self._max_bytes
        ):
            self._forget(next(iter(self._remembered)))
        self._remembered[digest] = entry
        self._bytes += size
        self._report()

    def _forget(self, digest: bytes) -> None:
        entry = self._remembered.pop(digest)
        self._bytes -= _entry_bytes(digest, entry)
        self._report()

    def _report(self) -> None:
        # On changes only: a request answered from memory costs nothing more.
        VERIFIED_TOKENS.set(len(self._remembered))
        VERIFIED_TOKENS_BYTES.set(self._bytes)
