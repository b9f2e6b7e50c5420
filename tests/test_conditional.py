"""Conditional requests (RFC 9110 section 13): versions, ETags, If-None-Match (304), If-Match (412/428)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from impl.app import create_app
from tests.support import TASKS, auth, create, settings_for

# Every conditional write, as (method, path suffix, body): each must honour If-Match the same way.
WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("PUT", "", {"title": "Replaced"}),
    ("PATCH", "", {"title": "Patched"}),
    ("PATCH", "/complete", None),
    ("DELETE", "", None),
]
WRITE_IDS = ["replace", "patch", "complete", "delete"]


def etag(task: dict[str, Any]) -> str:
    return f'"{task["id"]}-{task["version"]}"'


async def write(
    client: httpx.AsyncClient, task_id: int, method: str, suffix: str, body: Any, **headers: str
) -> httpx.Response:
    url = f"{TASKS}/{task_id}{suffix}"
    return await client.request(method, url, json=body, headers=headers)


async def test_a_task_starts_at_version_1_and_every_response_carries_its_etag(
    user_a: httpx.AsyncClient,
) -> None:
    created = await user_a.post(TASKS, json={"title": "Versioned"})
    task = created.json()

    assert task["version"] == 1
    assert created.headers["etag"] == etag(task) == f'"{task["id"]}-1"'
    fetched = await user_a.get(f"{TASKS}/{task['id']}")
    assert fetched.headers["etag"] == etag(task)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("PUT", "", {"title": "Replaced"}), ("PATCH", "", {"title": "Patched"}), ("PATCH", "/complete", None)],
    ids=["replace", "patch", "complete"],
)
async def test_every_modifying_write_bumps_the_version_once(
    user_a: httpx.AsyncClient, method: str, suffix: str, body: Any
) -> None:
    task = await create(user_a)

    first = await write(user_a, task["id"], method, suffix, body)
    second = await write(user_a, task["id"], method, suffix, body)

    assert [first.json()["version"], second.json()["version"]] == [2, 3]
    assert second.headers["etag"] == f'"{task["id"]}-3"'


async def test_an_empty_merge_patch_changes_neither_version_nor_updated_at(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)

    patched = await user_a.patch(f"{TASKS}/{task['id']}", json={}, headers={"If-Match": etag(task)})

    assert patched.status_code == 200
    assert patched.json() == task
    assert patched.headers["etag"] == etag(task)


async def test_an_empty_merge_patch_still_checks_if_match(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)

    stale = await user_a.patch(f"{TASKS}/{task['id']}", json={}, headers={"If-Match": f'"{task["id"]}-9"'})

    assert stale.status_code == 412
    assert stale.headers["etag"] == etag(task)


@pytest.mark.parametrize(
    "if_none_match",
    ["{current}", "W/{current}", '"0-1", {current}', "*"],
    ids=["strong", "weak", "in-a-list", "star"],
)
async def test_get_with_a_matching_if_none_match_is_304_without_a_body(
    user_a: httpx.AsyncClient, if_none_match: str
) -> None:
    task = await create(user_a)

    response = await user_a.get(
        f"{TASKS}/{task['id']}", headers={"If-None-Match": if_none_match.format(current=etag(task))}
    )

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag(task)
    assert "content-type" not in response.headers


async def test_get_with_a_stale_if_none_match_is_the_task(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)
    changed = (await user_a.patch(f"{TASKS}/{task['id']}", json={"title": "Changed"})).json()

    response = await user_a.get(f"{TASKS}/{task['id']}", headers={"If-None-Match": etag(task)})

    assert response.status_code == 200
    assert response.json() == changed
    assert response.headers["etag"] == etag(changed)


async def test_if_none_match_never_answers_for_another_users_task(
    user_a: httpx.AsyncClient, user_b: httpx.AsyncClient
) -> None:
    task = await create(user_a)

    response = await user_b.get(f"{TASKS}/{task['id']}", headers={"If-None-Match": "*"})

    assert response.status_code == 404


async def test_a_list_page_has_an_etag_and_answers_304_until_it_changes(user_a: httpx.AsyncClient) -> None:
    first = await create(user_a, title="one")
    await create(user_a, title="two")
    page = await user_a.get(TASKS, params={"limit": 1})
    page_etag = page.headers["etag"]

    assert (await user_a.get(TASKS, params={"limit": 1})).headers["etag"] == page_etag
    unchanged = await user_a.get(TASKS, params={"limit": 1}, headers={"If-None-Match": page_etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == page_etag
    # A different page of the same tasks (another Link) is a different representation.
    assert (await user_a.get(TASKS, params={"limit": 2})).headers["etag"] != page_etag

    # A change to a task on a different page leaves this page (and its tag) as it was.
    await user_a.patch(f"{TASKS}/{first['id']}", json={"title": "one, changed"})
    assert (await user_a.get(TASKS, params={"limit": 1})).headers["etag"] == page_etag
    newest = (await user_a.get(TASKS, params={"limit": 1})).json()[0]
    await user_a.patch(f"{TASKS}/{newest['id']}", json={"title": "two, changed"})
    changed = await user_a.get(TASKS, params={"limit": 1}, headers={"If-None-Match": page_etag})
    assert changed.status_code == 200
    assert changed.json()[0]["title"] == "two, changed"
    assert changed.headers["etag"] != page_etag


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES, ids=WRITE_IDS)
async def test_a_stale_if_match_is_412_with_the_current_etag_and_changes_nothing(
    user_a: httpx.AsyncClient, method: str, suffix: str, body: Any
) -> None:
    task = await create(user_a)
    current = (await user_a.patch(f"{TASKS}/{task['id']}", json={"priority": "high"})).json()

    response = await write(user_a, task["id"], method, suffix, body, **{"If-Match": etag(task)})

    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["etag"] == etag(current)
    problem = response.json()
    assert problem["status"] == 412
    assert problem["errors"] == [{"pointer": "header/if-match", "detail": "does not match the current ETag"}]
    assert (await user_a.get(f"{TASKS}/{task['id']}")).json() == current


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES, ids=WRITE_IDS)
@pytest.mark.parametrize(
    "if_match", ["{current}", '"1-1", {current}', "*"], ids=["current", "in-a-list", "star"]
)
async def test_a_matching_if_match_lets_the_write_through(
    user_a: httpx.AsyncClient, method: str, suffix: str, body: Any, if_match: str
) -> None:
    task = await create(user_a)

    response = await write(
        user_a, task["id"], method, suffix, body, **{"If-Match": if_match.format(current=etag(task))}
    )

    assert response.status_code == (204 if method == "DELETE" else 200)
    if method != "DELETE":
        assert response.json()["version"] == 2


@pytest.mark.parametrize(
    "if_match",
    ["W/{current}", '"{id}-01"', '"{other}-1"', '"{id}-99999999999"'],
    ids=["weak", "same-number-other-spelling", "other-task", "huge-version"],
)
async def test_if_match_compares_strongly_and_exactly(user_a: httpx.AsyncClient, if_match: str) -> None:
    task = await create(user_a)
    header = if_match.format(current=etag(task), id=task["id"], other=task["id"] + 1)

    response = await user_a.patch(f"{TASKS}/{task['id']}", json={"title": "x"}, headers={"If-Match": header})

    assert response.status_code == 412
    assert (await user_a.get(f"{TASKS}/{task['id']}")).json()["version"] == 1


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES, ids=WRITE_IDS)
@pytest.mark.parametrize("if_match", ["*", '"1-1"'], ids=["star", "tag"])
async def test_if_match_on_a_missing_or_foreign_task_is_a_404_never_a_412(
    user_a: httpx.AsyncClient,
    user_b: httpx.AsyncClient,
    method: str,
    suffix: str,
    body: Any,
    if_match: str,
) -> None:
    theirs = await create(user_b)

    foreign = await write(user_a, theirs["id"], method, suffix, body, **{"If-Match": if_match})
    missing = await write(user_a, 9_000_000_000, method, suffix, body, **{"If-Match": if_match})

    assert (foreign.status_code, missing.status_code) == (404, 404)
    assert "etag" not in foreign.headers
    assert (await user_b.get(f"{TASKS}/{theirs['id']}")).json() == theirs


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("If-Match", "42-1"),
        ("If-Match", '"42-1", *'),
        ("If-Match", 'W/"a" "b"'),
        ("If-Match", '"a\\"b"'),
        ("If-Match", '"' + "x" * 1100 + '"'),
        ("If-None-Match", "no-quotes"),
        ("Idempotency-Key", "has space"),
        ("Idempotency-Key", "k" * 256),
    ],
    ids=[
        "unquoted",
        "star-in-list",
        "no-comma",
        "quote-inside",
        "too-long",
        "inm-unquoted",
        "key-space",
        "key-long",
    ],
)
async def test_a_malformed_conditional_header_is_a_400_that_names_it(
    user_a: httpx.AsyncClient, header: str, value: str
) -> None:
    task = await create(user_a)
    method = "GET" if header == "If-None-Match" else "PATCH"

    response = await user_a.request(
        method, f"{TASKS}/{task['id']}", json={"title": "x"}, headers={header: value}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == [f"header/{header.lower()}"]
    assert (await user_a.get(f"{TASKS}/{task['id']}")).json() == task


async def test_100_concurrent_writers_holding_one_etag_one_wins_99_get_412(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)
    url = f"{TASKS}/{task['id']}"

    responses = await asyncio.gather(
        *(
            user_a.patch(url, json={"title": f"writer {i}"}, headers={"If-Match": etag(task)})
            for i in range(100)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 99
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert winner["version"] == 2
    assert {r.headers["etag"] for r in responses} == {etag(winner)}
    assert (await user_a.get(url)).json() == winner


@pytest.fixture(scope="module")
async def strict_app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(settings_for(database_url, require_if_match=True))
    async with application.router.lifespan_context(application):
        yield application


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES, ids=WRITE_IDS)
async def test_require_if_match_refuses_a_write_without_it_with_428(
    strict_app: FastAPI, user_id_factory: Callable[[], str], method: str, suffix: str, body: Any
) -> None:
    transport = httpx.ASGITransport(app=strict_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers=auth(user_id_factory())
    ) as c:
        task = await create(c)

        refused = await write(c, task["id"], method, suffix, body)
        allowed = await write(c, task["id"], method, suffix, body, **{"If-Match": etag(task)})

    assert refused.status_code == 428
    assert refused.json()["errors"] == [{"pointer": "header/if-match", "detail": "is required"}]
    assert allowed.status_code in (200, 204)


@pytest.fixture(scope="module")
async def cors_app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(settings_for(database_url, cors_origins=["https://app.example.com"]))
    async with application.router.lifespan_context(application):
        yield application


async def test_cors_lets_a_browser_send_the_conditional_headers_and_read_the_etag(
    cors_app: FastAPI, user_id_factory: Callable[[], str]
) -> None:
    origin = {"Origin": "https://app.example.com"}
    transport = httpx.ASGITransport(app=cors_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        preflight = await client.options(
            f"{TASKS}/1",
            headers={
                **origin,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "if-match, idempotency-key, if-none-match",
            },
        )
        created = await client.post(TASKS, json={"title": "x"}, headers={**origin, **auth(user_id_factory())})

    assert preflight.status_code == 200
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"if-match", "if-none-match", "idempotency-key"} <= {h.strip() for h in allowed.split(",")}
    exposed = {h.strip().lower() for h in created.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "idempotent-replayed", "location"} <= exposed
