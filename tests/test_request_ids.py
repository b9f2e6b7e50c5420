"""Request ids: taken from the caller when sane, else from `traceparent`, else generated; returned on
every response and named by every problem's `instance`."""

from __future__ import annotations

import re
import string
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from impl.app import create_app
from impl.observability.request_id import MAX_LENGTH, problem_instance, request_id_from, trace_id_of
from tests.live_server import free_port
from tests.support import TASKS, auth, settings_for

GENERATED = re.compile(r"[0-9a-f]{32}")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
# RFC 3986: what a path segment may hold unescaped, plus ":" (the URN's separator).
URI_PCHAR = set(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@")


@pytest.mark.parametrize(
    "incoming",
    [
        "abc-123",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "x" * MAX_LENGTH,
        "a.b_c~d!e$f&g'h*i+j",
    ],
)
async def test_a_sane_request_id_is_returned_and_named_by_problems(
    anonymous: httpx.AsyncClient, incoming: str
) -> None:
    response = await anonymous.get(TASKS, headers={"X-Request-ID": incoming})

    assert response.status_code == 401
    assert response.headers["x-request-id"] == incoming
    assert response.json()["instance"] == f"urn:request:{incoming}"


@pytest.mark.parametrize(
    "incoming",
    [
        "",
        "x" * (MAX_LENGTH + 1),
        "has space",
        'quote"d',
        "<script>",
        "percent%41",
        "pipe|caret^",
        "semi;colon",
        "Ünïcode",
    ],
)
async def test_any_other_request_id_is_ignored_for_a_generated_one(
    anonymous: httpx.AsyncClient, incoming: str
) -> None:
    response = await anonymous.get(TASKS, headers={b"X-Request-ID": incoming.encode("utf-8")})

    request_id = response.headers["x-request-id"]
    assert GENERATED.fullmatch(request_id)
    assert response.json()["instance"] == f"urn:request:{request_id}"


async def test_without_an_id_each_request_gets_a_new_one(anonymous: httpx.AsyncClient) -> None:
    ids = {(await anonymous.get("/healthz")).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5
    assert all(GENERATED.fullmatch(request_id) for request_id in ids)


async def test_the_trace_id_of_a_traceparent_is_the_request_id(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/healthz", headers={"traceparent": TRACEPARENT})
    assert response.headers["x-request-id"] == TRACE_ID


async def test_an_explicit_request_id_wins_over_the_traceparent(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/healthz", headers={"traceparent": TRACEPARENT, "X-Request-ID": "mine"})
    assert response.headers["x-request-id"] == "mine"


@pytest.mark.parametrize(
    "traceparent",
    [
        f"00-{'0' * 32}-00f067aa0ba902b7-01",  # all-zero trace id
        f"00-{TRACE_ID}-{'0' * 16}-01",  # all-zero parent id
        f"ff-{TRACE_ID}-00f067aa0ba902b7-01",  # the forbidden version
        f"00-{TRACE_ID}-00f067aa0ba902b7-01-extra",  # version 00 has four fields exactly
        f"00-{TRACE_ID.upper()}-00f067aa0ba902b7-01",  # lower-case hex only
        f"00-{TRACE_ID[:-1]}-00f067aa0ba902b7-01",
        "garbage",
    ],
)
def test_an_invalid_traceparent_gives_no_request_id(traceparent: str) -> None:
    assert trace_id_of(traceparent.encode()) is None
    assert GENERATED.fullmatch(request_id_from([(b"traceparent", traceparent.encode())]))


def test_a_later_traceparent_version_may_carry_more_fields() -> None:
    assert trace_id_of(f"01-{TRACE_ID}-00f067aa0ba902b7-01-what-comes-next".encode()) == TRACE_ID


def test_every_accepted_id_makes_a_valid_uri_reference() -> None:
    visible = [chr(code) for code in range(32, 127)]
    accepted = [c for c in visible if request_id_from([(b"x-request-id", c.encode())]) == c]
    assert len(accepted) == 62 + len("!$&'*+-._~")
    assert set(problem_instance("".join(accepted))) <= URI_PCHAR


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/healthz", None, 200),
        ("POST", TASKS, {"title": "id"}, 201),
        ("GET", TASKS, None, 200),
        ("GET", f"{TASKS}/987654321", None, 404),
        ("GET", "/no/such/route", None, 404),
        ("DELETE", TASKS, None, 405),
        ("GET", f"{TASKS}?limit=0", None, 400),
        ("POST", TASKS, {"title": ""}, 400),
    ],
)
async def test_every_response_carries_the_id_and_every_problem_names_it(
    user_a: httpx.AsyncClient, method: str, path: str, body: object, status: int
) -> None:
    response = await user_a.request(method, path, json=body, headers={"X-Request-ID": "req-42"})

    assert response.status_code == status
    assert response.headers["x-request-id"] == "req-42"
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["instance"] == "urn:request:req-42"


async def test_a_wrong_accept_header_is_a_406_with_the_id(user_a: httpx.AsyncClient) -> None:
    response = await user_a.get(TASKS, headers={"Accept": "text/csv", "X-Request-ID": "csv"})
    assert response.status_code == 406
    assert (response.headers["x-request-id"], response.json()["instance"]) == ("csv", "urn:request:csv")


@pytest.fixture
async def unreachable_database_app() -> AsyncIterator[FastAPI]:
    app = create_app(settings_for(f"postgresql://nobody@127.0.0.1:{free_port()}/todo"))
    async with app.router.lifespan_context(app):
        yield app


async def test_a_503_carries_the_id(unreachable_database_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=unreachable_database_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=auth("u")) as client:
        response = await client.get("/readyz", headers={"X-Request-ID": "down"})
    assert response.status_code == 503
    assert response.headers["x-request-id"] == "down"
    assert response.json()["instance"] == "urn:request:down"


async def test_an_uncaught_error_is_a_500_with_the_id_and_is_counted(tmp_path: Path) -> None:
    app = create_app(settings_for(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    counted = {"route": "/boom", "method": "GET", "status": "5xx"}
    before = REGISTRY.get_sample_value("todo_http_requests_total", counted) or 0.0
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/boom", headers={"X-Request-ID": "bug-1"})

    assert response.status_code == 500
    assert response.headers["x-request-id"] == "bug-1"
    assert response.json()["instance"] == "urn:request:bug-1"
    assert REGISTRY.get_sample_value("todo_http_requests_total", counted) == before + 1
