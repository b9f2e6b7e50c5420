"""The change feed: initial and incremental sync, tombstones, tokens bound to their user, 410 resets."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from impl.sync.purge import purge_tombstones
from impl.sync.tokens import INITIAL, SyncTokens, token_key
from tests.sync_support import Replica, all_tasks

FEED = "/api/tasks/changes"


async def _create(client: httpx.AsyncClient, title: str, **fields: object) -> dict[str, object]:
    response = await client.post("/api/tasks", json={"title": title, **fields})
    assert response.status_code == 201
    task: dict[str, object] = response.json()
    return task


async def test_an_initial_sync_returns_every_task_in_pages_and_ends_with_a_token(
    user_a: httpx.AsyncClient,
) -> None:
    created = [await _create(user_a, f"task {n}") for n in range(7)]
    replica = Replica()
    assert await replica.pull(user_a, limit=3) == 3
    assert replica.tasks == {task["id"]: task for task in created}
    assert replica.token is not None

    caught_up = (await user_a.get(FEED, params={"since": replica.token})).json()
    assert caught_up["changes"] == []
    assert caught_up["more"] is False
    assert caught_up["position"] == max(seq for _, seq in replica.applied)


async def test_an_empty_account_syncs_to_position_zero(user_a: httpx.AsyncClient) -> None:
    page = (await user_a.get(FEED)).json()
    assert page["changes"] == []
    assert page["position"] == 0
    assert (await user_a.get(FEED, params={"since": page["next"]})).status_code == 200


async def test_an_incremental_sync_sees_changes_in_order_and_deletions_as_tombstones(
    user_a: httpx.AsyncClient,
) -> None:
    kept = await _create(user_a, "kept")
    doomed = await _create(user_a, "doomed")
    replica = Replica()
    await replica.pull(user_a)

    assert (await user_a.patch(f"/api/tasks/{kept['id']}", json={"title": "renamed"})).status_code == 200
    assert (await user_a.delete(f"/api/tasks/{doomed['id']}")).status_code == 204
    page = (await user_a.get(FEED, params={"since": replica.token})).json()

    assert [(c["kind"], c["id"]) for c in page["changes"]] == [
        ("task", kept["id"]),
        ("tombstone", doomed["id"]),
    ]
    assert page["changes"][0]["task"]["title"] == "renamed"
    tombstone = page["changes"][1]
    assert tombstone["task"] is None
    assert datetime.fromisoformat(tombstone["deleted_at"]) <= datetime.now(UTC)
    seqs = [c["seq"] for c in page["changes"]]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 2
    replica.apply(page)
    assert replica.tasks == await all_tasks(user_a)
    # A tombstone is only a feed entry: the task is gone everywhere else.
    assert (await user_a.get(f"/api/tasks/{doomed['id']}")).status_code == 404
    assert doomed["id"] not in await all_tasks(user_a)


async def test_a_write_that_changes_nothing_adds_nothing_to_the_feed(user_a: httpx.AsyncClient) -> None:
    task = await _create(user_a, "steady")
    replica = Replica()
    await replica.pull(user_a)
    assert (await user_a.patch(f"/api/tasks/{task['id']}", json={})).status_code == 200
    assert (await user_a.get("/api/tasks/999999999")).status_code == 404
    assert (await user_a.get(FEED, params={"since": replica.token})).json()["changes"] == []


async def test_another_users_changes_never_appear(
    user_a: httpx.AsyncClient, user_b: httpx.AsyncClient
) -> None:
    await _create(user_a, "mine")
    others = await _create(user_b, "theirs")
    await user_b.delete(f"/api/tasks/{others['id']}")
    page = (await user_a.get(FEED)).json()
    assert [c["task"]["title"] for c in page["changes"]] == ["mine"]


async def test_a_token_replayed_by_another_user_is_gone_and_reveals_nothing(
    user_a: httpx.AsyncClient, user_b: httpx.AsyncClient
) -> None:
    await _create(user_a, "private")
    token = (await user_a.get(FEED)).json()["next"]
    replayed = await user_b.get(FEED, params={"since": token})
    assert replayed.status_code == 410
    assert replayed.headers["content-type"] == "application/problem+json"
    assert replayed.json()["errors"] == [{"pointer": "query/since", "detail": "resync without since"}]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token[:5] + token[6:],
        lambda token: "A" * 48,
        lambda token: "x",
    ],
    ids=["mac", "length", "forged", "short"],
)
async def test_a_tampered_token_is_gone(user_a: httpx.AsyncClient, tamper: object) -> None:
    token = (await user_a.get(FEED)).json()["next"]
    assert callable(tamper)
    response = await user_a.get(FEED, params={"since": tamper(token)})
    assert response.status_code == 410


@pytest.mark.parametrize("since", ["", "not a token", "a" * 513], ids=["empty", "characters", "long"])
async def test_a_since_outside_the_contract_is_a_400(user_a: httpx.AsyncClient, since: str) -> None:
    response = await user_a.get(FEED, params={"since": since})
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "query/since"


async def test_a_token_older_than_the_retention_is_gone(app: FastAPI, user_a: httpx.AsyncClient) -> None:
    settings = app.state.settings
    retention = timedelta(days=settings.sync_retention_days)
    month_ago = SyncTokens(
        token_key(settings.sync_token_secret_value),
        retention.total_seconds(),
        clock=lambda: time.time() - retention.total_seconds() - 60,
    )
    me = (await _create(user_a, "who am I"))["user_id"]
    assert isinstance(me, str)
    response = await user_a.get(FEED, params={"since": month_ago.issue(me, INITIAL)})
    assert response.status_code == 410


async def test_purged_tombstones_send_holders_of_older_tokens_to_resync(
    app: FastAPI, user_a: httpx.AsyncClient
) -> None:
    task = await _create(user_a, "short-lived")
    before_delete = (await user_a.get(FEED)).json()["next"]
    await user_a.delete(f"/api/tasks/{task['id']}")
    after_delete = (await user_a.get(FEED, params={"since": before_delete})).json()["next"]

    await purge_tombstones(app.state.engine, datetime.now(UTC) + timedelta(seconds=1))

    assert (await user_a.get(FEED, params={"since": before_delete})).status_code == 410
    # The purge records a sequence number, not a (number, id) position: a token standing exactly at it
    # is refused too, the safe side. A full sync never needs tombstones.
    assert (await user_a.get(FEED, params={"since": after_delete})).status_code == 410
    full = (await user_a.get(FEED)).json()
    assert all(c["id"] != task["id"] for c in full["changes"])


async def test_tombstones_within_the_retention_are_kept_by_a_purge(
    app: FastAPI, user_a: httpx.AsyncClient
) -> None:
    task = await _create(user_a, "recent")
    token = (await user_a.get(FEED)).json()["next"]
    await user_a.delete(f"/api/tasks/{task['id']}")
    await purge_tombstones(app.state.engine, datetime.now(UTC) - timedelta(days=30))
    page = await user_a.get(FEED, params={"since": token})
    assert page.status_code == 200
    assert [(c["kind"], c["id"]) for c in page.json()["changes"]] == [("tombstone", task["id"])]
