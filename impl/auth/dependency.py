"""The FastAPI dependency: the bearer token from the request, verified into the user id (`sub`)."""

from __future__ import annotations

from fastapi import Request

from impl.auth.verified_tokens import VerifiedTokens
from impl.errors import Unauthorized


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


async def current_user(request: Request) -> str:
    tokens: VerifiedTokens = request.app.state.tokens
    return await tokens.user_id(bearer_token(request))
