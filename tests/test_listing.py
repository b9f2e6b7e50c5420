"""Listing: filters, every sort order, search, tags and keyset pagination stable under inserts."""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generated import models
from impl.tasks.handler import next_page_query
from tests.support import NEXT_LINK, TASKS, all_pages, create


async def seed(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = [
        {"title": "banana", "priority": "low", "due_at": "2026-03-01T00:00:00Z", "tags": ["fruit"]},
        {"title": "Apple", "priority": "high", "due_at": None, "tags": ["fruit", "red"]},
        {
            "title": "cherry pie",
            "priority": "medium",
            "due_at": "2026-01-01T00:00:00Z",
            "description": "Bake it",
        },
        {"title": "date", "priority": "high", "due_at": "2026-03-01T00:00:00Z", "tags": ["red"]},
        {"title": "elderberry", "priority": "low", "due_at": None, "description": "100% juice_box"},
    ]
    return [await create(client, **spec) for spec in specs]


async def test_default_order_is_newest_first(user_a: httpx.AsyncClient) -> None:
    tasks = await seed(user_a)
    listed = (await user_a.get(TASKS)).json()
    assert [t["id"] for t in listed] == [t["id"] for t in reversed(tasks)]


PRIORITY_RANK = {"low": 1, "medium": 2, "high": 3}


def expected_order(tasks: list[dict[str, Any]], sort: str) -> list[int]:
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    present = [t for t in tasks if t[key] is not None]
    missing = [t for t in tasks if t[key] is None]

    def value(task: dict[str, Any]) -> Any:
        return PRIORITY_RANK[task[key]] if key == "priority" else task[key]

    ordered = sorted(present, key=lambda t: (value(t), t["id"]), reverse=descending)
    ordered += sorted(missing, key=lambda t: t["id"], reverse=descending)
    return [t["id"] for t in ordered]


SORTS = [
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "due_at",
    "-due_at",
    "priority",
    "-priority",
]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("limit", [2, 50])
async def test_each_sort_order_pages_through_every_task_once(
    user_a: httpx.AsyncClient, sort: str, limit: int
) -> None:
    tasks = await seed(user_a)
    pages = await all_pages(user_a, sort=sort, limit=limit)
    ids = [t["id"] for page in pages for t in page]
    assert ids == expected_order(tasks, sort)
    assert all(len(page) <= limit for page in pages)


@pytest.mark.parametrize("sort", ["title", "-title"])
async def test_title_sort_follows_the_database_collation_consistently(
    user_a: httpx.AsyncClient, sort: str
) -> None:
    tasks = await seed(user_a)
    one_page = [t["id"] for t in (await user_a.get(TASKS, params={"sort": sort})).json()]
    paged = [t["id"] for page in await all_pages(user_a, sort=sort, limit=2) for t in page]
    assert paged == one_page
    assert sorted(one_page) == sorted(t["id"] for t in tasks)
    lowered = [next(t["title"].lower() for t in tasks if t["id"] == i) for i in one_page]
    assert lowered == sorted(lowered, reverse=sort.startswith("-"))


async def test_status_filter(user_a: httpx.AsyncClient) -> None:
    tasks = await seed(user_a)
    done = {tasks[0]["id"], tasks[3]["id"]}
    for task_id in done:
        await user_a.patch(f"{TASKS}/{task_id}/complete")

    completed = {t["id"] for t in (await user_a.get(TASKS, params={"status": "completed"})).json()}
    pending = {t["id"] for t in (await user_a.get(TASKS, params={"status": "pending"})).json()}
    everything = {t["id"] for t in (await user_a.get(TASKS, params={"status": "all"})).json()}

    assert completed == done
    assert pending == {t["id"] for t in tasks} - done
    assert everything == {t["id"] for t in tasks}


@pytest.mark.parametrize(
    ("q", "titles"),
    [
        ("APPLE", {"Apple"}),
        ("an", {"banana"}),
        ("bake", {"cherry pie"}),
        ("100%", {"elderberry"}),
        ("e_b", {"elderberry"}),
        ("%", {"elderberry"}),
        ("zzz", set()),
    ],
)
async def test_search_is_case_insensitive_over_title_and_description_and_literal(
    user_a: httpx.AsyncClient, q: str, titles: set[str]
) -> None:
    await seed(user_a)
    found = {t["title"] for t in (await user_a.get(TASKS, params={"q": q})).json()}
    assert found == titles


@pytest.mark.parametrize(
    ("q", "titles"),
    [
        ("ünï", {"Ünïcode ÄÖ"}),
        ("ÜNÏCODE äö", {"Ünïcode ÄÖ"}),
        ("ΣΟΦ", {"Σοφία"}),
        ("GRÖ", {"size"}),
        ("ü", {"Ünïcode ÄÖ"}),
        ("u", set()),
    ],
)
async def test_search_folds_case_for_every_alphabet_on_both_databases(
    user_a: httpx.AsyncClient, q: str, titles: set[str]
) -> None:
    await create(user_a, title="Ünïcode ÄÖ")
    await create(user_a, title="Σοφία")
    await create(user_a, title="size", description="Größe")
    await create(user_a, title="plain ascii")
    found = {t["title"] for t in (await user_a.get(TASKS, params={"q": q})).json()}
    assert found == titles


async def test_tag_filter(user_a: httpx.AsyncClient) -> None:
    await seed(user_a)
    red = {t["title"] for t in (await user_a.get(TASKS, params={"tag": "red"})).json()}
    fruit = {t["title"] for t in (await user_a.get(TASKS, params={"tag": "fruit", "q": "ban"})).json()}
    assert red == {"Apple", "date"}
    assert fruit == {"banana"}
    assert (await user_a.get(TASKS, params={"tag": "re"})).json() == []


async def test_limit_and_link_header(user_a: httpx.AsyncClient) -> None:
    await seed(user_a)
    first = await user_a.get(TASKS, params={"limit": 3, "status": "all"})
    assert len(first.json()) == 3
    link = NEXT_LINK.match(first.headers["link"])
    assert link
    last = await user_a.get(link["url"])
    assert len(last.json()) == 2
    assert "link" not in last.headers


async def test_pagination_is_stable_while_tasks_are_inserted(user_a: httpx.AsyncClient) -> None:
    original = [await create(user_a, title=f"task {i}") for i in range(7)]
    seen: list[int] = []
    response = await user_a.get(TASKS, params={"limit": 2})
    while True:
        seen += [t["id"] for t in response.json()]
        await create(user_a, title="inserted while paging")
        link = response.headers.get("link")
        if link is None:
            break
        response = await user_a.get(NEXT_LINK.match(link)["url"])  # type: ignore[index]
    assert seen == [t["id"] for t in reversed(original)]


async def test_a_cursor_is_only_valid_for_the_query_that_issued_it(user_a: httpx.AsyncClient) -> None:
    await seed(user_a)
    response = await user_a.get(TASKS, params={"limit": 2, "sort": "title"})
    cursor = httpx.URL(NEXT_LINK.match(response.headers["link"])["url"]).params["cursor"]  # type: ignore[index]

    reused = await user_a.get(TASKS, params={"limit": 2, "sort": "priority", "cursor": cursor})

    # A well-formed cursor refers to a page, like an id to a task: one not issued for this query is a 404.
    assert reused.status_code == 404
    assert reused.json()["errors"] == [
        {"pointer": "query/cursor", "detail": "not a cursor issued for this sort and filter"}
    ]


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from(list(models.StatusFilter)),
    sort=st.sampled_from(list(models.TaskSort)),
    q=st.none() | st.text(),
    tag=st.none() | st.text(),
    limit=st.integers(min_value=1, max_value=10**6),
    cursor=st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1),
)
def test_the_next_page_query_is_what_urlencode_writes(
    status: models.StatusFilter,
    sort: models.TaskSort,
    q: str | None,
    tag: str | None,
    limit: int,
    cursor: str,
) -> None:
    parameters = {"status": status.value, "sort": sort.value, "q": q, "tag": tag, "limit": limit}
    written = {name: value for name, value in parameters.items() if value is not None} | {"cursor": cursor}
    assert next_page_query(status, sort, q, tag, limit, cursor) == urlencode(written)
