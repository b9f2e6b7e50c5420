"""The verified-token memory: a token is verified once, answered from memory until it expires."""

from __future__ import annotations

import time
import tracemalloc
from datetime import timedelta

import jwt
import pytest

from impl.auth.verified_tokens import VerifiedTokens
from impl.auth.verifier import TokenVerifier, VerifiedToken
from impl.errors import Unauthorized
from impl.settings import Settings
from tests.support import TEST_SECRET, sign_token


class CountingVerifier:
    """Stands in for TokenVerifier: accepts tokens it was told about, counting every verification."""

    def __init__(self, valid: dict[str, str], kid: str | None = None) -> None:
        self.valid = valid
        self.kid = kid
        self.trusted_kids: set[str | None] = {None, kid}
        self.calls = 0

    async def verify(self, token: str) -> VerifiedToken:
        self.calls += 1
        if token not in self.valid:
            raise Unauthorized()
        exp = jwt.decode(token, options={"verify_signature": False})["exp"]
        return VerifiedToken(self.valid[token], float(exp), self.kid)

    def trusts(self, kid: str | None) -> bool:
        return kid in self.trusted_kids


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


async def test_a_token_whose_key_is_no_longer_trusted_is_verified_again() -> None:
    token = sign_token("alice")
    inner = CountingVerifier({token: "alice"}, kid="key-1")
    tokens = VerifiedTokens(inner, leeway_seconds=0, max_age_seconds=300)
    await tokens.user_id(token)
    await tokens.user_id(token)
    assert inner.calls == 1

    inner.trusted_kids.discard("key-1")  # the key set was refreshed without it
    inner.valid.clear()
    with pytest.raises(Unauthorized):
        await tokens.user_id(token)
    assert inner.calls == 2


async def test_memory_is_bounded_by_bytes_too() -> None:
    issued = {sign_token("u" * 250 + f"{i:05}"): "u" * 250 + f"{i:05}" for i in range(20)}
    inner = CountingVerifier(issued)
    tokens = VerifiedTokens(inner, leeway_seconds=0, max_age_seconds=300, max_bytes=4096)

    for token in issued:
        await tokens.user_id(token)
        assert tokens.size_bytes <= 4096
    assert 0 < len(tokens) < len(issued)
    last, first = list(issued)[-1], next(iter(issued))
    await tokens.user_id(last)
    assert inner.calls == len(issued)
    await tokens.user_id(first)
    assert inner.calls == len(issued) + 1


async def test_remembering_a_token_costs_the_same_whatever_its_size() -> None:
    # A Better Auth token carries the user object, so its holder chooses its size: the memory keeps
    # a digest and the claims it needs, never the token.
    verifier = TokenVerifier.from_settings(Settings(_env_file=None, better_auth_secret=TEST_SECRET))
    tokens = VerifiedTokens(verifier, leeway_seconds=0, max_age_seconds=300)
    name = "n" * 6000
    count = 200
    await tokens.user_id(sign_token("warm-up", extra={"name": name}))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            # A fresh string per request, as a header would be, dropped once answered.
            await tokens.user_id(sign_token(f"user-{i}", extra={"name": name}))
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(sign_token("x", extra={"name": name})) > 8000
    assert retained < count * 1024
    assert tokens.size_bytes < count * 512
