"""Concurrent requests on one task: atomic updates lose no field and no toggle."""

from __future__ import annotations

import asyncio

import httpx

from tests.support import TASKS, create


async def test_concurrent_patches_of_different_fields_are_all_kept(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a, title="original")
    url = f"{TASKS}/{task['id']}"
    patches = [
        {"title": "new title"},
        {"description": "new description"},
        {"priority": "high"},
        {"tags": ["concurrent"]},
        {"due_at": "2030-01-01T00:00:00Z"},
        {"completed": True},
    ]

    responses = await asyncio.gather(*(user_a.patch(url, json=patch) for patch in patches))

    assert [r.status_code for r in responses] == [200] * len(patches)
    final = (await user_a.get(url)).json()
    assert final["title"] == "new title"
    assert final["description"] == "new description"
    assert final["priority"] == "high"
    assert final["tags"] == ["concurrent"]
    assert final["due_at"] == "2030-01-01T00:00:00Z"
    assert final["completed"] is True


async def test_concurrent_toggles_are_each_applied_once(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)
    url = f"{TASKS}/{task['id']}/complete"

    responses = await asyncio.gather(*(user_a.patch(url) for _ in range(7)))

    assert all(r.status_code == 200 for r in responses)
    states = sorted(r.json()["completed"] for r in responses)
    assert states == [False] * 3 + [True] * 4
    assert (await user_a.get(f"{TASKS}/{task['id']}")).json()["completed"] is True


async def test_concurrent_creates_all_persist_with_distinct_ids(user_a: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(*(user_a.post(TASKS, json={"title": f"t{i}"}) for i in range(20)))

    ids = {r.json()["id"] for r in responses}
    assert [r.status_code for r in responses] == [201] * 20
    assert len(ids) == 20
    listed = {t["id"] for t in (await user_a.get(TASKS, params={"limit": 100})).json()}
    assert listed == ids
