"""Bad input gets a 4xx problem+json naming the field, and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import TASKS, create

BLANKS = ["", " ", "\t\n", "\u00a0\u3000", "\ufeff"]


async def assert_rejected(response: httpx.Response, pointer: str | None = None, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] == "about:blank"
    if pointer is not None:
        assert pointer in [error["pointer"] for error in problem["errors"]]


async def task_count(client: httpx.AsyncClient) -> int:
    return len((await client.get(TASKS, params={"limit": 100})).json())


@pytest.mark.parametrize("length", [1, 200])
async def test_title_at_the_length_limits_is_accepted(user_a: httpx.AsyncClient, length: int) -> None:
    task = await create(user_a, title="x" * length)
    assert task["title"] == "x" * length


@pytest.mark.parametrize("title", ["", "x" * 201, *BLANKS])
async def test_bad_titles_are_rejected_without_creating_anything(
    user_a: httpx.AsyncClient, title: str
) -> None:
    await assert_rejected(await user_a.post(TASKS, json={"title": title}), "/title")
    assert await task_count(user_a) == 0


async def test_title_of_200_characters_plus_surrounding_space_is_rejected(user_a: httpx.AsyncClient) -> None:
    # The contract bounds the title as sent; trimming happens only after that check.
    await assert_rejected(await user_a.post(TASKS, json={"title": " " + "x" * 200}), "/title")


async def test_title_counts_characters_not_bytes(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a, title="é" * 200)
    assert len(task["title"]) == 200


BAD_BODIES: list[tuple[dict[str, Any], str]] = [
    ({}, "/title"),
    ({"title": None}, "/title"),
    ({"title": 5}, "/title"),
    ({"title": "nul \x00 byte"}, "/title"),
    ({"title": "ok", "description": "x" * 2001}, "/description"),
    ({"title": "ok", "description": "nul \x00"}, "/description"),
    ({"title": "ok", "description": 1}, "/description"),
    ({"title": "ok", "due_at": "2026-12-01T17:00:00"}, "/due_at"),
    ({"title": "ok", "due_at": "2026-12-01"}, "/due_at"),
    ({"title": "ok", "due_at": 1700000000}, "/due_at"),
    ({"title": "ok", "due_at": "1700000000"}, "/due_at"),
    ({"title": "ok", "due_at": "not a date"}, "/due_at"),
    ({"title": "ok", "due_at": "0001-01-01T00:00:00+01:00"}, "/due_at"),
    ({"title": "ok", "priority": "urgent"}, "/priority"),
    ({"title": "ok", "priority": None}, "/priority"),
    ({"title": "ok", "tags": ["a"] * 2}, "/tags"),
    ({"title": "ok", "tags": [str(i) for i in range(21)]}, "/tags"),
    ({"title": "ok", "tags": ["x" * 51]}, "/tags/0"),
    ({"title": "ok", "tags": [""]}, "/tags/0"),
    ({"title": "ok", "tags": [" padded "]}, "/tags/0"),
    ({"title": "ok", "tags": "a,b"}, "/tags"),
    ({"title": "ok", "tags": None}, "/tags"),
    ({"title": "ok", "completed": True}, "/completed"),
    ({"title": "ok", "id": 5}, "/id"),
]


@pytest.mark.parametrize(("body", "pointer"), BAD_BODIES)
async def test_invalid_create_bodies_are_rejected(
    user_a: httpx.AsyncClient, body: dict[str, Any], pointer: str
) -> None:
    await assert_rejected(await user_a.post(TASKS, json=body), pointer)
    assert await task_count(user_a) == 0


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"title": "ok", "completed": 1}, "/completed"),
        ({"title": "ok", "completed": "true"}, "/completed"),
        ({"completed": True}, "/title"),
    ],
)
async def test_invalid_replace_bodies_change_nothing(
    user_a: httpx.AsyncClient, body: dict[str, Any], pointer: str
) -> None:
    task = await create(user_a)
    await assert_rejected(await user_a.put(f"{TASKS}/{task['id']}", json=body), pointer)
    assert (await user_a.get(f"{TASKS}/{task['id']}")).json() == task


@pytest.mark.parametrize(
    "body", [{"completed": 1}, {"completed": None}, {"completed": "yes"}, {}, {"done": True}]
)
async def test_invalid_completion_bodies_change_nothing(
    user_a: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    task = await create(user_a)
    await assert_rejected(await user_a.patch(f"{TASKS}/{task['id']}/complete", json=body))
    assert (await user_a.get(f"{TASKS}/{task['id']}")).json() == task


@pytest.mark.parametrize(
    "raw", [b"{", b"[]", b'"title"', b"null", b'{"title": NaN}', b'{"title": "\\ud800"}', b"\xff\xfe"]
)
async def test_malformed_json_is_a_400(user_a: httpx.AsyncClient, raw: bytes) -> None:
    response = await user_a.post(TASKS, content=raw, headers={"Content-Type": "application/json"})
    await assert_rejected(response)
    assert await task_count(user_a) == 0


async def test_a_body_that_is_not_json_is_a_415(user_a: httpx.AsyncClient) -> None:
    response = await user_a.post(
        TASKS, content=b"title=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    await assert_rejected(response, status=415)


async def test_a_missing_body_is_a_400(user_a: httpx.AsyncClient) -> None:
    await assert_rejected(await user_a.post(TASKS), "/")


@pytest.mark.parametrize("task_id", ["0", "-1", "9223372036854775808", "abc", "1.5"])
async def test_task_ids_outside_the_contract_are_400(user_a: httpx.AsyncClient, task_id: str) -> None:
    await assert_rejected(await user_a.get(f"{TASKS}/{task_id}"), "path/task_id")


async def test_the_largest_int64_id_is_simply_not_found(user_a: httpx.AsyncClient) -> None:
    response = await user_a.get(f"{TASKS}/9223372036854775807")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"limit": "0"}, "query/limit"),
        ({"limit": "101"}, "query/limit"),
        ({"limit": "ten"}, "query/limit"),
        ({"status": "done"}, "query/status"),
        ({"sort": "id"}, "query/sort"),
        ({"q": ""}, "query/q"),
        ({"q": "x" * 201}, "query/q"),
        ({"q": "nul\x00"}, "query/q"),
        ({"tag": ""}, "query/tag"),
        ({"cursor": ""}, "query/cursor"),
        ({"cursor": "not base64!"}, "query/cursor"),
    ],
)
async def test_invalid_list_parameters_are_400(
    user_a: httpx.AsyncClient, params: dict[str, str], pointer: str
) -> None:
    await assert_rejected(await user_a.get(TASKS, params=params), pointer)


async def test_every_bad_parameter_of_a_request_is_named_in_one_400(user_a: httpx.AsyncClient) -> None:
    response = await user_a.get(
        TASKS, params={"limit": "0", "status": "done"}, headers={"If-None-Match": "unquoted"}
    )

    assert response.status_code == 400
    pointers = {error["pointer"] for error in response.json()["errors"]}
    assert pointers == {"query/limit", "query/status", "header/if-none-match"}


async def test_a_repeated_query_parameter_counts_with_its_last_value(user_a: httpx.AsyncClient) -> None:
    for title in ("first", "second"):
        await create(user_a, title=title)

    response = await user_a.get(TASKS, params=[("limit", "100"), ("limit", "1")])

    assert response.status_code == 200
    assert len(response.json()) == 1
