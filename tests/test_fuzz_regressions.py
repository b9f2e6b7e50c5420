"""Regression tests for what contract fuzzing (`make fuzz`) found, one behaviour per test."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import orjson
import pytest
import yaml

from impl.tasks.cursor import query_fingerprint
from tests.support import ROOT
from tests.test_tasks import TASKS, create

CONTRACT: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "tasks.yaml").read_text())


def _list_parameter_example(name: str) -> Any:
    parameters = CONTRACT["paths"]["/api/tasks"]["get"]["parameters"]
    return next(p["example"] for p in parameters if p["name"] == name)


def _forged_cursor(sort: str, value: object, task_id: object = 5) -> str:
    """A cursor with the right fingerprint for `sort` and the default filters, but any value inside."""
    raw = orjson.dumps([query_fingerprint("all", sort, None, None), value, task_id])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


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


async def test_the_contracts_example_cursor_is_one_the_server_accepts(user_a: httpx.AsyncClient) -> None:
    response = await user_a.get(TASKS, params={"cursor": _list_parameter_example("cursor")})
    assert response.status_code == 200
    assert response.json() == []


async def test_the_contracts_link_example_has_the_shape_the_server_sends(user_a: httpx.AsyncClient) -> None:
    await create(user_a)
    await create(user_a)
    response = await user_a.get(TASKS, params={"limit": 1})
    example = CONTRACT["components"]["headers"]["Link"]["example"]

    def shape(link: str) -> str:
        return re.sub(r"(limit|cursor)=[^&>]+", r"\1=…", link)

    assert shape(response.headers["link"]) == shape(example)


# Found while triaging the cursor finding: cursors are not signed, so anyone can build one with the
# right fingerprint; its value went into SQL unchecked, and PostgreSQL or datetime arithmetic failed (500).
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
    user_a: httpx.AsyncClient, sort: str, value: object
) -> None:
    await create(user_a)
    response = await user_a.get(TASKS, params={"sort": sort, "cursor": _forged_cursor(sort, value)})
    assert response.status_code == 404, response.text


@pytest.mark.parametrize("task_id", [0, -1, 2**63, "5", None])
async def test_a_cursor_with_an_impossible_task_id_is_a_404(
    user_a: httpx.AsyncClient, task_id: object
) -> None:
    cursor = _forged_cursor("-created_at", "2026-11-24T08:00:00+00:00", task_id)
    response = await user_a.get(TASKS, params={"cursor": cursor})
    assert response.status_code == 404, response.text


@pytest.mark.parametrize(
    ("sort", "value"),
    [("title", "m"), ("priority", 2), ("due_at", None), ("-due_at", "2026-01-01T00:00:00+05:00")],
)
async def test_a_well_formed_cursor_at_any_position_is_served(
    user_a: httpx.AsyncClient, sort: str, value: object
) -> None:
    await create(user_a)
    response = await user_a.get(TASKS, params={"sort": sort, "cursor": _forged_cursor(sort, value)})
    assert response.status_code == 200, response.text
