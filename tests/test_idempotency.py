"""Idempotency-Key: a keyed unsafe request runs at most once per user and key; retries replay it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from impl.idempotency import KEYS, purge_expired_keys
from tests.support import TASKS, create


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def count_tasks(client: httpx.AsyncClient) -> int:
    return len((await client.get(TASKS, params={"limit": 100})).json())


async def test_a_retried_create_replays_the_first_response_byte_for_byte(user_a: httpx.AsyncClient) -> None:
    headers = key()

    first = await user_a.post(TASKS, json={"title": "Once"}, headers=headers)
    retry = await user_a.post(TASKS, json={"title": "Once"}, headers=headers)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.content == first.content
    for name in ("location", "etag", "content-type"):
        assert retry.headers[name] == first.headers[name]
    assert "idempotent-replayed" not in first.headers
    assert retry.headers["idempotent-replayed"] == "true"
    assert await count_tasks(user_a) == 1


async def test_a_replay_is_the_stored_response_even_after_the_task_changed(user_a: httpx.AsyncClient) -> None:
    headers = key()
    task = await create(user_a)
    url = f"{TASKS}/{task['id']}"
    first = await user_a.patch(url, json={"title": "Keyed"}, headers=headers)
    await user_a.patch(url, json={"title": "Later"})

    retry = await user_a.patch(url, json={"title": "Keyed"}, headers=headers)

    assert retry.content == first.content
    assert retry.headers["etag"] == first.headers["etag"] == f'"{task["id"]}-2"'
    assert (await user_a.get(url)).json()["title"] == "Later"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", TASKS, {"title": "Other body"}),
        ("POST", TASKS, {"title": "Same", "priority": "medium"}),
        ("PATCH", "{task}", {"title": "Same"}),
        ("PATCH", "{task}/complete", None),
    ],
    ids=["other-body", "same-meaning-other-fields", "other-method-and-path", "other-operation"],
)
async def test_the_same_key_for_a_different_request_is_a_422_and_changes_nothing(
    user_a: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    headers = key()
    first = await user_a.post(TASKS, json={"title": "Same"}, headers=headers)
    task_url = f"{TASKS}/{first.json()['id']}"

    response = await user_a.request(method, path.format(task=task_url), json=body, headers=headers)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"pointer": "header/idempotency-key", "detail": "was used for a different request"}
    ]
    assert (await user_a.get(task_url)).json() == first.json()
    assert await count_tasks(user_a) == 1


async def test_keys_are_per_user(user_a: httpx.AsyncClient, user_b: httpx.AsyncClient) -> None:
    headers = key()

    mine = await user_a.post(TASKS, json={"title": "Same"}, headers=headers)
    theirs = await user_b.post(TASKS, json={"title": "Same"}, headers=headers)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["user_id"] != mine.json()["user_id"]


async def test_an_error_is_not_stored_so_the_request_can_be_retried(user_a: httpx.AsyncClient) -> None:
    headers = key()
    task = await create(user_a)
    url = f"{TASKS}/{task['id']}"
    await user_a.patch(url, json={"priority": "low"})  # version 2: the client's tag is stale

    stale = await user_a.patch(
        url, json={"title": "Mine"}, headers={**headers, "If-Match": f'"{task["id"]}-1"'}
    )
    retried = await user_a.patch(
        url, json={"title": "Mine"}, headers={**headers, "If-Match": f'"{task["id"]}-2"'}
    )

    assert stale.status_code == 412
    assert retried.status_code == 200
    assert "idempotent-replayed" not in retried.headers
    assert retried.json()["title"] == "Mine"


async def test_a_retried_delete_replays_its_204(user_a: httpx.AsyncClient) -> None:
    headers = key()
    task = await create(user_a)
    url = f"{TASKS}/{task['id']}"

    first = await user_a.delete(url, headers=headers)
    retry = await user_a.delete(url, headers=headers)
    unkeyed = await user_a.delete(url)

    assert (first.status_code, retry.status_code, unkeyed.status_code) == (204, 204, 404)
    assert retry.content == b""
    assert retry.headers["idempotent-replayed"] == "true"


async def test_50_concurrent_retries_of_one_keyed_create_make_exactly_one_task(
    user_a: httpx.AsyncClient,
) -> None:
    headers = key()

    responses = await asyncio.gather(
        *(user_a.post(TASKS, json={"title": "Flaky network"}, headers=headers) for _ in range(50))
    )

    assert [r.status_code for r in responses] == [201] * 50
    assert len({r.content for r in responses}) == 1
    assert sum("idempotent-replayed" in r.headers for r in responses) == 49
    assert await count_tasks(user_a) == 1


@pytest.mark.parametrize("concurrently", [False, True], ids=["in-turn", "at-once"])
async def test_a_toggle_retried_10_times_flips_once(user_a: httpx.AsyncClient, concurrently: bool) -> None:
    task = await create(user_a)
    url = f"{TASKS}/{task['id']}/complete"
    headers = key()

    if concurrently:
        responses = list(await asyncio.gather(*(user_a.patch(url, headers=headers) for _ in range(10))))
    else:
        responses = [await user_a.patch(url, headers=headers) for _ in range(10)]

    assert [r.status_code for r in responses] == [200] * 10
    assert {r.content for r in responses} == {responses[0].content}
    final = (await user_a.get(f"{TASKS}/{task['id']}")).json()
    assert (final["completed"], final["version"]) == (True, 2)


async def _expire_keys_of(app: FastAPI, user_id: str, at: datetime) -> None:
    connection = await app.state.gate.connect()
    try:
        await connection.execute(update(KEYS).where(KEYS.c.user_id == user_id).values(expires_at=at))
        await connection.commit()
    finally:
        await app.state.gate.release(connection)


async def _keys_of(app: FastAPI, user_id: str) -> int:
    connection = await app.state.gate.connect()
    try:
        statement = select(func.count()).select_from(KEYS).where(KEYS.c.user_id == user_id)
        return int((await connection.execute(statement)).scalar_one())
    finally:
        await app.state.gate.release(connection)


async def test_an_expired_key_is_a_new_request(app: FastAPI, user_a: httpx.AsyncClient) -> None:
    headers = key()
    first = await user_a.post(TASKS, json={"title": "Again"}, headers=headers)
    owner = first.json()["user_id"]
    await _expire_keys_of(app, owner, datetime.now(UTC) - timedelta(seconds=1))

    again = await user_a.post(TASKS, json={"title": "Again"}, headers=headers)
    replay = await user_a.post(TASKS, json={"title": "Again"}, headers=headers)

    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert replay.content == again.content
    assert replay.headers["idempotent-replayed"] == "true"


async def test_the_purge_deletes_expired_keys_only(app: FastAPI, user_a: httpx.AsyncClient) -> None:
    for _ in range(3):
        await user_a.post(TASKS, json={"title": "Kept a day"}, headers=key())
    owner = (await user_a.get(TASKS)).json()[0]["user_id"]
    expiry = datetime.now(UTC) + timedelta(hours=24)

    await purge_expired_keys(app.state.gate, at=expiry - timedelta(hours=1))
    kept = await _keys_of(app, owner)
    await purge_expired_keys(app.state.gate, at=expiry + timedelta(hours=1))
    left = await _keys_of(app, owner)

    assert (kept, left) == (3, 0)


async def test_a_retried_bulk_delete_replays_its_outcomes_instead_of_not_found(
    user_a: httpx.AsyncClient,
) -> None:
    ids = [(await create(user_a))["id"] for _ in range(2)]
    headers = key()
    body = {"action": "delete", "ids": ids}

    first = await user_a.post(f"{TASKS}/bulk", json=body, headers=headers)
    retry = await user_a.post(f"{TASKS}/bulk", json=body, headers=headers)

    assert first.status_code == retry.status_code == 200
    assert [r["status"] for r in first.json()["results"]] == ["deleted", "deleted"]
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"


async def test_a_retried_clear_reports_what_the_first_one_deleted(user_a: httpx.AsyncClient) -> None:
    for _ in range(3):
        task = await create(user_a)
        await user_a.patch(f"{TASKS}/{task['id']}/complete", json={"completed": True})
    headers = key()

    first = await user_a.delete(f"{TASKS}/completed", headers=headers)
    await create(user_a)  # a change in between does not alter the replayed answer
    retry = await user_a.delete(f"{TASKS}/completed", headers=headers)

    assert first.json() == {"deleted": 3}
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert await count_tasks(user_a) == 1
