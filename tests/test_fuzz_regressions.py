"""Regression tests for what contract fuzzing (`make fuzz`) found, one behaviour per test."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from fastapi import FastAPI
from jsonschema import Draft202012Validator

from generated import models
from impl.tasks.cursor import Cursor, CursorCodec, query_fingerprint
from impl.tasks.mapping import editable_values
from kit.problems import FieldError, InvalidRequest
from tests.support import ROOT, TASKS, all_pages, auth, create

CONTRACT: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "tasks.yaml").read_text())


def _list_examples() -> dict[str, Any]:
    """The example of each listTasks query parameter, from the parameter or else from its schema."""
    examples = {}
    for parameter in CONTRACT["paths"]["/api/tasks"]["get"]["parameters"]:
        if parameter.get("in") != "query":  # the shared header parameters are `$ref`s
            continue
        schema = parameter["schema"]
        if "$ref" in schema:
            schema = CONTRACT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        examples[parameter["name"]] = parameter.get("example", schema.get("example"))
    return examples


Forge = Callable[..., str]


@pytest.fixture
async def forger(
    app: FastAPI, user_id_factory: Callable[[], str]
) -> AsyncIterator[tuple[httpx.AsyncClient, Forge]]:
    """A user's client, and cursors sealed for that user with the server's key but any value inside."""
    user_id = user_id_factory()

    def forge(sort: str, value: object, task_id: object = 5) -> str:
        codec: CursorCodec = app.state.cursors
        fingerprint = query_fingerprint("all", sort, None, None)
        return codec.encode(Cursor(cast(Any, value), cast(Any, task_id)), user_id, fingerprint)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=auth(user_id)
    ) as client:
        yield client, forge


async def _list_after_forged_cursor(
    forger: tuple[httpx.AsyncClient, Forge], sort: str, value: object
) -> httpx.Response:
    """The listing after a forged cursor, with a task there to find or miss."""
    client, forge = forger
    await create(client)
    return await client.get(TASKS, params={"sort": sort, "cursor": forge(sort, value)})


# ST202 (positive_data_acceptance) on GET /api/tasks: a cursor matching the contract's pattern was
# rejected with 400, starting with the contract's own example, which the server had never issued.
@pytest.mark.parametrize("cursor", ["0", "AAAA", "eyJhIjoxfQ", "A" * 1024])
async def test_a_well_formed_cursor_that_was_not_issued_is_a_404(
    user_a: httpx.AsyncClient, cursor: str
) -> None:
    response = await user_a.get(TASKS, params={"cursor": cursor})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"pointer": "query/cursor", "detail": "not a cursor issued for this sort and filter"}
    ]


# Cursors are sealed for their user (#10, item 16), so the contract's example is one this server
# never issued: like an unknown id, it is a 404 (which ST202 accepts), never a 400 or a 500.
async def test_the_contracts_example_cursor_is_a_well_formed_unknown_page(user_a: httpx.AsyncClient) -> None:
    response = await user_a.get(TASKS, params=_list_examples())
    assert response.status_code == 404, response.text


def test_the_contracts_link_example_follows_its_example_page() -> None:
    # Documentation shows a real shape: the next link after TaskPage's task for the examples' query,
    # sealed with some key for the example's user.
    examples = _list_examples()
    last = CONTRACT["components"]["examples"]["TaskPage"]["value"][-1]
    fingerprint = query_fingerprint(examples["status"], examples["sort"], examples["q"], examples["tag"])
    cursor = Cursor(datetime.fromisoformat(last[examples["sort"]]), last["id"])
    sealed = CursorCodec(os.urandom(32)).encode(cursor, last["user_id"], fingerprint)
    assert len(sealed) == len(examples["cursor"])
    query = {key: examples[key] for key in ("status", "sort", "q", "tag")} | {"limit": 1}
    query |= {"cursor": examples["cursor"]}
    assert CONTRACT["components"]["headers"]["Link"]["example"] == f'<{TASKS}?{urlencode(query)}>; rel="next"'


async def test_the_link_the_server_sends_has_the_documented_shape(user_a: httpx.AsyncClient) -> None:
    await create(user_a)
    await create(user_a)
    response = await user_a.get(TASKS, params={"sort": "title", "limit": 1})
    example = CONTRACT["components"]["headers"]["Link"]["example"]

    def shape(link: str) -> str:
        return re.sub(r"=[^&>]+", "=…", link)

    assert shape(response.headers["link"]) == shape(example).replace("&q=…&tag=…", "")


# Found while triaging: with long titles of control characters or astral-plane characters, sorting by
# title issued cursors longer than the contract's old maxLength (1024), so the server's own next link
# was a 400. The worst case is 200 characters JSON-escaped to six bytes each.
def test_the_longest_cursor_the_server_can_issue_fits_the_contract() -> None:
    parameters = CONTRACT["paths"]["/api/tasks"]["get"]["parameters"]
    max_length = next(p["schema"]["maxLength"] for p in parameters if p["name"] == "cursor")
    fingerprint = query_fingerprint("completed", "-title", "x" * 200, "y" * 50)
    cursor = CursorCodec(os.urandom(32)).encode(Cursor("\x01" * 200, 2**63 - 1), "u" * 255, fingerprint)
    assert len(cursor) <= max_length


@pytest.mark.parametrize("title", ["\x01" * 199 + "x", "\U0001f600" * 200, '"\\' * 100])
async def test_next_links_after_long_titles_are_followable(user_a: httpx.AsyncClient, title: str) -> None:
    for _ in range(3):
        await create(user_a, title=title)
    pages = await all_pages(user_a, sort="title", limit=1)
    assert [len(page) for page in pages] == [1, 1, 1]


# Found while triaging the cursor finding: cursors were not signed, so anyone could build one with the
# right fingerprint; its value went into SQL unchecked, and PostgreSQL or datetime arithmetic failed (500).
# Cursors are now sealed, but an opened one is still checked: these are sealed with the server's key.
@pytest.mark.parametrize(
    ("sort", "value"),
    [
        ("title", "nul \x00 byte"),
        ("title", "x" * 201),
        ("title", 7),
        ("created_at", "0001-01-01T00:00:00+14:00"),
        ("created_at", "2026-11-24T08:00:00"),
        ("created_at", "not a date"),
        ("due_at", 1700000000),
        ("priority", 10**6),
        ("priority", True),
        ("priority", "high"),
    ],
)
async def test_a_forged_cursor_is_a_404_not_a_database_error(
    forger: tuple[httpx.AsyncClient, Forge], sort: str, value: object
) -> None:
    response = await _list_after_forged_cursor(forger, sort, value)
    assert response.status_code == 404, response.text


@pytest.mark.parametrize("task_id", [0, -1, 2**63, "5", None])
async def test_a_cursor_with_an_impossible_task_id_is_a_404(
    forger: tuple[httpx.AsyncClient, Forge], task_id: object
) -> None:
    client, forge = forger
    cursor = forge("-created_at", "2026-11-24T08:00:00+00:00", task_id)
    response = await client.get(TASKS, params={"cursor": cursor})
    assert response.status_code == 404, response.text


@pytest.mark.parametrize(
    ("sort", "value"),
    [("title", "m"), ("priority", 2), ("due_at", None), ("-due_at", "2026-01-01T00:00:00+05:00")],
)
async def test_a_well_formed_cursor_at_any_position_is_served(
    forger: tuple[httpx.AsyncClient, Forge], sort: str, value: object
) -> None:
    response = await _list_after_forged_cursor(forger, sort, value)
    assert response.status_code == 200, response.text


# Latent ST202 (positive_data_acceptance): Schemathesis draws RFC 3339 date-times from any day of years
# 0001-9999 with any offset. On the first and last day an offset can carry the instant out of what
# the server stores (UTC), so a date-time the contract called valid was a 400; the contract now
# excludes those two days.
@pytest.mark.parametrize("due_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-01:00"])
def test_the_contract_excludes_due_dates_that_leave_the_range_in_utc(due_at: str) -> None:
    schema = {"$ref": "#/components/schemas/DueAt", "components": CONTRACT["components"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert not validator.is_valid(due_at)


@pytest.mark.parametrize(
    ("due_at", "stored"),
    [
        ("0001-01-02T00:00:00+14:00", "0001-01-01T10:00:00Z"),
        ("9999-12-30T23:59:59-23:59", "9999-12-31T23:58:59Z"),
        (None, None),
    ],
)
async def test_due_dates_at_the_edges_of_the_range_are_stored_in_utc(
    user_a: httpx.AsyncClient, due_at: str | None, stored: str | None
) -> None:
    assert (await create(user_a, due_at=due_at))["due_at"] == stored


def test_a_due_date_beyond_utc_is_still_a_400_if_the_contract_let_it_through() -> None:
    # Defence in depth behind the contract's exclusion: the mapping to UTC never raises a 500.
    body = models.TaskCreate.model_validate({"title": "x", "due_at": "0001-01-01T00:00:00+14:00"})
    with pytest.raises(InvalidRequest) as raised:
        editable_values(body)
    assert raised.value.errors == [FieldError("/due_at", "date-time is out of range once converted to UTC")]
