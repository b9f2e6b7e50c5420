"""`current_user`, awaited first by every secured route: the bearer token, verified into the user id."""

from __future__ import annotations

from starlette.requests import Request

from impl.auth.verified_tokens import VerifiedTokens
from impl.errors import Unauthorized
from impl.ratelimit import limited_user

# Better Auth's token carries the user object: 0.6 KB (EdDSA) to 0.9 KB (RS256) for an ordinary
# user without an image URL, measured with tests/betterauth. 8 KiB leaves room for long names and
# image URLs, and refuses the megabyte a user could create with a 1 MB name before any decoding.
MAX_TOKEN_BYTES = 8 * 1024


class TokenTooLong(Unauthorized):
    def __init__(self) -> None:
        super().__init__(f"Invalid bearer token: longer than {MAX_TOKEN_BYTES} bytes.")


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized()
    # Header values arrive as latin-1: one character is one byte.
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenTooLong()
    return token


async def verified_user(request: Request) -> str:
    tokens: VerifiedTokens = request.app.state.tokens
    user_id = await tokens.user_id(bearer_token(request))
    # For the access log, which writes a keyed hash of it (impl/observability/logging.py).
    request.state.user_id = user_id
    return user_id


# The token is verified once, inside the rate limits: a failing address is refused before parsing.
current_user = limited_user(verified_user)
