"""A client's side of the change feed, as the README's sync loop does it: pull pages, apply in order."""

from __future__ import annotations

from typing import Any

import httpx


class Replica:
    """A client's local copy of its tasks, kept by the change feed."""

    def __init__(self) -> None:
        self.tasks: dict[int, dict[str, Any]] = {}
        self.token: str | None = None
        self.applied: list[tuple[int, int]] = []

    def apply(self, page: dict[str, Any]) -> None:
        for change in page["changes"]:
            self.applied.append((change["id"], change["seq"]))
            if change["kind"] == "task":
                self.tasks[change["id"]] = change["task"]
            else:
                self.tasks.pop(change["id"], None)
        self.token = page["next"]

    async def pull(self, client: httpx.AsyncClient, limit: int = 100) -> int:
        """Pulls until caught up; the number of pages."""
        for pages in range(1, 10_000):
            params: dict[str, Any] = {"limit": limit}
            if self.token is not None:
                params["since"] = self.token
            response = await client.get("/api/tasks/changes", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            self.apply(page)
            if not page["more"]:
                return pages
        raise AssertionError("the feed did not end")


async def all_tasks(client: httpx.AsyncClient) -> dict[int, dict[str, Any]]:
    tasks: dict[int, dict[str, Any]] = {}
    url: str | None = "/api/tasks?limit=100"
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200
        tasks.update({task["id"]: task for task in response.json()})
        link = response.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    return tasks
