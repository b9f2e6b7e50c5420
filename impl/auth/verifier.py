"""Token verification as configured: HS256 with the shared secret, Better Auth's keys via JWKS, or both."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import jwt

from impl.auth.claims import ClaimPolicy
from impl.auth.jwks import Clock, JwksCache
from impl.errors import Unauthorized
from impl.settings import Settings

SECRET_ALGORITHM = "HS256"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifiedToken:
    subject: str
    expires_at: float
    kid: str | None
    """The published key that verified the token; None for the shared secret, which is never withdrawn."""


class TokenVerifier:
    """Routes a token by its header's `alg`, but only to a verifier the configuration enabled.

    The header merely picks which key to look up: an HS256 token is only ever checked against the
    secret, an asymmetric one only against a published key whose own type and `alg` fit, so a
    public key can never be misused as an HMAC secret.
    """

    def __init__(
        self,
        policy: ClaimPolicy,
        *,
        secret: str | None = None,
        jwks: JwksCache | None = None,
        asymmetric_algorithms: frozenset[str] = frozenset(),
    ) -> None:
        self._policy = policy
        self._secret = secret
        self._jwks = jwks
        self._asymmetric = asymmetric_algorithms

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock = time.monotonic) -> TokenVerifier:
        jwks = None
        if settings.jwks_fetched_insecurely:
            logger.warning(
                "JWKS_ALLOW_INSECURE_HTTP: signing keys are fetched over plain http from %s; anyone on "
                "the network path can publish their own key and sign in as any user",
                settings.jwks_url,
            )
        if settings.jwks_url is not None:
            jwks = JwksCache(
                settings.jwks_url,
                allowed_algorithms=settings.jwt_algorithms,
                ttl_seconds=settings.jwks_cache_ttl_seconds,
                min_refresh_interval_seconds=settings.jwks_min_refresh_interval_seconds,
                fetch_timeout_seconds=settings.jwks_fetch_timeout_seconds,
                clock=clock,
            )
        policy = ClaimPolicy(
            settings.token_issuer,
            settings.token_audience,
            settings.jwt_leeway_seconds,
            settings.jwt_max_lifetime_seconds,
        )
        return cls(
            policy,
            secret=settings.hs256_secret,
            jwks=jwks,
            asymmetric_algorithms=frozenset(settings.jwt_algorithms),
        )

    async def user_id(self, token: str) -> str:
        return (await self.verify(token)).subject

    async def verify(self, token: str) -> VerifiedToken:
        header = _unverified_header(token)
        alg = header.get("alg")
        if alg == SECRET_ALGORITHM and self._secret is not None:
            claims = self._policy.verify(token, self._secret, SECRET_ALGORITHM)
            return VerifiedToken(claims.subject, claims.expires_at, None)
        if isinstance(alg, str) and alg in self._asymmetric and self._jwks is not None:
            kid = header.get("kid")
            if not kid:
                raise Unauthorized("Invalid bearer token: no key id.")
            key = await self._jwks.key(kid, alg)
            claims = self._policy.verify(token, key, alg)
            return VerifiedToken(claims.subject, claims.expires_at, kid)
        raise Unauthorized("Invalid bearer token: signing algorithm not accepted.")

    def trusts(self, kid: str | None) -> bool:
        """Whether a token this verifier accepted with `kid` earlier may still be taken as verified."""
        if kid is None:
            return self._secret is not None
        return self._jwks is not None and self._jwks.trusts(kid)

    async def aclose(self) -> None:
        if self._jwks is not None:
            await self._jwks.aclose()


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        # PyJWT checks the header is a JSON object and that a `kid`, if present, is a string.
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("Invalid bearer token: malformed or not acceptable.") from None
