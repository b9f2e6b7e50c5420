"""HS256 mode can require an issuer, an audience and a bounded token lifetime, like Better Auth's tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from impl.app import create_app
from impl.auth import TokenVerifier
from impl.errors import Unauthorized
from impl.settings import Settings
from tests.support import TASKS, TEST_SECRET, sign_token

ISSUER = "https://auth.example.com"
AUDIENCE = "todo-api"
HOUR = 3600

MakeVerifier = Callable[..., TokenVerifier]


@pytest.fixture
async def make_verifier() -> AsyncIterator[MakeVerifier]:
    made: list[TokenVerifier] = []

    def make(**settings: Any) -> TokenVerifier:
        verifier = TokenVerifier.from_settings(
            Settings(_env_file=None, better_auth_secret=TEST_SECRET, **settings)
        )
        made.append(verifier)
        return verifier

    yield make
    for verifier in made:
        await verifier.aclose()


def claims(*, iss: str | None = ISSUER, aud: str | None = AUDIENCE) -> dict[str, str]:
    return {name: value for name, value in (("iss", iss), ("aud", aud)) if value is not None}


async def test_without_issuer_and_audience_settings_hs256_reads_neither(make_verifier: MakeVerifier) -> None:
    # Today's default, kept: a dedicated secret is what makes a token ours.
    verifier = make_verifier()
    assert await verifier.user_id(sign_token("a", extra=claims(iss="https://any.example", aud="any"))) == "a"


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (claims(iss=None), "missing claim iss"),
        (claims(aud=None), "missing claim aud"),
        (claims(iss="https://evil.example"), "wrong issuer"),
        (claims(aud="another-api"), "wrong audience"),
    ],
    ids=["no iss", "no aud", "wrong iss", "wrong aud"],
)
async def test_configured_issuer_and_audience_are_required_of_hs256_tokens(
    make_verifier: MakeVerifier, extra: dict[str, str], reason: str
) -> None:
    verifier = make_verifier(jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    assert await verifier.user_id(sign_token("a", extra=claims())) == "a"
    with pytest.raises(Unauthorized, match=reason):
        await verifier.user_id(sign_token("mallory", extra=extra))


@pytest.mark.parametrize(
    ("expires_in", "extra"),
    [
        (timedelta(days=365 * 100), {}),
        (timedelta(hours=1, seconds=1), {}),
        (timedelta(minutes=5), {"iat": 1_000_000_000}),  # issued in 2001: exp - iat is decades
    ],
    ids=["100 years", "one second too long", "old iat"],
)
async def test_a_maximum_lifetime_refuses_longer_tokens(
    make_verifier: MakeVerifier, expires_in: timedelta, extra: dict[str, Any]
) -> None:
    verifier = make_verifier(jwt_max_lifetime_seconds=HOUR)
    with pytest.raises(Unauthorized, match="lifetime longer than accepted"):
        await verifier.user_id(sign_token("mallory", expires_in=expires_in, extra=extra))


def without_iat(sub: str, expires_in: timedelta) -> str:
    return jwt.encode({"sub": sub, "exp": datetime.now(UTC) + expires_in}, TEST_SECRET, algorithm="HS256")


async def test_without_iat_the_lifetime_counts_from_now(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(jwt_max_lifetime_seconds=HOUR)
    assert await verifier.user_id(without_iat("a", timedelta(minutes=59))) == "a"
    with pytest.raises(Unauthorized, match="lifetime longer than accepted"):
        await verifier.user_id(without_iat("b", timedelta(minutes=61)))


async def test_tokens_within_the_maximum_lifetime_are_accepted(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(jwt_max_lifetime_seconds=HOUR)
    assert await verifier.user_id(sign_token("a", expires_in=timedelta(hours=1))) == "a"
    assert await verifier.user_id(sign_token("b", expires_in=timedelta(minutes=15))) == "b"


async def test_without_a_maximum_a_long_lived_token_is_accepted(make_verifier: MakeVerifier) -> None:
    assert await make_verifier().user_id(sign_token("a", expires_in=timedelta(days=365 * 100))) == "a"


async def test_the_api_answers_a_too_long_lived_token_with_401(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        better_auth_secret=TEST_SECRET,
        jwt_max_lifetime_seconds=HOUR,
    )
    app = create_app(settings)
    token = sign_token("mallory", expires_in=timedelta(days=365 * 100))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        response = await client.get(TASKS, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Invalid bearer token: lifetime longer than accepted."


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_a_maximum_lifetime_must_be_a_positive_number_of_seconds(value: str) -> None:
    with pytest.raises(ValueError, match="jwt_max_lifetime_seconds"):
        Settings(_env_file=None, better_auth_secret=TEST_SECRET, jwt_max_lifetime_seconds=value)
