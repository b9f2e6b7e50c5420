"""Logs of the production server: JSON lines, one access line per request with the request id, warnings
with the same id, uvicorn's own lines in the same format, and no token, body or secret anywhere."""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog

from impl.observability.context import REQUEST_ID
from impl.observability.log_format import LogFormat, structured_formatter
from impl.observability.logging import ACCESS_LOGGER, AccessLog, configure_logging, user_hash_key, user_hasher
from impl.settings import Settings
from tests.live_server import app_env, free_port, migrated_sqlite, production_server
from tests.support import TASKS, TEST_CURSOR_SECRET, TEST_SECRET, settings_for, sign_token

MARKER = f"marker-{secrets.token_hex(8)}"
USER = f"user-{secrets.token_hex(8)}"
USER_HASH = re.compile(r"[0-9a-f]{16}")


def _unsigned_jwks_token() -> str:
    """A token naming a JWKS key, so verifying it needs the (unreachable) key set: a 503 and a warning."""
    header = base64.urlsafe_b64encode(b'{"alg":"EdDSA","kid":"k1","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(f'{{"sub":"{MARKER}"}}'.encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.c2lnbmF0dXJl"


class ServerRun:
    def __init__(self, log: str, tokens: list[str], responses: dict[str, httpx.Response]) -> None:
        self.log = log
        self.tokens = tokens
        self.responses = responses

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.splitlines() if line.strip()]

    def access(self, request_id: str) -> list[dict[str, Any]]:
        wanted = ("request", request_id)
        return [line for line in self.lines if (line["event"], line.get("request_id")) == wanted]


@pytest.fixture(scope="module")
def server_run(tmp_path_factory: pytest.TempPathFactory) -> ServerRun:
    directory = tmp_path_factory.mktemp("logs")
    jwks = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    claims = {"iss": jwks, "aud": jwks}
    token = sign_token(USER, extra=claims)
    foreign = sign_token(USER, secret=secrets.token_urlsafe(40), extra=claims)
    jwks_token = _unsigned_jwks_token()
    log_path = directory / "server.log"
    responses: dict[str, httpx.Response] = {}
    env = {"BETTER_AUTH_URL": jwks, "JWKS_FETCH_TIMEOUT_SECONDS": "0.5"}
    bearer = {"Authorization": f"Bearer {token}"}
    with (
        production_server(
            app_env(migrated_sqlite(directory), TEST_SECRET, **env), workers=2, log_path=log_path
        ) as server,
        httpx.Client(base_url=server.base_url, headers=bearer, timeout=10) as user,
    ):

        def send(request_id: str, method: str, path: str, **options: Any) -> None:
            headers = {"X-Request-ID": request_id, **options.pop("headers", {})}
            responses[request_id] = user.request(method, path, headers=headers, **options)

        send("create", "POST", TASKS, json={"title": MARKER, "description": MARKER, "tags": [MARKER]})
        location = responses["create"].headers["location"]
        send("get", "GET", location)
        send("search", "GET", TASKS, params={"q": MARKER, "tag": MARKER})
        send("invalid", "POST", TASKS, json={"title": MARKER, "priority": MARKER})
        send("unmatched", "GET", f"/{MARKER}")
        send("foreign", "GET", TASKS, headers={"Authorization": f"Bearer {foreign}"})
        send("garbage", "GET", TASKS, headers={"Authorization": f"Bearer {MARKER}"})
        send("jwks", "GET", TASKS, headers={"Authorization": f"Bearer {jwks_token}"})
    return ServerRun(log_path.read_text(), [token, foreign, jwks_token], responses)


def test_the_requests_were_answered_as_expected(server_run: ServerRun) -> None:
    statuses = {request_id: response.status_code for request_id, response in server_run.responses.items()}
    assert statuses == {
        "create": 201,
        "get": 200,
        "search": 200,
        "invalid": 400,
        "unmatched": 404,
        "foreign": 401,
        "garbage": 401,
        "jwks": 503,
    }


def test_every_line_is_a_json_object_with_time_level_and_event(server_run: ServerRun) -> None:
    lines = server_run.lines
    assert len(lines) >= len(server_run.responses)
    for line in lines:
        assert {"timestamp", "level", "event"} <= line.keys()


def test_uvicorn_logs_in_the_same_format(server_run: ServerRun) -> None:
    uvicorn = [line for line in server_run.lines if line.get("logger", "").startswith("uvicorn")]
    events = " ".join(line["event"] for line in uvicorn)
    assert "Started server process" in events
    assert "Application startup complete" in events
    assert "Shutting down" in events


@pytest.mark.parametrize(
    ("request_id", "method", "route", "status", "authenticated"),
    [
        ("create", "POST", "/api/tasks", 201, True),
        ("get", "GET", "/api/tasks/{task_id}", 200, True),
        ("search", "GET", "/api/tasks", 200, True),
        ("invalid", "POST", "/api/tasks", 400, True),
        ("unmatched", "GET", "unmatched", 404, False),
        ("foreign", "GET", "/api/tasks", 401, False),
        ("jwks", "GET", "/api/tasks", 503, False),
    ],
)
def test_one_access_line_per_request(
    server_run: ServerRun, request_id: str, method: str, route: str, status: int, authenticated: bool
) -> None:
    (line,) = server_run.access(request_id)
    assert server_run.responses[request_id].headers["x-request-id"] == request_id
    assert (line["method"], line["route"], line["status"], line["level"]) == (method, route, status, "info")
    assert isinstance(line["duration_ms"], float | int)
    assert line["duration_ms"] >= 0
    if authenticated:
        assert USER_HASH.fullmatch(line["user"])
    else:
        assert line["user"] is None


def test_the_user_is_one_stable_hash_across_workers(server_run: ServerRun) -> None:
    authenticated = ("create", "get", "search", "invalid")
    hashes = {server_run.access(request_id)[0]["user"] for request_id in authenticated}
    assert len(hashes) == 1


def test_a_warning_during_a_request_carries_its_id(server_run: ServerRun) -> None:
    warnings = [line for line in server_run.lines if line["level"] == "warning" and "JWKS" in line["event"]]
    assert warnings
    assert {line.get("request_id") for line in warnings} == {"jwks"}


def test_no_token_body_query_or_secret_is_logged(server_run: ServerRun) -> None:
    log = server_run.log
    assert MARKER not in log
    assert USER not in log
    assert TEST_SECRET not in log
    for token in server_run.tokens:
        assert token not in log
        for part in token.split("."):
            assert part not in log


def test_the_user_hash_key_is_configured_or_derived_from_the_secret() -> None:
    derived = settings_for("sqlite+aiosqlite://")
    keyed = settings_for("sqlite+aiosqlite://", log_user_hash_key="k" * 40)
    jwks_only = Settings(
        _env_file=None, better_auth_url="https://auth.example.com", cursor_secret=TEST_CURSOR_SECRET
    )

    assert user_hash_key(derived) not in (b"", TEST_SECRET.encode())
    assert user_hash_key(derived) != user_hash_key(keyed)
    assert user_hash_key(jwks_only) == b""


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_tracebacks_are_rendered_without_local_variables(log_format: LogFormat) -> None:
    local_value = MARKER  # what a traceback renderer that shows locals would print

    try:
        raise RuntimeError(f"boom, {len(local_value)}")
    except RuntimeError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    rendered = structured_formatter(log_format).format(record)
    assert "RuntimeError: boom" in rendered
    assert MARKER not in rendered


@pytest.fixture
def process_logging() -> Iterator[None]:
    """For a test that configures this process's logging: everything it changed is put back after."""
    loggers = [logging.root, *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    yield
    structlog.reset_defaults()
    for logger, handlers, level, propagate in saved:
        logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate


@pytest.mark.parametrize("log_format", ["json", "console"])
@pytest.mark.usefixtures("process_logging")
def test_the_access_line_is_what_the_configured_logger_writes_for_it(
    log_format: LogFormat, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for("sqlite+aiosqlite://", log_format=log_format)
    configure_logging(settings)
    scope = {"method": "PATCH", "state": {"user_id": USER}}
    REQUEST_ID.set("req-1")
    try:
        AccessLog(settings)(scope, "/api/tasks/{task_id}", 200, 0.0123)
        structlog.get_logger(ACCESS_LOGGER).bind(logger=ACCESS_LOGGER).info(
            "request",
            method="PATCH",
            route="/api/tasks/{task_id}",
            status=200,
            duration_ms=12.3,
            user=user_hasher(settings)(USER),
        )
    finally:
        REQUEST_ID.set(None)
    written, expected = capsys.readouterr().err.splitlines()
    timestamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")
    assert timestamp.search(written), written
    assert timestamp.sub("T", written) == timestamp.sub("T", expected)
    assert "req-1" in written
    assert USER not in written


@pytest.mark.usefixtures("process_logging")
def test_no_access_line_is_written_below_the_log_level(capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_for("sqlite+aiosqlite://", log_level="WARNING")
    configure_logging(settings)
    AccessLog(settings)({"method": "GET"}, "/healthz", 200, 0.001)
    logging.getLogger("tests").warning("still written")
    assert capsys.readouterr().err.count("\n") == 1
