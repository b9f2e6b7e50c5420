"""Bulk operations: one atomic change of a set of tasks, per-id outcomes, every change in the feed."""

from __future__ import annotations

import httpx
import pytest

from tests.sync_support import Replica, all_tasks

BULK = "/api/tasks/bulk"


async def _ids(client: httpx.AsyncClient, *titles: str) -> list[int]:
    ids = []
    for title in titles:
        response = await client.post("/api/tasks", json={"title": title})
        assert response.status_code == 201
        ids.append(response.json()["id"])
    return ids


async def test_completing_and_reopening_a_set_reports_each_id_and_treats_foreign_ids_as_missing(
    user_a: httpx.AsyncClient, user_b: httpx.AsyncClient
) -> None:
    mine = await _ids(user_a, "one", "two")
    (theirs,) = await _ids(user_b, "not yours")
    missing = max(*mine, theirs) + 1000
    requested = [mine[1], theirs, missing, mine[0]]

    completed = await user_a.post(BULK, json={"action": "complete", "ids": requested})
    assert completed.status_code == 200
    results = completed.json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        (mine[1], "updated"),
        (theirs, "not_found"),
        (missing, "not_found"),
        (mine[0], "updated"),
    ]
    assert results[1] == {"id": theirs, "status": "not_found", "task": None}
    assert results[1] == {**results[2], "id": theirs}
    assert all(r["task"]["completed"] for r in results if r["status"] == "updated")
    assert (await user_b.get(f"/api/tasks/{theirs}")).json()["completed"] is False

    reopened = (await user_a.post(BULK, json={"action": "reopen", "ids": mine})).json()["results"]
    assert [(r["status"], r["task"]["completed"], r["task"]["completed_at"]) for r in reopened] == [
        ("updated", False, None)
    ] * 2


async def test_deleting_a_set_leaves_a_tombstone_for_each(user_a: httpx.AsyncClient) -> None:
    ids = await _ids(user_a, "a", "b", "c")
    replica = Replica()
    await replica.pull(user_a)
    response = await user_a.post(BULK, json={"action": "delete", "ids": [ids[0], ids[2], ids[2] + 999]})
    assert [r["status"] for r in response.json()["results"]] == ["deleted", "deleted", "not_found"]
    page = (await user_a.get("/api/tasks/changes", params={"since": replica.token})).json()
    assert sorted((c["kind"], c["id"]) for c in page["changes"]) == [
        ("tombstone", ids[0]),
        ("tombstone", ids[2]),
    ]
    replica.apply(page)
    assert replica.tasks == await all_tasks(user_a)


async def test_a_bulk_change_split_across_pages_is_delivered_once(user_a: httpx.AsyncClient) -> None:
    ids = await _ids(user_a, *(f"t{n}" for n in range(5)))
    replica = Replica()
    await replica.pull(user_a)
    await user_a.post(BULK, json={"action": "complete", "ids": ids})
    # One statement, one sequence number for all five: pages split it by (number, id).
    assert await replica.pull(user_a, limit=2) == 3
    assert sorted(replica.applied[-5:]) == sorted(set(replica.applied[-5:]))
    assert replica.tasks == await all_tasks(user_a)


async def test_clearing_completed_tasks_deletes_only_those(
    user_a: httpx.AsyncClient, user_b: httpx.AsyncClient
) -> None:
    done, pending = await _ids(user_a, "done", "pending")
    (others,) = await _ids(user_b, "other's done")
    await user_a.patch(f"/api/tasks/{done}/complete")
    await user_b.patch(f"/api/tasks/{others}/complete")
    replica = Replica()
    await replica.pull(user_a)

    response = await user_a.delete("/api/tasks/completed")
    assert response.status_code == 200
    assert response.json() == {"deleted": 1}
    assert set(await all_tasks(user_a)) == {pending}
    assert (await user_b.get(f"/api/tasks/{others}")).status_code == 200
    page = (await user_a.get("/api/tasks/changes", params={"since": replica.token})).json()
    assert [(c["kind"], c["id"]) for c in page["changes"]] == [("tombstone", done)]
    assert (await user_a.delete("/api/tasks/completed")).json() == {"deleted": 0}


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"action": "complete", "ids": []}, "/ids"),
        ({"action": "complete", "ids": list(range(1, 102))}, "/ids"),
        ({"action": "complete", "ids": [1, 1]}, "/ids"),
        ({"action": "archive", "ids": [1]}, "/action"),
        ({"action": "delete", "ids": [0]}, "/ids/0"),
    ],
    ids=["empty", "over-100", "duplicates", "unknown-action", "bad-id"],
)
async def test_a_bulk_request_outside_the_contract_changes_nothing(
    user_a: httpx.AsyncClient, body: dict[str, object], pointer: str
) -> None:
    (task_id,) = await _ids(user_a, "untouched")
    before = await all_tasks(user_a)
    response = await user_a.post(BULK, json=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.json()["errors"]]
    assert await all_tasks(user_a) == before
    assert task_id in before


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/api/tasks/completed", "DELETE"),
        ("PUT", "/api/tasks/completed", "DELETE"),
        ("PUT", "/api/tasks/bulk", "POST"),
        ("DELETE", "/api/tasks/changes", "GET"),
    ],
)
async def test_an_undocumented_method_on_a_literal_path_is_a_405_not_a_bad_task_id(
    user_a: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await user_a.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_literal_paths_are_not_read_as_task_ids(user_a: httpx.AsyncClient) -> None:
    # Routed before /api/tasks/{task_id}: otherwise these would be 400s for a non-integer task_id.
    assert (await user_a.get("/api/tasks/changes")).status_code == 200
    assert (await user_a.delete("/api/tasks/completed")).status_code == 200
    assert (await user_a.post(BULK, json={"action": "delete", "ids": [1]})).status_code == 200
