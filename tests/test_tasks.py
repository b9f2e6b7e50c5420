"""Every operation of the contract, on SQLite and PostgreSQL, through the real app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support import TASKS, create


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_create_returns_the_task_with_defaults_and_location(user_a: httpx.AsyncClient) -> None:
    response = await user_a.post(TASKS, json={"title": "Buy milk"})

    assert response.status_code == 201
    task = response.json()
    assert response.headers["location"] == f"{TASKS}/{task['id']}"
    assert response.headers["content-type"] == "application/json"
    assert task["title"] == "Buy milk"
    assert task["description"] is None
    assert task["completed"] is False
    assert task["completed_at"] is None
    assert task["due_at"] is None
    assert task["priority"] == "medium"
    assert task["tags"] == []
    assert task["created_at"] == task["updated_at"]
    assert task["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2026-12-01T17:00:00.123+01:00", "2026-12-01T16:00:00.123000Z"),
        ("2026-12-01T16:00:00.123456789Z", "2026-12-01T16:00:00.123456Z"),
        ("2026-12-01T16:00:00.9999999Z", "2026-12-01T16:00:00.999999Z"),
        ("2026-12-01T16:00:00.000Z", "2026-12-01T16:00:00Z"),
    ],
)
async def test_date_times_come_back_at_the_documented_microsecond_precision(
    user_a: httpx.AsyncClient, sent: str, stored: str
) -> None:
    # openapi/tasks.yaml (info.description) documents this rendering; the clients rely on it.
    task = await create(user_a, title="Precise", due_at=sent)
    assert task["due_at"] == stored
    assert (await user_a.get(f"{TASKS}/{task['id']}")).json()["due_at"] == stored


async def test_create_stores_every_field_and_normalises_due_at_to_utc(user_a: httpx.AsyncClient) -> None:
    task = await create(
        user_a,
        title="  Trimmed title \t",
        description="Two litres",
        due_at="2026-12-01T17:00:00+01:00",
        priority="high",
        tags=["groceries", "home"],
    )

    fetched = (await user_a.get(f"{TASKS}/{task['id']}")).json()
    assert fetched == task
    assert task["title"] == "Trimmed title"
    assert task["description"] == "Two litres"
    assert task["due_at"] == "2026-12-01T16:00:00Z"
    assert task["priority"] == "high"
    assert task["tags"] == ["groceries", "home"]


async def test_get_returns_the_stored_task(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a, title="Read")

    response = await user_a.get(f"{TASKS}/{task['id']}")

    assert response.status_code == 200
    assert response.json() == task


async def test_replace_sets_every_field_and_resets_omitted_ones_to_defaults(
    user_a: httpx.AsyncClient,
) -> None:
    task = await create(user_a, description="old", due_at="2026-01-01T00:00:00Z", priority="high", tags=["x"])

    response = await user_a.put(f"{TASKS}/{task['id']}", json={"title": "Replaced", "completed": True})

    assert response.status_code == 200
    replaced = response.json()
    assert replaced["title"] == "Replaced"
    assert replaced["description"] is None
    assert replaced["due_at"] is None
    assert replaced["priority"] == "medium"
    assert replaced["tags"] == []
    assert replaced["completed"] is True
    assert replaced["completed_at"] is not None
    assert replaced["created_at"] == task["created_at"]
    assert parse_time(replaced["updated_at"]) > parse_time(task["updated_at"])


async def test_replace_without_completed_reopens_the_task(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)
    await user_a.patch(f"{TASKS}/{task['id']}/complete")

    replaced = (await user_a.put(f"{TASKS}/{task['id']}", json={"title": "Again"})).json()

    assert replaced["completed"] is False
    assert replaced["completed_at"] is None


async def test_patch_changes_only_the_fields_present(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a, description="keep me", priority="low", tags=["a"])

    response = await user_a.patch(f"{TASKS}/{task['id']}", json={"title": "New title"})

    assert response.status_code == 200
    patched = response.json()
    assert patched["title"] == "New title"
    assert {k: patched[k] for k in ("description", "priority", "tags")} == {
        "description": "keep me",
        "priority": "low",
        "tags": ["a"],
    }
    assert parse_time(patched["updated_at"]) > parse_time(task["updated_at"])


async def test_patch_null_clears_nullable_fields(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a, description="text", due_at="2026-01-01T00:00:00Z")

    patched = (await user_a.patch(f"{TASKS}/{task['id']}", json={"description": None, "due_at": None})).json()

    assert patched["description"] is None
    assert patched["due_at"] is None
    assert patched["title"] == task["title"]


@pytest.mark.parametrize("field", ["title", "priority", "tags", "completed"])
async def test_patch_null_on_a_non_nullable_field_is_rejected_and_changes_nothing(
    user_a: httpx.AsyncClient, field: str
) -> None:
    task = await create(user_a, tags=["a"])

    response = await user_a.patch(f"{TASKS}/{task['id']}", json={field: None})

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == f"/{field}"
    assert (await user_a.get(f"{TASKS}/{task['id']}")).json() == task


async def test_empty_patch_changes_nothing(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)

    response = await user_a.patch(f"{TASKS}/{task['id']}", json={})

    assert response.status_code == 200
    assert response.json() == task


async def test_patch_completed_sets_completed_at(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)

    done = (await user_a.patch(f"{TASKS}/{task['id']}", json={"completed": True})).json()
    undone = (await user_a.patch(f"{TASKS}/{task['id']}", json={"completed": False})).json()

    assert done["completed"] is True
    assert done["completed_at"] is not None
    assert undone["completed"] is False
    assert undone["completed_at"] is None


async def test_complete_without_body_toggles_twice(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)
    url = f"{TASKS}/{task['id']}/complete"

    first = await user_a.patch(url)
    second = await user_a.patch(url)

    assert first.status_code == second.status_code == 200
    assert first.json()["completed"] is True
    assert first.json()["completed_at"] is not None
    assert second.json()["completed"] is False
    assert second.json()["completed_at"] is None
    assert parse_time(second.json()["updated_at"]) > parse_time(first.json()["updated_at"])


async def test_complete_with_body_sets_and_keeps_the_first_completion_time(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)
    url = f"{TASKS}/{task['id']}/complete"

    first = (await user_a.patch(url, json={"completed": True})).json()
    again = (await user_a.patch(url, json={"completed": True})).json()
    reopened = (await user_a.patch(url, json={"completed": False})).json()

    assert first["completed"] is again["completed"] is True
    assert again["completed_at"] == first["completed_at"]
    assert reopened["completed"] is False
    assert reopened["completed_at"] is None


async def test_delete_removes_the_task(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)

    response = await user_a.delete(f"{TASKS}/{task['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert (await user_a.get(f"{TASKS}/{task['id']}")).status_code == 404
    assert (await user_a.delete(f"{TASKS}/{task['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PUT", "", {"title": "x"}),
        ("PATCH", "", {"title": "x"}),
        ("PATCH", "/complete", None),
        ("DELETE", "", None),
    ],
)
async def test_a_missing_task_is_a_404_problem(
    user_a: httpx.AsyncClient, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    response = await user_a.request(method, f"{TASKS}/987654321{suffix}", json=body)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Task not found.",
        "instance": f"urn:request:{response.headers['x-request-id']}",
    }


async def test_unicode_round_trips(user_a: httpx.AsyncClient) -> None:
    title = "Café ☕ 日本語 🚀 Ωμέγα"
    task = await create(user_a, title=title, description="naïve — ünïcödé", tags=["日本", "😀"])

    fetched = (await user_a.get(f"{TASKS}/{task['id']}")).json()

    assert fetched["title"] == title
    assert fetched["description"] == "naïve — ünïcödé"
    assert fetched["tags"] == ["日本", "😀"]


async def test_health_and_readiness(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/healthz")).json() == {"status": "ok"}
    assert (await anonymous.get("/readyz")).json() == {"status": "ok"}
