"""The checks every accepted token passes, whoever signed it: expiry, lifetime, subject, issuer, audience."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from impl.contract import MAX_USER_ID_LENGTH
from impl.errors import Unauthorized

# 9999-12-31T23:59:59Z: a later `exp` is no date any client or database can represent.
LATEST_EXPIRY = 253_402_300_799


@dataclass(frozen=True)
class VerifiedClaims:
    subject: str
    expires_at: float
    """`exp`: a finite number of seconds since the epoch, at most LATEST_EXPIRY."""


@dataclass(frozen=True)
class ClaimPolicy:
    issuer: str | None
    audience: str | None
    leeway_seconds: float
    max_lifetime_seconds: float | None = None

    def verify(self, token: str, key: jwt.PyJWK | str, algorithm: str) -> VerifiedClaims:
        """The token's claims once its signature (with exactly `algorithm`) and its claims check out."""
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
        expires_at = _expiry(claims["exp"])
        self._check_lifetime(expires_at, claims.get("iat"))
        return VerifiedClaims(_subject(claims.get("sub")), expires_at)

    def _check_lifetime(self, expires_at: float, issued_at: object) -> None:
        if self.max_lifetime_seconds is None:
            return
        # PyJWT has checked that `iat`, when present, is a number no later than now (+ leeway).
        start = _timestamp(issued_at, "issue time") if issued_at is not None else time.time()
        if expires_at - start > self.max_lifetime_seconds:
            raise Unauthorized("Invalid bearer token: lifetime longer than accepted.")


def _expiry(exp: object) -> float:
    return _timestamp(exp, "expiry")


def _timestamp(value: object, name: str) -> float:
    # PyJWT accepts any integer (10^400 or -10^400 too), which no float, clock or database can hold.
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= LATEST_EXPIRY:
        raise Unauthorized(f"Invalid bearer token: {name} out of range.")
    return float(value)


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
