"""`make token USER=alice`: a development token signed with the configured (or development) secret."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import jwt

from impl.settings import Settings

DEVELOPMENT_TOKEN_LIFETIME = timedelta(hours=12)


def development_token(settings: Settings, user_id: str) -> str:
    issued = datetime.now(UTC)
    claims = {"sub": user_id, "iat": issued, "exp": issued + DEVELOPMENT_TOKEN_LIFETIME}
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


if __name__ == "__main__":
    print(development_token(Settings(), sys.argv[1] if len(sys.argv) > 1 else "alice"))
