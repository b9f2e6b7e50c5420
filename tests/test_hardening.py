"""Issue #10, the HTTP-level items through the real app: body and header limits (4, 5), /docs (12),
security headers (13), sealed cursors and format characters (16). The server process: test_slow_clients.py."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from impl.app import create_app
from impl.contract import CONTRACT
from impl.docs import INTEGRITY
from impl.settings import Settings
from kit.validation import linear_pattern
from tests.support import TASKS, auth, create, settings_for

MAX_BODY = Settings.model_fields["max_body_bytes"].default
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}


def _client(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers)


# --- 4: body size ---------------------------------------------------------------------------------


async def test_a_body_declared_over_the_limit_is_a_413_before_it_is_read(user_a: httpx.AsyncClient) -> None:
    body = b'{"title": "' + b"a" * MAX_BODY + b'"}'
    response = await user_a.post(TASKS, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == f"The request body exceeds {MAX_BODY} bytes."
    assert (await user_a.get(TASKS)).json() == []


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    user_a: httpx.AsyncClient, method: str
) -> None:
    task = await create(user_a)
    chunk, chunks = b" " * 4096, 1000  # 4 MB of JSON white space, sent without Content-Length
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(chunks):
            sent += 1
            yield chunk

    url = TASKS if method == "POST" else f"{TASKS}/{task['id']}"
    response = await user_a.request(method, url, content=body(), headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    # The server closes the connection rather than drain the rest (tests/test_slow_clients.py measures it).
    assert response.headers["connection"] == "close"
    # Reading stopped at the first chunk past the limit, not at the end of the body.
    assert sent == MAX_BODY // len(chunk) + 1
    assert (await user_a.get(f"{TASKS}/{task['id']}")).json() == task


async def test_a_body_at_the_limit_is_read(user_a: httpx.AsyncClient) -> None:
    body = b'{"title": "x"}'.ljust(MAX_BODY)
    response = await user_a.post(TASKS, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 201


# --- 5: headers -----------------------------------------------------------------------------------


async def test_an_oversized_authorization_header_is_a_401_before_the_token_is_parsed(
    user_a: httpx.AsyncClient,
) -> None:
    # A signed-looking token over 8 KiB: refused by its size, with the problem naming the limit.
    response = await user_a.get(TASKS, headers={"Authorization": "Bearer " + "a" * 9000})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["detail"] == "Invalid bearer token: longer than 8192 bytes."


async def test_an_oversized_header_block_is_a_431(user_a: httpx.AsyncClient) -> None:
    headers = {f"x-filler-{i}": "f" * 1000 for i in range(17)}
    response = await user_a.get(TASKS, headers=headers)
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The request headers exceed 16384 bytes."


# --- 13: security headers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", TASKS, 200),
        ("GET", "/healthz", 200),
        ("GET", "/no/such/path", 404),
        ("DELETE", "/healthz", 405),
        ("GET", f"{TASKS}/999999999", 404),
        ("POST", TASKS, 400),
    ],
)
async def test_every_response_carries_the_security_headers(
    user_a: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await user_a.request(method, path)
    assert response.status_code == status
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert response.headers["cache-control"] == "no-store"


async def test_refusals_of_unauthenticated_requests_carry_them_too(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get(TASKS)
    assert response.status_code == 401
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_public_contract_may_be_cached(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/openapi.json")
    assert "cache-control" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


# --- 12: /docs ------------------------------------------------------------------------------------


def _app(**overrides: object) -> FastAPI:
    return create_app(settings_for("sqlite+aiosqlite:///:memory:", **overrides))


async def test_docs_are_off_in_production_by_default(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/docs")).status_code == 404


@pytest.mark.parametrize("overrides", [{"app_env": "development"}, {"docs_enabled": True}])
async def test_docs_load_pinned_assets_with_integrity_under_a_matching_policy(
    overrides: dict[str, Any],
) -> None:
    async with _client(_app(**overrides)) as client:
        response = await client.get("/docs")
    assert response.status_code == 200
    html = response.text
    for url, integrity in INTEGRITY.items():
        assert re.search(r"@\d+\.\d+\.\d+/", url), url
        assert f'"{url}" integrity="{integrity}" crossorigin="anonymous"' in html
    policy = response.headers["content-security-policy"]
    (inline,) = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


# --- 16: cursors ----------------------------------------------------------------------------------

NEXT_LINK = re.compile(r"<(?P<url>[^>]+)>; rel=\"next\"")


async def _next_cursor(client: httpx.AsyncClient, **params: Any) -> str:
    response = await client.get(TASKS, params=params)
    match = NEXT_LINK.match(response.headers["link"])
    assert match is not None
    return httpx.URL(match["url"]).params["cursor"]


def _b64_variants(text: str) -> list[str]:
    # The title as it would show in a base64 cursor, at each of the three byte alignments.
    raw = text.encode()
    return [base64.urlsafe_b64encode(b"\0" * shift + raw).decode()[4:-4] for shift in range(3)]


async def test_a_next_link_does_not_reveal_the_last_title(user_a: httpx.AsyncClient) -> None:
    secret_title = "Surprise party for Bob at Alice's place"
    await create(user_a, title=secret_title)
    await create(user_a, title="Zzz")
    cursor = await _next_cursor(user_a, sort="title", limit=1)
    padded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert secret_title.encode() not in padded
    assert not any(variant in cursor for variant in _b64_variants(secret_title))


async def test_a_cursor_issued_to_another_user_is_a_404(
    user_a: httpx.AsyncClient, user_b: httpx.AsyncClient
) -> None:
    for _ in range(2):
        await create(user_a)
        await create(user_b)
    cursor = await _next_cursor(user_a, limit=1)
    assert (await user_a.get(TASKS, params={"limit": 1, "cursor": cursor})).status_code == 200
    stolen = await user_b.get(TASKS, params={"limit": 1, "cursor": cursor})
    assert stolen.status_code == 404
    assert stolen.json()["errors"] == [
        {"pointer": "query/cursor", "detail": "not a cursor issued for this sort and filter"}
    ]


async def test_a_tampered_cursor_is_a_404(user_a: httpx.AsyncClient) -> None:
    for _ in range(2):
        await create(user_a)
    cursor = await _next_cursor(user_a, limit=1)
    flipped = cursor[:20] + ("A" if cursor[20] != "A" else "B") + cursor[21:]
    assert (await user_a.get(TASKS, params={"limit": 1, "cursor": flipped})).status_code == 404


async def test_cursors_open_on_every_app_sharing_the_secret_and_only_there(
    database_url: str, user_id_factory: Callable[[], str]
) -> None:
    shared = {"cursor_secret": "c" * 40}
    user = auth(user_id_factory())
    first, second = (
        create_app(settings_for(database_url, **shared)),
        create_app(settings_for(database_url, **shared)),
    )
    other = create_app(settings_for(database_url, cursor_secret="d" * 40))
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
        other.router.lifespan_context(other),
        _client(first, user) as one,
        _client(second, user) as two,
        _client(other, user) as three,
    ):
        for _ in range(2):
            await create(one)
        cursor = await _next_cursor(one, limit=1)
        assert (await two.get(TASKS, params={"limit": 1, "cursor": cursor})).status_code == 200
        assert (await three.get(TASKS, params={"limit": 1, "cursor": cursor})).status_code == 404


def test_production_without_a_shared_cursor_key_refuses_to_start() -> None:
    jwks_only = {
        "better_auth_secret": None,
        "better_auth_url": "https://auth.example.com",
        "cursor_secret": None,
    }
    with pytest.raises(ValidationError, match="CURSOR_SECRET must be set"):
        settings_for("sqlite+aiosqlite:///:memory:", **jwks_only)
    with pytest.raises(ValidationError, match="CURSOR_SECRET must have at least 32"):
        settings_for("sqlite+aiosqlite:///:memory:", cursor_secret="short")
    assert settings_for(
        "sqlite+aiosqlite:///:memory:", **(jwks_only | {"cursor_secret": "k" * 32})
    ).cursor_key


# --- 16: invisible format characters in titles and tags ---------------------------------------------

JOINERS = {"\u200c", "\u200d"}
FORMAT_CHARACTERS = [chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf"]


@pytest.mark.parametrize(
    ("body", "pointer", "message"),
    [
        ({"title": "\u200b"}, "/title", "invisible format characters"),
        ({"title": "\u200d\u200c"}, "/title", "invisible format characters"),
        ({"title": "invoice\u202efdp.exe"}, "/title", "invisible format characters"),
        ({"title": "x", "tags": ["\u2066home"]}, "/tags/0", "invisible format characters"),
        ({"title": "x", "tags": ["\u200dhome"]}, "/tags/0", "joiner"),
    ],
)
async def test_titles_and_tags_with_format_characters_are_refused(
    user_a: httpx.AsyncClient, body: dict[str, Any], pointer: str, message: str
) -> None:
    response = await user_a.post(TASKS, json=body)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["pointer"] == pointer
    assert message in error["detail"]


async def test_emoji_sequences_with_joiners_are_kept(user_a: httpx.AsyncClient) -> None:
    title = "\U0001f469\u200d\U0001f4bb fix the build"
    task = await create(user_a, title=title, tags=["\U0001f469\u200d\U0001f4bb"])
    assert (task["title"], task["tags"]) == (title, ["\U0001f469\u200d\U0001f4bb"])


@pytest.mark.parametrize("schema", ["Title", "Tag"])
def test_the_patterns_refuse_every_format_character_of_the_bmp_but_the_joiners(schema: str) -> None:
    matcher = linear_pattern(CONTRACT.schema(schema)["pattern"])
    admitted = [c for c in FORMAT_CHARACTERS if matcher.isinstance_python(f"a{c}b")]
    assert admitted == sorted(JOINERS)
    assert len(FORMAT_CHARACTERS) == 43  # Unicode 14: a new version with new ones needs the contract updated
