"""User B can neither see nor change user A's tasks: every attempt is a 404 like a missing task."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import TASKS, create

OPERATIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "", None),
    ("PUT", "", {"title": "hijacked", "completed": True}),
    ("PATCH", "", {"title": "hijacked"}),
    ("PATCH", "/complete", None),
    ("PATCH", "/complete", {"completed": True}),
    ("DELETE", "", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), OPERATIONS)
async def test_another_users_task_is_indistinguishable_from_a_missing_one(
    user_a: httpx.AsyncClient,
    user_b: httpx.AsyncClient,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    task = await create(user_a, description="private", tags=["mine"])

    # The same request id for both, so the problems' `instance` cannot tell them apart either.
    same_id = {"X-Request-ID": "probe"}
    foreign = await user_b.request(method, f"{TASKS}/{task['id']}{suffix}", json=body, headers=same_id)
    missing = await user_b.request(
        method, f"{TASKS}/{task['id'] + 10_000_000}{suffix}", json=body, headers=same_id
    )

    assert foreign.status_code == 404
    assert foreign.json() == missing.json()
    assert foreign.headers["content-type"] == missing.headers["content-type"]
    assert (await user_a.get(f"{TASKS}/{task['id']}")).json() == task


async def test_lists_show_only_the_callers_tasks(
    user_a: httpx.AsyncClient, user_b: httpx.AsyncClient
) -> None:
    mine = await create(user_a, title="shared word", tags=["t"])
    theirs = await create(user_b, title="shared word", tags=["t"])

    for params in ({}, {"q": "shared"}, {"tag": "t"}, {"status": "pending"}, {"sort": "title"}):
        assert [t["id"] for t in (await user_a.get(TASKS, params=params)).json()] == [mine["id"]]
        assert [t["id"] for t in (await user_b.get(TASKS, params=params)).json()] == [theirs["id"]]
    assert mine["user_id"] != theirs["user_id"]
