"""JWKS verification against a real HTTP JWKS endpoint on loopback: keys, claims, caching, outages."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from impl.app import create_app
from impl.auth import TokenVerifier
from impl.auth.jwks import MAX_JWKS_BYTES, KeysUnavailable
from impl.auth.verified_tokens import VerifiedTokens
from impl.errors import Unauthorized
from impl.settings import Settings
from tests.jwks_support import (
    AUDIENCE,
    ISSUER,
    JwksServer,
    ManualClock,
    SigningKey,
    forge_hs256,
    standard_claims,
    unsigned,
)
from tests.support import TASKS, TEST_CURSOR_SECRET, TEST_SECRET

MIN_INTERVAL = 10.0
TTL = 300.0
KEYS = {alg: SigningKey.generate(alg) for alg in ("EdDSA", "ES256", "ES512", "RS256", "PS256")}
ED25519 = KEYS["EdDSA"]

MakeVerifier = Callable[..., TokenVerifier]


@pytest.fixture
async def server() -> AsyncIterator[JwksServer]:
    jwks = JwksServer(*KEYS.values())
    await jwks.start()
    yield jwks
    await jwks.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def make_verifier(server: JwksServer, clock: ManualClock) -> AsyncIterator[MakeVerifier]:
    made: list[TokenVerifier] = []

    def make(**overrides: Any) -> TokenVerifier:
        values: dict[str, Any] = {
            "app_env": "production",
            "jwt_jwks_url": server.url,
            "jwt_issuer": ISSUER,
            "jwt_audience": AUDIENCE,
            "jwks_cache_ttl_seconds": TTL,
            "jwks_min_refresh_interval_seconds": MIN_INTERVAL,
            "jwks_fetch_timeout_seconds": 0.5,
            "cursor_secret": TEST_CURSOR_SECRET,
            **overrides,
        }
        verifier = TokenVerifier.from_settings(Settings(_env_file=None, **values), clock=clock)
        made.append(verifier)
        return verifier

    yield make
    for verifier in made:
        await verifier.aclose()


@pytest.fixture
def verifier(make_verifier: MakeVerifier) -> TokenVerifier:
    return make_verifier()


async def assert_rejected(verifier: TokenVerifier, token: str, reason: str | None = None) -> None:
    with pytest.raises(Unauthorized, match=reason):
        await verifier.user_id(token)


# -- keys and algorithms --------------------------------------------------------------------------


@pytest.mark.parametrize("alg", KEYS)
async def test_each_better_auth_algorithm_is_accepted(verifier: TokenVerifier, alg: str) -> None:
    assert await verifier.user_id(KEYS[alg].sign("alice")) == "alice"


async def test_a_jwk_without_alg_serves_exactly_the_algorithms_of_its_key_type(
    server: JwksServer, verifier: TokenVerifier
) -> None:
    rsa, p256 = SigningKey.generate("RS256"), SigningKey.generate("ES256")
    server.document = {"keys": [rsa.jwk(alg=None), p256.jwk(alg=None)]}

    assert await verifier.user_id(rsa.sign("r", alg="RS256")) == "r"
    assert await verifier.user_id(rsa.sign("p", alg="PS256")) == "p"
    await assert_rejected(verifier, rsa.sign(alg="RS512"))  # allowed by the key, not by configuration
    assert await verifier.user_id(p256.sign("e")) == "e"


async def test_the_token_cannot_choose_an_algorithm_its_key_does_not_declare(
    server: JwksServer, verifier: TokenVerifier
) -> None:
    # One kid published as an ES256 key; tokens claiming another algorithm for it are refused.
    intruder = SigningKey.generate("EdDSA", kid=KEYS["ES256"].kid)
    await assert_rejected(verifier, intruder.sign(), "does not allow")
    await assert_rejected(verifier, KEYS["RS256"].sign(alg="PS256"), "does not allow")
    await assert_rejected(verifier, KEYS["ES512"].sign(kid=KEYS["ES256"].kid), "does not allow")
    assert server.requests == 1


async def test_only_configured_algorithms_are_accepted(
    server: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(jwt_algorithms="ES256")
    await assert_rejected(verifier, ED25519.sign(), "algorithm not accepted")
    assert server.requests == 0
    assert await verifier.user_id(KEYS["ES256"].sign("e")) == "e"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_unusable_published_keys_are_ignored(server: JwksServer, verifier: TokenVerifier) -> None:
    enc, no_verify, private, odd = (SigningKey.generate("EdDSA") for _ in range(4))
    weak = SigningKey.generate("RS256", rsa_bits=1024)
    server.document = {
        "keys": [
            enc.jwk(use="enc"),
            no_verify.jwk(key_ops=["encrypt"]),
            {**private.jwk(), "d": "AAAA"},
            weak.jwk(),
            odd.jwk(crv="X25519"),
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"},
            {"kty": "OKP", "crv": "Ed25519", "x": "not-a-key", "kid": "broken", "alg": "EdDSA"},
            {"kty": "OKP", "kid": "numeric-alg", "alg": 7},
            "not an object",
            ED25519.jwk(kid=None),
            ED25519.jwk(),
        ]
    }
    for key in (enc, no_verify, private, weak, odd):
        await assert_rejected(verifier, key.sign(), "unknown signing key")
    assert await verifier.user_id(ED25519.sign("ok")) == "ok"


async def test_a_token_without_kid_is_rejected(verifier: TokenVerifier) -> None:
    await assert_rejected(verifier, ED25519.sign(kid=False), "no key id")


# -- forgeries --------------------------------------------------------------------------------------


def _public_materials(key: SigningKey) -> dict[str, bytes]:
    jwk = key.jwk()
    return {
        "PEM": key.public_pem(),
        "JWK JSON": json.dumps(jwk).encode(),
        "JWK x": jwk["x"].encode(),
    }


@pytest.mark.parametrize("secret_configured", [False, True])
@pytest.mark.parametrize("material", ["PEM", "JWK JSON", "JWK x"])
async def test_hs256_signed_with_the_public_key_is_rejected(
    make_verifier: MakeVerifier, secret_configured: bool, material: str
) -> None:
    verifier = make_verifier(better_auth_secret=TEST_SECRET if secret_configured else None)
    forged = forge_hs256(standard_claims("mallory"), _public_materials(ED25519)[material], kid=ED25519.kid)
    # With a secret the token meets only the secret; without one HS256 is not accepted at all.
    await assert_rejected(verifier, forged, "bad signature" if secret_configured else "not accepted")


async def test_alg_none_with_a_known_kid_is_rejected(verifier: TokenVerifier) -> None:
    await assert_rejected(verifier, unsigned(standard_claims("mallory"), kid=ED25519.kid), "not accepted")


async def test_a_foreign_key_reusing_a_known_kid_is_rejected(verifier: TokenVerifier) -> None:
    forged = SigningKey.generate("EdDSA", kid=ED25519.kid).sign("mallory")
    await assert_rejected(verifier, forged, "bad signature")


NOT_JSON = jwt.PyJWS().encode(b"not json", ED25519.private, algorithm="EdDSA", headers={"kid": ED25519.kid})


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param(ED25519.sign(expires_in=timedelta(seconds=-60)), "expired", id="expired beyond leeway"),
        pytest.param(ED25519.sign(extra={"nbf": 4102444800}), "not yet valid", id="not yet valid"),
        pytest.param(ED25519.sign(None), "missing claim sub", id="no subject"),
        pytest.param(ED25519.sign(""), "unusable subject", id="empty subject"),
        pytest.param(ED25519.sign(extra={"exp": None}), "missing claim exp", id="no expiry"),
        pytest.param(ED25519.sign(issuer="https://evil.example"), "wrong issuer", id="wrong issuer"),
        pytest.param(ED25519.sign(audience="https://other.example"), "wrong audience", id="wrong audience"),
        pytest.param(ED25519.sign(issuer=None), "missing claim iss", id="no issuer"),
        pytest.param(ED25519.sign(audience=None), "missing claim aud", id="no audience"),
        pytest.param(NOT_JSON, "malformed", id="signed payload that is not JSON"),
        pytest.param("not.a.jwt", "malformed", id="garbage"),
    ],
)
async def test_bad_claims_are_rejected(verifier: TokenVerifier, token: str, reason: str) -> None:
    await assert_rejected(verifier, token, reason)


async def test_small_clock_skew_is_tolerated(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(jwt_leeway_seconds=30)
    assert await verifier.user_id(ED25519.sign("skewed", expires_in=timedelta(seconds=-5))) == "skewed"


async def test_an_audience_list_containing_ours_is_accepted(verifier: TokenVerifier) -> None:
    token = ED25519.sign("listed", audience=None, extra={"aud": ["https://other.example", AUDIENCE]})
    assert await verifier.user_id(token) == "listed"


# -- modes ----------------------------------------------------------------------------------------


async def test_hs256_tokens_are_refused_when_only_jwks_is_configured(verifier: TokenVerifier) -> None:
    await assert_rejected(verifier, forge_hs256(standard_claims("x"), TEST_SECRET.encode()), "not accepted")


async def test_both_modes_check_issuer_and_audience_for_hs256_too(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(better_auth_secret=TEST_SECRET)
    assert await verifier.user_id(forge_hs256(standard_claims("hs"), TEST_SECRET.encode())) == "hs"
    assert await verifier.user_id(ED25519.sign("ed")) == "ed"
    await assert_rejected(verifier, forge_hs256(standard_claims("hs", issuer=None), TEST_SECRET.encode()))


async def test_asymmetric_tokens_are_refused_when_only_the_secret_is_configured() -> None:
    settings = Settings(_env_file=None, app_env="production", better_auth_secret=TEST_SECRET)
    verifier = TokenVerifier.from_settings(settings)
    await assert_rejected(verifier, ED25519.sign(), "not accepted")
    await verifier.aclose()


# -- caching, rotation and the refetch throttle -----------------------------------------------------


async def test_keys_are_fetched_once_and_cached_for_the_ttl(
    server: JwksServer, verifier: TokenVerifier, clock: ManualClock
) -> None:
    for _ in range(5):
        assert await verifier.user_id(ED25519.sign("a")) == "a"
    clock.advance(TTL - 1)
    assert await verifier.user_id(ED25519.sign("a")) == "a"
    assert server.requests == 1

    server.publish(KEYS["ES256"])  # the Ed25519 key is retired
    clock.advance(1)
    await assert_rejected(verifier, ED25519.sign(), "unknown signing key")
    assert server.requests == 2


async def test_concurrent_first_requests_share_one_fetch(server: JwksServer, verifier: TokenVerifier) -> None:
    users = [f"user-{n}" for n in range(20)]
    results = await asyncio.gather(*(verifier.user_id(ED25519.sign(user)) for user in users))
    assert results == users
    assert server.requests == 1


async def test_a_new_kid_is_fetched_without_a_restart(
    server: JwksServer, verifier: TokenVerifier, clock: ManualClock
) -> None:
    assert await verifier.user_id(ED25519.sign("a")) == "a"
    rotated = SigningKey.generate("EdDSA")
    server.publish(ED25519, rotated)
    clock.advance(MIN_INTERVAL)
    assert await verifier.user_id(rotated.sign("b")) == "b"
    assert await verifier.user_id(ED25519.sign("a")) == "a"
    assert server.requests == 2


async def test_unknown_kids_trigger_at_most_one_fetch_per_interval(
    server: JwksServer, verifier: TokenVerifier, clock: ManualClock
) -> None:
    def junk() -> str:
        return SigningKey(ED25519.alg, uuid.uuid4().hex, ED25519.private).sign()

    outcomes = await asyncio.gather(*(verifier.user_id(junk()) for _ in range(50)), return_exceptions=True)
    assert all(isinstance(outcome, Unauthorized) for outcome in outcomes)
    for _ in range(50):
        await assert_rejected(verifier, junk())
    assert server.requests == 1

    clock.advance(MIN_INTERVAL / 2)
    await assert_rejected(verifier, junk())
    assert server.requests == 1
    clock.advance(MIN_INTERVAL / 2)
    await asyncio.gather(*(assert_rejected(verifier, junk()) for _ in range(20)))
    assert server.requests == 2
    assert await verifier.user_id(ED25519.sign("still-fine")) == "still-fine"


async def test_a_zero_interval_still_shares_one_fetch_among_concurrent_misses(
    server: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(jwks_min_refresh_interval_seconds=0)
    assert await verifier.user_id(ED25519.sign("a")) == "a"
    stranger = SigningKey.generate("EdDSA")
    await asyncio.gather(*(assert_rejected(verifier, stranger.sign()) for _ in range(20)))
    assert server.requests == 2


# -- the auth server being down ----------------------------------------------------------------------


async def test_cached_keys_keep_working_while_the_auth_server_is_down(
    server: JwksServer, verifier: TokenVerifier, clock: ManualClock
) -> None:
    assert await verifier.user_id(ED25519.sign("a")) == "a"
    await server.stop()
    clock.advance(TTL + MIN_INTERVAL)

    assert await verifier.user_id(ED25519.sign("a")) == "a"
    await assert_rejected(verifier, SigningKey.generate("EdDSA").sign(), "unknown signing key")


@pytest.mark.parametrize("mode", ["error", "garbage"])
async def test_a_bad_answer_is_a_503_until_a_good_one_then_keys_flow(
    server: JwksServer, verifier: TokenVerifier, clock: ManualClock, mode: str
) -> None:
    server.mode = mode  # type: ignore[assignment]
    with pytest.raises(KeysUnavailable):
        await verifier.user_id(ED25519.sign())
    # Within the interval the failure is remembered: no request, still a prompt 503.
    with pytest.raises(KeysUnavailable):
        await verifier.user_id(ED25519.sign())
    assert server.requests == 1

    server.mode = "serve"
    clock.advance(MIN_INTERVAL)
    assert await verifier.user_id(ED25519.sign("back")) == "back"
    assert server.requests == 2


async def test_a_json_document_that_is_no_jwk_set_is_a_failed_fetch(
    server: JwksServer, verifier: TokenVerifier
) -> None:
    server.document = {"keys": "none"}
    with pytest.raises(KeysUnavailable):
        await verifier.user_id(ED25519.sign())


async def test_an_unreachable_auth_server_is_a_503(make_verifier: MakeVerifier, server: JwksServer) -> None:
    url = server.url
    await server.stop()
    verifier = make_verifier(jwt_jwks_url=url)
    with pytest.raises(KeysUnavailable):
        await verifier.user_id(ED25519.sign())


async def test_a_silent_auth_server_costs_one_fetch_timeout_not_a_hang(
    server: JwksServer, make_verifier: MakeVerifier
) -> None:
    server.mode = "silent"
    verifier = make_verifier(jwks_fetch_timeout_seconds=0.2)
    started = time.monotonic()
    outcomes = await asyncio.gather(
        *(verifier.user_id(ED25519.sign()) for _ in range(10)), return_exceptions=True
    )
    elapsed = time.monotonic() - started
    assert all(isinstance(outcome, KeysUnavailable) for outcome in outcomes)
    assert server.requests == 1
    # A hang detector, generous for slow machines: the ten requests waited for one 0.2 s fetch.
    assert elapsed < 2


# -- what a key set may cost ----------------------------------------------------------------------


def padded_key_set(size: int) -> bytes:
    """A valid key set publishing ED25519, `size` bytes long."""
    document = json.dumps({"keys": [ED25519.jwk()], "padding": ""}).encode()
    return document.replace(b'"padding": ""', b'"padding": "' + b"x" * (size - len(document)) + b'"')


async def test_a_key_set_up_to_the_size_cap_is_used(server: JwksServer, verifier: TokenVerifier) -> None:
    server.body = padded_key_set(MAX_JWKS_BYTES)
    assert await verifier.user_id(ED25519.sign("a")) == "a"


@pytest.mark.parametrize("chunked", [False, True], ids=["with Content-Length", "chunked"])
@pytest.mark.parametrize("size", [MAX_JWKS_BYTES + 1, 8 * 1024 * 1024])
async def test_a_key_set_over_the_size_cap_is_a_failed_fetch(
    server: JwksServer, verifier: TokenVerifier, chunked: bool, size: int
) -> None:
    server.body = padded_key_set(size)
    server.chunked = chunked
    with pytest.raises(KeysUnavailable):
        await verifier.user_id(ED25519.sign())
    assert server.requests == 1


async def test_a_compressed_key_set_is_a_failed_fetch(server: JwksServer, verifier: TokenVerifier) -> None:
    # Identity was asked for: a compressed body could expand far beyond the size cap in one chunk.
    server.body = gzip.compress(padded_key_set(MAX_JWKS_BYTES // 2))
    server.headers = {"Content-Encoding": "gzip"}
    with pytest.raises(KeysUnavailable):
        await verifier.user_id(ED25519.sign())


DEEP_JSON = {
    "5,000-deep array": b"[" * 5000 + b"]" * 5000,
    "5,000-deep keys": b'{"keys": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "5,000-deep object": b'{"a":' * 5000 + b"1" + b"}" * 5000,
}


@pytest.mark.parametrize("body", DEEP_JSON.values(), ids=DEEP_JSON)
async def test_a_deeply_nested_key_set_is_a_failed_fetch_that_keeps_the_cached_keys(
    server: JwksServer,
    verifier: TokenVerifier,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
) -> None:
    assert await verifier.user_id(ED25519.sign("a")) == "a"
    server.body = body
    clock.advance(TTL)
    with caplog.at_level(logging.WARNING, logger="impl.auth.jwks"):
        assert await verifier.user_id(ED25519.sign("a")) == "a"
    assert server.requests == 2
    assert "JWKS fetch from" in caplog.text


async def test_plain_http_keys_are_loudly_logged(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(
        _env_file=None,
        jwt_jwks_url="http://auth.internal:3000/api/auth/jwks",
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwks_allow_insecure_http=True,
        cursor_secret=TEST_CURSOR_SECRET,
    )
    with caplog.at_level(logging.WARNING, logger="impl.auth.verifier"):
        verifier = TokenVerifier.from_settings(settings)
    await verifier.aclose()
    assert "JWKS_ALLOW_INSECURE_HTTP" in caplog.text
    assert "http://auth.internal:3000/api/auth/jwks" in caplog.text


# -- remembered tokens and withdrawn keys ------------------------------------------------------------


@pytest.fixture
def tokens(verifier: TokenVerifier, clock: ManualClock) -> VerifiedTokens:
    """The verified-token memory as the app builds it: remembered no longer than the key-set TTL."""
    return VerifiedTokens(verifier, leeway_seconds=0, max_age_seconds=TTL, clock=clock)


async def test_a_remembered_token_ends_with_a_refresh_that_withdraws_its_key(
    server: JwksServer, tokens: VerifiedTokens, clock: ManualClock
) -> None:
    token = ED25519.sign("alice")
    assert await tokens.user_id(token) == "alice"
    rotated = SigningKey.generate("EdDSA")
    server.publish(rotated)  # the Ed25519 key is withdrawn
    clock.advance(MIN_INTERVAL)
    assert await tokens.user_id(rotated.sign("bob")) == "bob"  # its new kid makes the cache refresh
    assert server.requests == 2

    with pytest.raises(Unauthorized, match="unknown signing key"):
        await tokens.user_id(token)


async def test_a_remembered_token_lives_no_longer_than_the_key_set_that_verified_it(
    server: JwksServer, tokens: VerifiedTokens, clock: ManualClock
) -> None:
    assert await tokens.user_id(ED25519.sign("first")) == "first"  # keys fetched now
    clock.advance(TTL - 1)
    token = ED25519.sign("alice")
    assert await tokens.user_id(token) == "alice"  # remembered one second before the keys go stale
    server.publish(KEYS["ES256"])
    clock.advance(1)

    with pytest.raises(Unauthorized, match="unknown signing key"):
        await tokens.user_id(token)
    assert server.requests == 2


async def test_a_remembered_token_whose_key_stays_is_still_answered_from_memory(
    server: JwksServer, tokens: VerifiedTokens, clock: ManualClock
) -> None:
    token = ED25519.sign("alice")
    assert await tokens.user_id(token) == "alice"
    rotated = SigningKey.generate("EdDSA")
    server.publish(ED25519, rotated)
    clock.advance(MIN_INTERVAL)
    assert await tokens.user_id(rotated.sign("bob")) == "bob"
    server.publish(rotated)  # withdrawn after the refresh: not noticed before the next one
    assert await tokens.user_id(token) == "alice"
    assert server.requests == 2


# -- over HTTP ------------------------------------------------------------------------------------


async def test_the_api_renders_key_outages_as_503_and_bad_keys_as_401(
    server: JwksServer, clock: ManualClock, tmp_path: Path
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        jwt_jwks_url=server.url,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        retry_after_seconds=3,
        cursor_secret=TEST_CURSOR_SECRET,
    )
    app = create_app(settings, clock=clock)
    server.mode = "error"
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        outage = await client.get(TASKS, headers={"Authorization": f"Bearer {ED25519.sign()}"})
        assert outage.status_code == 503
        assert outage.headers["retry-after"] == "3"
        assert outage.headers["content-type"] == "application/problem+json"
        assert outage.json()["detail"] == KeysUnavailable.detail

        server.mode = "serve"
        clock.advance(MIN_INTERVAL)
        stranger = SigningKey.generate("EdDSA").sign()
        rejected = await client.get(TASKS, headers={"Authorization": f"Bearer {stranger}"})
        assert rejected.status_code == 401
        assert rejected.headers["www-authenticate"].startswith("Bearer")
        assert rejected.json()["detail"] == "Invalid bearer token: unknown signing key."


@pytest.mark.parametrize("body", DEEP_JSON.values(), ids=DEEP_JSON)
async def test_the_api_answers_a_deeply_nested_key_set_with_503_not_500(
    server: JwksServer, clock: ManualClock, tmp_path: Path, body: bytes
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        jwt_jwks_url=server.url,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        cursor_secret=TEST_CURSOR_SECRET,
    )
    app = create_app(settings, clock=clock)
    server.body = body
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        response = await client.get(TASKS, headers={"Authorization": f"Bearer {ED25519.sign()}"})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
