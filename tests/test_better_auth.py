"""The real Better Auth (npm `better-auth`, jwt plugin) issues the tokens; the tasks API accepts them.

The harness runs Better Auth under Node on a loopback port. Its calls are synchronous, so async
tests make them through `asyncio.to_thread`: the app under test shares this event loop.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from impl.app import create_app
from tests.betterauth.harness import BetterAuthError, BetterAuthServer, Session, ensure_node_modules
from tests.jwks_support import ManualClock, SigningKey, forge_hs256, standard_claims, unsigned
from tests.support import TASKS, TEST_SECRET, migrate, settings_for, unavailable

ALGS = ["EdDSA", "ES256", "RS256"]
PASSWORD = "correct-horse-battery-staple"
TTL = 300.0
MIN_INTERVAL = 10.0


def require_better_auth() -> None:
    """Node and the pinned packages, or a skip; under CI their absence is a failure."""
    try:
        if shutil.which("node") is None:
            raise BetterAuthError("node is not on PATH; install Node.js >= 20")
        ensure_node_modules()
    except BetterAuthError as exc:
        unavailable(str(exc))


def started(alg: str) -> BetterAuthServer:
    require_better_auth()
    server = BetterAuthServer(alg=alg)
    server.start()
    return server


@pytest.fixture(scope="module", params=ALGS)
def better_auth(request: pytest.FixtureRequest) -> Iterator[BetterAuthServer]:
    """One server per algorithm for the tests that leave its keys alone."""
    server = started(request.param)
    yield server
    server.stop()


@pytest.fixture(params=ALGS)
def own_better_auth(request: pytest.FixtureRequest) -> Iterator[BetterAuthServer]:
    """A server of the test's own, for tests that rotate its keys or restart it."""
    server = started(request.param)
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('better-auth') / 'tasks.db'}"
    await migrate(url)
    return url


@asynccontextmanager
async def api(
    database_url: str, server: BetterAuthServer, *, clock: ManualClock | None = None, **settings: object
) -> AsyncIterator[FastAPI]:
    """The tasks API trusting `server`'s JWKS (and nothing else unless `settings` add a secret)."""
    values = {"better_auth_secret": None, "better_auth_url": server.base_url, **settings}
    app = create_app(settings_for(database_url, **values), clock=clock or ManualClock())
    async with app.router.lifespan_context(app):
        yield app


def client(app: FastAPI, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


async def sign_up(server: BetterAuthServer, name: str) -> Session:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    return await asyncio.to_thread(server.sign_up, email, PASSWORD, name.title())


async def token(server: BetterAuthServer, session: Session) -> str:
    return await asyncio.to_thread(server.token, session)


async def status(app: FastAPI, token: str) -> int:
    async with client(app, token) as c:
        return (await c.get(TASKS)).status_code


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


# -- the tasks API with real Better Auth users ---------------------------------------------------


async def test_better_auth_users_use_the_tasks_api_and_stay_isolated(
    better_auth: BetterAuthServer, database_url: str
) -> None:
    alice, bob = await sign_up(better_auth, "alice"), await sign_up(better_auth, "bob")
    from_token_endpoint = await token(better_auth, alice)
    from_session_header = await asyncio.to_thread(better_auth.token_from_get_session, alice)
    bob_token = await asyncio.to_thread(better_auth.token_from_get_session, bob)
    assert jwt.get_unverified_header(from_token_endpoint)["alg"] == better_auth.alg

    async with (
        api(database_url, better_auth) as app,
        client(app, from_token_endpoint) as a1,
        client(app, from_session_header) as a2,
        client(app, bob_token) as b,
    ):
        created = await a1.post(TASKS, json={"title": "Buy milk", "tags": ["home"]})
        assert created.status_code == 201, created.text
        task = created.json()
        url = f"{TASKS}/{task['id']}"

        # Both ways of obtaining a token name the same user: Better Auth's user id is `sub`.
        assert (await a2.get(url)).json() == task
        assert [t["id"] for t in (await a2.get(TASKS)).json()] == [task["id"]]
        patched = await a2.patch(url, json={"title": "Buy oat milk"})
        assert patched.status_code == 200
        assert patched.json()["title"] == "Buy oat milk"
        replaced = await a1.put(url, json={"title": "Buy bread", "completed": True})
        assert replaced.json()["completed"] is True

        for method, body in (("GET", None), ("PATCH", {"title": "hijacked"}), ("DELETE", None)):
            assert (await b.request(method, url, json=body)).status_code == 404
        assert (await b.get(TASKS)).json() == []
        mine = await b.post(TASKS, json={"title": "Bob's"})
        assert (await a1.get(f"{TASKS}/{mine.json()['id']}")).status_code == 404

        assert (await a1.delete(url)).status_code == 204
        assert (await a2.get(url)).status_code == 404


async def test_the_shared_secret_keeps_working_beside_better_auth(
    better_auth: BetterAuthServer, sqlite_url: str
) -> None:
    alice = await sign_up(better_auth, "alice")
    claims = standard_claims("hs-user", issuer=better_auth.base_url, audience=better_auth.base_url)
    async with api(sqlite_url, better_auth, better_auth_secret=TEST_SECRET) as app:
        assert await status(app, await token(better_auth, alice)) == 200
        assert await status(app, forge_hs256(claims, TEST_SECRET.encode())) == 200
        # With Better Auth configured, HS256 tokens must name the same issuer and audience.
        bare = standard_claims("hs-user", issuer=None, audience=None)
        assert await status(app, forge_hs256(bare, TEST_SECRET.encode())) == 401


# -- key rotation and restarts ------------------------------------------------------------------


async def test_a_rotated_key_is_picked_up_and_a_dropped_one_expires_with_the_cache(
    own_better_auth: BetterAuthServer, sqlite_url: str
) -> None:
    server, clock = own_better_auth, ManualClock()
    alice = await sign_up(server, "alice")
    old = await token(server, alice)
    async with api(sqlite_url, server, clock=clock) as app:
        assert await status(app, old) == 200

        new_kid = await asyncio.to_thread(server.rotate)
        new = await token(server, alice)
        assert kid_of(new) == new_kid != kid_of(old)
        clock.advance(MIN_INTERVAL)
        assert await status(app, new) == 200  # no restart of the API needed
        assert await status(app, old) == 200  # the old key is still published

        assert await asyncio.to_thread(server.drop_old_keys) == [kid_of(old)]
        assert await status(app, old) == 200  # cached until the TTL runs out
        clock.advance(TTL)
        assert await status(app, old) == 401
        assert await status(app, new) == 200


async def test_after_a_restart_with_fresh_keys_old_tokens_die_when_the_cache_expires(
    own_better_auth: BetterAuthServer, sqlite_url: str
) -> None:
    server, clock = own_better_auth, ManualClock()
    old = await token(server, await sign_up(server, "alice"))
    async with api(sqlite_url, server, clock=clock) as app:
        assert await status(app, old) == 200

        await asyncio.to_thread(server.restart)
        new = await token(server, await sign_up(server, "alice"))
        assert await status(app, old) == 200  # its key is still cached
        clock.advance(TTL)
        assert await status(app, old) == 401
        assert await status(app, new) == 200


# -- forgeries against Better Auth's real keys ---------------------------------------------------


def published_key(server: BetterAuthServer) -> dict[str, Any]:
    keys: list[dict[str, Any]] = server.jwks()["keys"]
    assert len(keys) == 1
    return keys[0]


def forgeries(server: BetterAuthServer, jwk: dict[str, Any]) -> dict[str, str]:
    """Tokens a forger could make knowing everything public about the server's key."""
    claims = standard_claims("mallory", issuer=server.base_url, audience=server.base_url)
    public = jwt.PyJWK(jwk).key
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    impostor = SigningKey.generate(server.alg, kid=jwk["kid"])
    impostor_token = impostor.sign("mallory", issuer=server.base_url, audience=server.base_url)
    return {
        "HS256 keyed with the public PEM": forge_hs256(claims, pem, kid=jwk["kid"]),
        "HS256 keyed with the public JWK": forge_hs256(claims, json.dumps(jwk).encode(), kid=jwk["kid"]),
        "alg none": unsigned(claims, kid=jwk["kid"]),
        "unrelated key, known kid": impostor_token,
    }


@pytest.mark.parametrize("secret", [None, TEST_SECRET], ids=["jwks only", "jwks and secret"])
async def test_forged_tokens_are_401_problems(
    better_auth: BetterAuthServer, sqlite_url: str, secret: str | None
) -> None:
    genuine = await token(better_auth, await sign_up(better_auth, "alice"))
    jwk = await asyncio.to_thread(published_key, better_auth)
    async with api(sqlite_url, better_auth, better_auth_secret=secret) as app, client(app) as anonymous:
        assert await status(app, genuine) == 200
        for case, forged in forgeries(better_auth, jwk).items():
            response = await anonymous.get(TASKS, headers={"Authorization": f"Bearer {forged}"})
            assert response.status_code == 401, case
            assert response.headers["content-type"] == "application/problem+json", case
            assert response.headers["www-authenticate"].startswith("Bearer"), case


@pytest.mark.parametrize("setting", ["jwt_issuer", "jwt_audience"])
async def test_a_token_for_another_issuer_or_audience_is_401(
    better_auth: BetterAuthServer, sqlite_url: str, setting: str
) -> None:
    genuine = await token(better_auth, await sign_up(better_auth, "alice"))
    elsewhere: dict[str, Any] = {setting: "https://todo.example.com"}
    async with api(sqlite_url, better_auth, **elsewhere) as app:
        assert await status(app, genuine) == 401
