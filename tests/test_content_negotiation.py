"""Every operation with a body to return honours `Accept`: one that rules out JSON is a 406."""

from __future__ import annotations

import httpx
import pytest

from tests.support import TASKS, create

ACCEPTED = [
    "application/json",
    "*/*",
    "application/*",
    "text/html, application/json;q=0.5",
    "APPLICATION/JSON",
    "application/json;q=garbage",
    "",
]
REFUSED = ["text/html", "application/xml, text/*", "application/json;q=0", "application/problem+json"]


@pytest.mark.parametrize("accept", ACCEPTED)
async def test_an_accept_header_allowing_json_is_served(user_a: httpx.AsyncClient, accept: str) -> None:
    response = await user_a.get(TASKS, headers={"Accept": accept})
    assert response.status_code == 200


@pytest.mark.parametrize("accept", REFUSED)
async def test_an_accept_header_ruling_out_json_is_a_406(user_a: httpx.AsyncClient, accept: str) -> None:
    response = await user_a.get(TASKS, headers={"Accept": accept})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"pointer": "header/accept", "detail": "must allow application/json"}
    ]


async def test_a_refused_create_creates_nothing(user_a: httpx.AsyncClient) -> None:
    response = await user_a.post(TASKS, json={"title": "never"}, headers={"Accept": "text/html"})
    assert response.status_code == 406
    assert (await user_a.get(TASKS)).json() == []


@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", ""), ("PUT", ""), ("PATCH", ""), ("PATCH", "/complete")]
)
async def test_every_task_operation_negotiates(user_a: httpx.AsyncClient, method: str, suffix: str) -> None:
    task = await create(user_a)
    response = await user_a.request(
        method, f"{TASKS}/{task['id']}{suffix}", json={"title": "x"}, headers={"Accept": "text/csv"}
    )
    assert response.status_code == 406
    assert (await user_a.get(f"{TASKS}/{task['id']}")).json() == task


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_the_probes_negotiate_too(anonymous: httpx.AsyncClient, path: str) -> None:
    assert (await anonymous.get(path, headers={"Accept": "text/plain"})).status_code == 406
    assert (await anonymous.get(path, headers={"Accept": "application/json"})).status_code == 200


async def test_delete_has_no_representation_to_negotiate(user_a: httpx.AsyncClient) -> None:
    task = await create(user_a)
    response = await user_a.delete(f"{TASKS}/{task['id']}", headers={"Accept": "text/html"})
    assert response.status_code == 204
