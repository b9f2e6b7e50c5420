"""The lean bound: the service's list, get and create with nothing above the work itself.

The same work as `python -m impl.serve` for `GET /api/tasks` (the default sort, `limit` only),
`GET /api/tasks/{id}` and `POST /api/tasks`: the project's own token verifier (with its memo of
verified tokens), the same SQL as the repository on the same database (asyncpg directly, prepared
statements from asyncpg's cache), the body checked against TaskCreate's contract rules by hand, rows
rendered as the contract's `Task` JSON with orjson, and the same `Link` and `Location` headers. No
framework: bare ASGI routing, served through the same uvicorn options (`python -m bench.lean`).

It is the yardstick of the benchmark, not part of the product: every operation is also reported as a
fraction of it. tests/test_lean_bound.py proves it answers exactly what the service answers.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
import orjson
from sqlalchemy.engine import make_url

from impl.auth import TokenVerifier
from impl.auth.verified_tokens import VerifiedTokens
from impl.errors import ApiError, NotFound, Unauthorized
from impl.settings import Settings
from impl.tasks.cursor import Cursor, encode_cursor, query_fingerprint
from impl.tasks.mapping import CONTRACT_WHITESPACE, PRIORITY_RANK

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]

TASKS_PATH = "/api/tasks"
COLUMNS = (
    "tasks.id, tasks.user_id, tasks.title, tasks.description, tasks.completed, tasks.completed_at, "
    "tasks.due_at, tasks.priority, tasks.tags, tasks.created_at, tasks.updated_at"
)
# The statements SQLAlchemy compiles from impl/tasks/repository.py for these three operations.
LIST_SQL = (
    f"SELECT {COLUMNS} FROM tasks WHERE tasks.user_id = $1::VARCHAR "
    "ORDER BY tasks.created_at DESC, tasks.id DESC LIMIT $2::INTEGER"
)
GET_SQL = f"SELECT {COLUMNS} FROM tasks WHERE tasks.user_id = $1::VARCHAR AND tasks.id = $2::BIGINT"
INSERT_SQL = (
    "INSERT INTO tasks (user_id, title, description, completed, due_at, priority, tags, created_at, "
    "updated_at) VALUES ($1::VARCHAR, $2::VARCHAR, $3::VARCHAR, $4::BOOLEAN, "
    "$5::TIMESTAMP WITH TIME ZONE, $6::SMALLINT, $7::JSONB, $8::TIMESTAMP WITH TIME ZONE, "
    f"$9::TIMESTAMP WITH TIME ZONE) RETURNING {COLUMNS}"
)

PRIORITY_NAMES = {rank: priority.value for priority, rank in PRIORITY_RANK.items()}
RANK_BY_NAME = {priority.value: rank for priority, rank in PRIORITY_RANK.items()}
DEFAULT_SORT = "-created_at"
DEFAULT_LIMIT, MAX_LIMIT = 50, 100
MAX_TASK_ID = 2**63 - 1
# The default list's cursor fingerprint and next-page link, as impl/tasks/handler.py builds them.
DEFAULT_FINGERPRINT = query_fingerprint("all", DEFAULT_SORT, None, None)
JSON = b"application/json"
PROBLEM = b"application/problem+json"

# TaskCreate's rules (openapi/tasks.yaml), checked by hand instead of by jsonschema and pydantic.
CREATE_FIELDS = frozenset({"title", "description", "due_at", "priority", "tags"})
MAX_TITLE, MAX_DESCRIPTION, MAX_TAG, MAX_TAGS = 200, 2000, 50, 20
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
OUT_OF_RANGE_DAYS = ("0001-01-01", "9999-12-31")


class BadRequest(ApiError):
    status = 400
    detail = "The request does not match the contract."


def task_json(row: asyncpg.Record) -> dict[str, Any]:
    """A row as the contract's Task; orjson renders the UTC date-times with `Z`, as pydantic does."""
    id_, user_id, title, description, completed, completed_at, due_at, priority, tags, created, updated = row
    return {
        "id": id_,
        "user_id": user_id,
        "title": title,
        "description": description,
        "completed": completed,
        "completed_at": completed_at,
        "due_at": due_at,
        "priority": PRIORITY_NAMES[priority],
        "tags": tags,
        "created_at": created,
        "updated_at": updated,
    }


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=orjson.OPT_UTC_Z)


def _text(value: object, maximum: int) -> str:
    if not isinstance(value, str) or len(value) > maximum or "\x00" in value:
        raise BadRequest()
    return value


def _due_at(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or not RFC3339.fullmatch(value) or value.startswith(OUT_OF_RANGE_DAYS):
        raise BadRequest()
    try:
        return datetime.fromisoformat(value.upper()).astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadRequest() from None


def _tags(value: object) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_TAGS or len(set(map(str, value))) != len(value):
        raise BadRequest()
    for tag in value:
        _text(tag, MAX_TAG)
        if not tag or tag[0] in CONTRACT_WHITESPACE or tag[-1] in CONTRACT_WHITESPACE:
            raise BadRequest()
    return value


def create_values(body: object) -> tuple[str, str | None, datetime | None, int, list[str]]:
    """title, description, due_at (UTC), priority rank, tags of a valid TaskCreate body."""
    if not isinstance(body, dict) or "title" not in body or not CREATE_FIELDS.issuperset(body):
        raise BadRequest()
    title = _text(body["title"], MAX_TITLE).strip(CONTRACT_WHITESPACE)
    description = body.get("description")
    priority = RANK_BY_NAME.get(body.get("priority", "medium"))
    if not title or priority is None:
        raise BadRequest()
    return (
        title,
        None if description is None else _text(description, MAX_DESCRIPTION),
        _due_at(body.get("due_at")),
        priority,
        _tags(body.get("tags", [])),
    )


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def _limit(query_string: bytes) -> int:
    limit = DEFAULT_LIMIT
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        # Only the benchmarked request; anything else is outside what this bound claims to do.
        if name != "limit" or not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
            raise BadRequest("The lean bound serves only the default list with a limit.")
        limit = int(value)
    return limit


def _task_id(segment: str) -> int:
    if not segment.isdigit() or not 1 <= int(segment) <= MAX_TASK_ID:
        raise BadRequest()
    return int(segment)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _init_connection(connection: asyncpg.Connection) -> None:
    # JSONB as the service reads and writes it: decoded and encoded by orjson.
    await connection.set_type_codec(
        "jsonb",
        encoder=lambda value: orjson.dumps(value).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
        format="text",
    )


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """No reset when a connection returns to the pool, as in the service: each request runs one
    statement in autocommit, so nothing is left to reset. asyncpg's default reset would be a second
    round trip per request (RESET ALL, UNLISTEN *, …) that the service does not make."""


class LeanApp:
    """A bare ASGI app; `start()` opens the pool (the lifespan does it under uvicorn)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        verifier = TokenVerifier.from_settings(self.settings)
        self.tokens = VerifiedTokens(
            verifier,
            self.settings.jwt_leeway_seconds,
            max_age_seconds=self.settings.jwks_cache_ttl_seconds,
        )
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("LeanApp.start() was not awaited")
        return self._pool

    async def start(self) -> None:
        database = self.settings.database
        size = self.settings.db_pool_size + self.settings.db_max_overflow
        self._pool = await asyncpg.create_pool(
            make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False),
            min_size=size,
            max_size=size,
            statement_cache_size=self.settings.statement_cache_size,
            init=_init_connection,
            reset=_keep_session,
            **database.connect_args,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, body, headers = await self._route(scope, receive)
            media_type = JSON
        except ApiError as exc:
            problem = {"type": "about:blank", "status": exc.status, "detail": exc.detail}
            status, body, media_type = exc.status, dumps(problem), PROBLEM
            headers = [(name.lower().encode(), value.encode()) for name, value in exc.headers.items()]
        start_headers = [
            (b"content-type", media_type),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ]
        await send({"type": "http.response.start", "status": status, "headers": start_headers})
        await send({"type": "http.response.body", "body": body})

    async def _route(self, scope: Scope, receive: Receive) -> Answer:
        path, method = scope["path"], scope["method"]
        if path == "/readyz":
            await self.pool.fetchval("SELECT 1")
            return 200, b'{"status":"ok"}', []
        if path == TASKS_PATH and method == "GET":
            return await self.list_tasks(await self._user(scope), _limit(scope["query_string"]))
        if path == TASKS_PATH and method == "POST":
            user_id = await self._user(scope)
            return await self.create_task(user_id, await _body(receive))
        if path.startswith(TASKS_PATH + "/") and method == "GET":
            return await self.get_task(await self._user(scope), _task_id(path[len(TASKS_PATH) + 1 :]))
        raise NotFound("No such route in the lean bound.")

    async def _user(self, scope: Scope) -> str:
        # As impl/auth/dependency.py reads the bearer token.
        scheme, _, token = _header(scope, b"authorization").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized()
        return await self.tokens.user_id(token.strip())

    async def list_tasks(self, user_id: str, limit: int) -> Answer:
        rows = await self.pool.fetch(LIST_SQL, user_id, limit + 1)
        page = rows[:limit]
        headers = []
        if len(rows) > limit:
            last = page[-1]
            cursor = encode_cursor(Cursor(last["created_at"], last["id"]), DEFAULT_FINGERPRINT)
            link = f'<{TASKS_PATH}?status=all&sort={DEFAULT_SORT}&limit={limit}&cursor={cursor}>; rel="next"'
            headers.append((b"link", link.encode()))
        return 200, dumps([task_json(row) for row in page]), headers

    async def get_task(self, user_id: str, task_id: int) -> Answer:
        row = await self.pool.fetchrow(GET_SQL, user_id, task_id)
        if row is None:
            raise NotFound()
        return 200, dumps(task_json(row)), []

    async def create_task(self, user_id: str, raw: bytes) -> Answer:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BadRequest("The request body is not valid JSON.") from None
        title, description, due_at, priority, tags = create_values(body)
        at = datetime.now(UTC)
        row = await self.pool.fetchrow(
            INSERT_SQL, user_id, title, description, False, due_at, priority, tags, at, at
        )
        return 201, dumps(task_json(row)), [(b"location", f"{TASKS_PATH}/{row['id']}".encode())]


if __name__ == "__main__":
    from impl.serve import serve

    serve("bench.lean_main:app")
