"""The checks every accepted token passes, whoever signed it: expiry, subject, issuer, audience."""

from __future__ import annotations

from dataclasses import dataclass

import jwt

from impl.contract import MAX_USER_ID_LENGTH
from impl.errors import Unauthorized


@dataclass(frozen=True)
class ClaimPolicy:
    issuer: str | None
    audience: str | None
    leeway_seconds: float

    def user_id(self, token: str, key: jwt.PyJWK | str, algorithm: str) -> str:
        """The token's `sub` once its signature (with exactly `algorithm`) and its claims check out."""
        required = ["exp", "sub"]
        required += ["iss"] if self.issuer is not None else []
        required += ["aud"] if self.audience is not None else []
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway_seconds,
                # Without a configured audience an `aud` claim cannot be judged, so it is not read.
                options={"require": required, "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"Invalid bearer token: {_reason(exc)}.") from None
        return _subject(claims.get("sub"))


def _reason(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "not yet valid"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"missing claim {exc.claim}"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "bad signature"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "wrong audience"
    return "malformed or not acceptable"


def _subject(sub: object) -> str:
    if not isinstance(sub, str) or not sub or len(sub) > MAX_USER_ID_LENGTH or "\x00" in sub:
        raise Unauthorized("Invalid bearer token: unusable subject.")
    return sub
