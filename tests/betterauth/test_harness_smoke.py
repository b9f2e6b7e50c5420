"""Smoke tests: the harness yields genuine Better Auth JWTs that PyJWT verifies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from tests.betterauth.harness import BetterAuthError, BetterAuthServer, Session

ALGS = ["EdDSA", "ES256"]
PASSWORD = "correct-horse-battery"


@pytest.fixture(params=ALGS)
def server(request: pytest.FixtureRequest) -> Iterator[BetterAuthServer]:
    with BetterAuthServer(alg=request.param) as srv:
        yield srv


def verify(srv: BetterAuthServer, token: str) -> dict[str, Any]:
    """Verify the way a resource server would: fresh JWKS, pinned alg, iss/aud."""
    keyset = jwt.PyJWKSet.from_dict(srv.jwks())
    kid = jwt.get_unverified_header(token)["kid"]
    claims: dict[str, Any] = jwt.decode(
        token,
        key=keyset[kid],
        algorithms=[srv.alg],
        issuer=srv.base_url,
        audience=srv.base_url,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    return claims


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def test_tokens_verify_for_each_user(server: BetterAuthServer) -> None:
    alice = server.sign_up("alice@example.com", PASSWORD, "Alice")
    bob = server.sign_up("bob@example.com", PASSWORD, "Bob")
    assert alice.user_id != bob.user_id

    for session in (alice, bob):
        for token in (server.token(session), server.token_from_get_session(session)):
            assert jwt.get_unverified_header(token)["alg"] == server.alg
            claims = verify(server, token)
            assert claims["sub"] == session.user_id
            assert claims["exp"] - claims["iat"] == 15 * 60

    assert server.jwks_url == server.base_url + "/api/auth/jwks"
    assert len(server.kids()) == 1


def test_rotate_signs_with_new_key_and_keeps_old(server: BetterAuthServer) -> None:
    alice = server.sign_up("alice@example.com", PASSWORD, "Alice")
    old_token = server.token(alice)

    new_kid = server.rotate()
    new_token = server.token(alice)

    assert kid_of(new_token) == new_kid != kid_of(old_token)
    assert set(server.kids()) == {kid_of(old_token), new_kid}
    assert verify(server, old_token)["sub"] == alice.user_id
    assert verify(server, new_token)["sub"] == alice.user_id
    assert kid_of(server.token_from_get_session(alice)) == new_kid


def test_drop_old_keys_unpublishes_old_key(server: BetterAuthServer) -> None:
    alice = server.sign_up("alice@example.com", PASSWORD, "Alice")
    old_token = server.token(alice)
    new_kid = server.rotate()

    assert server.drop_old_keys() == [kid_of(old_token)]

    assert server.kids() == [new_kid]
    with pytest.raises(KeyError):
        verify(server, old_token)
    assert verify(server, server.token(alice))["sub"] == alice.user_id


def test_restart_gives_new_keys_on_same_url(server: BetterAuthServer) -> None:
    alice = server.sign_up("alice@example.com", PASSWORD, "Alice")
    old_token = server.token(alice)
    old_kids = set(server.kids())
    base_url = server.base_url

    server.restart()

    assert server.base_url == base_url
    alice2: Session = server.sign_up("alice@example.com", PASSWORD, "Alice")
    new_token = server.token(alice2)
    assert old_kids.isdisjoint(server.kids())
    assert verify(server, new_token)["sub"] == alice2.user_id
    with pytest.raises(KeyError):
        verify(server, old_token)
    # Memory is gone, so the pre-restart session cookie is no longer valid.
    with pytest.raises(BetterAuthError):
        server.token(alice)


def test_start_failure_reports_node_stderr(server: BetterAuthServer) -> None:
    clash = BetterAuthServer(alg=server.alg, port=server.port, startup_timeout=15)
    with pytest.raises(BetterAuthError, match="EADDRINUSE"):
        clash.start()
