"""Bearer-token authentication: verifies the JWT and yields the user id from `sub`."""

from __future__ import annotations

from typing import Annotated

import jwt
from fastapi import Depends, Request

from impl.errors import Unauthorized
from impl.settings import Settings

MAX_USER_ID_LENGTH = 255


class TokenVerifier:
    """HS256 tokens signed with BETTER_AUTH_SECRET; the algorithm is pinned, never read from the token."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret
        self._leeway = settings.jwt_leeway_seconds

    async def user_id(self, token: str) -> str:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                leeway=self._leeway,
                options={"require": ["exp", "sub"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"Invalid bearer token: {_reason(exc)}.") from None
        return _subject(claims.get("sub"))


def _reason(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"missing claim {exc.claim}"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "bad signature"
    return "malformed or not acceptable"


def _subject(sub: object) -> str:
    if not isinstance(sub, str) or not sub or len(sub) > MAX_USER_ID_LENGTH or "\x00" in sub:
        raise Unauthorized("Invalid bearer token: unusable subject.")
    return sub


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


async def current_user(request: Request) -> str:
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.user_id(bearer_token(request))


CurrentUser = Annotated[str, Depends(current_user)]
