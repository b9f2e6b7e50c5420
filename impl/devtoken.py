"""`make token USER=alice`: a development token signed with the configured (or development) secret."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from impl.settings import Settings

DEVELOPMENT_TOKEN_LIFETIME = timedelta(hours=12)


class NoSecretConfigured(RuntimeError):
    """HS256 is off (a JWKS is configured without BETTER_AUTH_SECRET): tokens come from Better Auth."""


def development_token(settings: Settings, user_id: str) -> str:
    secret = settings.hs256_secret
    if secret is None:
        raise NoSecretConfigured(
            "HS256 tokens are not accepted by this configuration (no BETTER_AUTH_SECRET); "
            "get a token from Better Auth's /api/auth/token instead"
        )
    issued = datetime.now(UTC)
    claims: dict[str, Any] = {"sub": user_id, "iat": issued, "exp": issued + DEVELOPMENT_TOKEN_LIFETIME}
    # The service checks these for every token once they are configured, HS256 included.
    if settings.token_issuer is not None:
        claims["iss"] = settings.token_issuer
    if settings.token_audience is not None:
        claims["aud"] = settings.token_audience
    return jwt.encode(claims, secret, algorithm="HS256")


if __name__ == "__main__":
    try:
        print(development_token(Settings(), sys.argv[1] if len(sys.argv) > 1 else "alice"))
    except NoSecretConfigured as exc:
        sys.exit(str(exc))
