"""Authentication: only a correctly signed, unexpired HS256 token with a subject gets through."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest

from impl.auth.dependency import MAX_TOKEN_BYTES
from tests.jwks_support import forge_hs256
from tests.support import TASKS, TEST_SECRET, sign_token


async def assert_unauthorized(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get(TASKS, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


UNSIGNED = jwt.encode({"sub": "mallory", "exp": 4102444800}, key=None, algorithm="none")  # type: ignore[arg-type]

BAD_HEADERS = {
    "missing": {},
    "empty bearer": {"Authorization": "Bearer "},
    "basic scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
    "not a jwt": bearer("not-a-jwt"),
    "alg none": bearer(UNSIGNED),
    "wrong secret": bearer(sign_token("mallory", secret="another-secret-that-is-long-enough-1234567")),
    "HS512 with the right secret": bearer(sign_token("mallory", algorithm="HS512")),
    "expired beyond leeway": bearer(sign_token("mallory", expires_in=timedelta(seconds=-120))),
    "no subject": bearer(sign_token(None)),
    "empty subject": bearer(sign_token("")),
    "overlong subject": bearer(sign_token("x" * 256)),
    "NUL in subject": bearer(sign_token("a\x00b")),
    "not yet valid": bearer(sign_token("mallory", extra={"nbf": 4102444800})),
}


def signed_with_expiry(exp: object) -> str:
    """A correctly signed token whose `exp` is written into the JSON as Python's json spells it."""
    return forge_hs256({"sub": "mallory", "exp": exp}, TEST_SECRET.encode())


ABSURD_EXPIRIES = {
    "10^400": 10**400,
    "-10^400": -(10**400),
    "1e400 (Infinity)": float("inf"),
    "-Infinity": float("-inf"),
    "NaN": float("nan"),
    "after 9999-12-31": 253_402_300_800,
    "a string": "4102444800",
    "true": True,
}


@pytest.mark.parametrize("case", ABSURD_EXPIRIES)
async def test_an_absurd_expiry_is_a_401_not_a_500(anonymous: httpx.AsyncClient, case: str) -> None:
    await assert_unauthorized(anonymous, bearer(signed_with_expiry(ABSURD_EXPIRIES[case])))


async def test_a_far_but_representable_expiry_is_accepted(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get(TASKS, headers=bearer(signed_with_expiry(253_402_300_799)))
    assert response.status_code == 200


async def test_a_token_over_the_size_limit_is_refused_unread(anonymous: httpx.AsyncClient) -> None:
    # Correctly signed, so only its size can refuse it (a Better Auth token is about 1 KB).
    token = sign_token("big-name", extra={"name": "n" * MAX_TOKEN_BYTES})
    assert len(token) > MAX_TOKEN_BYTES
    response = await anonymous.get(TASKS, headers=bearer(token))
    await assert_unauthorized(anonymous, bearer(token))
    assert response.json()["detail"] == f"Invalid bearer token: longer than {MAX_TOKEN_BYTES} bytes."


async def test_a_token_at_the_size_limit_is_accepted(anonymous: httpx.AsyncClient) -> None:
    token = sign_token("big-name", extra={"name": ""})
    token = sign_token("big-name", extra={"name": "n" * ((MAX_TOKEN_BYTES - len(token)) * 3 // 4)})
    assert MAX_TOKEN_BYTES - 4 <= len(token) <= MAX_TOKEN_BYTES
    assert (await anonymous.get(TASKS, headers=bearer(token))).status_code == 200


@pytest.mark.parametrize("case", BAD_HEADERS)
async def test_bad_credentials_get_401(anonymous: httpx.AsyncClient, case: str) -> None:
    await assert_unauthorized(anonymous, BAD_HEADERS[case])


async def test_a_token_without_expiry_is_rejected(anonymous: httpx.AsyncClient) -> None:
    token = jwt.encode({"sub": "mallory"}, TEST_SECRET, algorithm="HS256")
    await assert_unauthorized(anonymous, bearer(token))


async def test_small_clock_skew_is_tolerated(anonymous: httpx.AsyncClient) -> None:
    token = sign_token("skewed-user", expires_in=timedelta(seconds=-5))
    response = await anonymous.get(TASKS, headers=bearer(token))
    assert response.status_code == 200


async def test_the_scheme_is_case_insensitive(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get(TASKS, headers={"Authorization": f"bearer {sign_token('lower')}"})
    assert response.status_code == 200


async def test_auth_is_checked_before_input_validation(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post(TASKS, json={"title": ""})
    assert response.status_code == 401


async def test_health_endpoints_need_no_token(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/healthz")).status_code == 200
    assert (await anonymous.get("/readyz")).status_code == 200
