"""The verified-token memory: a token is verified once, answered from memory until it expires."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from impl.auth.verified_tokens import VerifiedTokens
from impl.errors import Unauthorized
from tests.support import sign_token


class CountingVerifier:
    """Stands in for TokenVerifier: accepts tokens it was told about, counting every verification."""

    def __init__(self, valid: dict[str, str]) -> None:
        self.valid = valid
        self.calls = 0

    async def user_id(self, token: str) -> str:
        self.calls += 1
        if token not in self.valid:
            raise Unauthorized()
        return self.valid[token]


async def test_a_verified_token_is_answered_from_memory() -> None:
    token = sign_token("alice")
    inner = CountingVerifier({token: "alice"})
    tokens = VerifiedTokens(inner, leeway_seconds=0, max_age_seconds=300)

    assert [await tokens.user_id(token) for _ in range(3)] == ["alice"] * 3
    assert inner.calls == 1


async def test_an_invalid_token_is_never_remembered() -> None:
    inner = CountingVerifier({})
    tokens = VerifiedTokens(inner, leeway_seconds=0, max_age_seconds=300)

    for _ in range(2):
        with pytest.raises(Unauthorized):
            await tokens.user_id("not-a-token")
    assert inner.calls == 2


async def test_a_remembered_token_is_verified_again_once_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    token = sign_token("alice", expires_in=timedelta(minutes=1))
    inner = CountingVerifier({token: "alice"})
    tokens = VerifiedTokens(inner, leeway_seconds=30, max_age_seconds=300)
    await tokens.user_id(token)

    later = time.time() + 60 + 29
    monkeypatch.setattr("impl.auth.verified_tokens.time.time", lambda: later)
    await tokens.user_id(token)
    assert inner.calls == 1  # still within the leeway

    monkeypatch.setattr("impl.auth.verified_tokens.time.time", lambda: later + 2)
    inner.valid.clear()  # what the real verifier says of an expired token
    with pytest.raises(Unauthorized):
        await tokens.user_id(token)
    assert inner.calls == 2


async def test_memory_is_bounded_and_forgets_the_oldest_token() -> None:
    issued = {sign_token(f"user-{i}"): f"user-{i}" for i in range(3)}
    inner = CountingVerifier(issued)
    tokens = VerifiedTokens(inner, leeway_seconds=0, max_age_seconds=300, capacity=2)
    first, second, third = issued

    for token in (first, second, third, third, second):
        await tokens.user_id(token)
    assert inner.calls == 3
    await tokens.user_id(first)
    assert inner.calls == 4


async def test_a_remembered_token_is_verified_again_after_the_max_age() -> None:
    # A signing key withdrawn from the JWKS must stop working once the key cache would notice.
    token = sign_token("alice")
    inner = CountingVerifier({token: "alice"})
    now = [1000.0]
    tokens = VerifiedTokens(inner, leeway_seconds=0, max_age_seconds=300, clock=lambda: now[0])
    await tokens.user_id(token)

    now[0] += 299
    await tokens.user_id(token)
    assert inner.calls == 1

    now[0] += 1
    inner.valid.clear()  # what the real verifier says once the key is gone
    with pytest.raises(Unauthorized):
        await tokens.user_id(token)
    assert inner.calls == 2
