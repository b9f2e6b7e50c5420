"""The lean bound: the service's list, get and create with nothing above the work itself.

The same work as `python -m impl.serve` on PostgreSQL for `GET /api/tasks` (the default sort, `limit`
only), `GET /api/tasks/{id}` and `POST /api/tasks`: the address and user rate limits counted by the
service's own RateLimiter and storage (memory unless configured: a lean bound without them would
measure a different service), the project's token verifier with its memo of verified tokens, the
service's own statements compiled once with the asyncpg dialect (impl/compiled.py: the same SQL
text) and run as asyncpg prepared statements, the create in a READ COMMITTED transaction with the
per-user advisory lock and the stamped, capped INSERT … SELECT, the body checked against
TaskCreate's contract rules by hand, rows rendered as the contract's `Task` JSON (with `version`)
by orjson, and the same headers: ETag (a page's for a list), Link with a sealed cursor, Location,
RateLimit-Policy/RateLimit and the security headers. No framework: bare ASGI routing, served
through the same uvicorn options (`python -m bench.lean`).

It is the yardstick of the benchmark, not part of the product: every operation is also reported as a
fraction of it. tests/test_lean_bound.py proves it answers exactly what the service answers.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
import orjson
from sqlalchemy.engine import make_url
from starlette.requests import Request

from impl.auth import TokenVerifier
from impl.auth.dependency import MAX_TOKEN_BYTES
from impl.auth.verified_tokens import VerifiedTokens
from impl.compiled import CompiledStatement, compile_for_asyncpg
from impl.errors import NotFound, Unauthorized
from impl.limits import PRIVATE_SECURITY_HEADERS
from impl.ratelimit import RateLimiter, TooManyRequests, Usage, client_address, rate_limit_headers
from impl.settings import Settings
from impl.tables import PRIORITY_RANK
from impl.tasks.cursor import Cursor, CursorCodec, query_fingerprint
from impl.tasks.etags import page_etag, task_etag
from impl.tasks.mapping import CONTRACT_WHITESPACE, TASK_FIELDS
from impl.tasks.repository import (
    LOCK_USER_TASK_QUOTA,
    SELECT_OWNED_TASK,
    ListShape,
    _insert_within_quota,
    _list_statement,
)
from kit.problems import Problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]

TASKS_PATH = "/api/tasks"
DEFAULT_SORT = "-created_at"
DEFAULT_LIMIT, MAX_LIMIT = 50, 100
MAX_TASK_ID = 2**63 - 1

# The service's own statements (impl/tasks/repository.py, impl/sync/sequence.py), compiled once with
# the asyncpg dialect: the same SQL text the service sends.
LIST = compile_for_asyncpg(_list_statement(ListShape("postgresql", False, DEFAULT_SORT, False, False, None)))
GET = compile_for_asyncpg(SELECT_OWNED_TASK)
LOCK = compile_for_asyncpg(LOCK_USER_TASK_QUOTA)
# The create's columns in the order impl/tasks/repository.py's create() names them for a full body.
CREATE_COLUMNS = (
    "completed",
    "title",
    "description",
    "due_at",
    "priority",
    "tags",
    "user_id",
    "created_at",
    "updated_at",
)
INSERT: CompiledStatement = compile_for_asyncpg(_insert_within_quota(CREATE_COLUMNS).postgresql)

PRIORITY_NAMES = {rank: priority.value for priority, rank in PRIORITY_RANK.items()}
RANK_BY_NAME = {priority.value: rank for priority, rank in PRIORITY_RANK.items()}
# The default list's cursor fingerprint, as impl/tasks/handler.py builds it.
DEFAULT_FINGERPRINT = query_fingerprint("all", DEFAULT_SORT, None, None)
JSON = b"application/json"
PROBLEM = b"application/problem+json"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The security headers impl/policies.py adds to every answer under /api.
SECURITY = PRIVATE_SECURITY_HEADERS

# TaskCreate's rules (openapi/tasks.yaml), checked by hand instead of by jsonschema and pydantic.
CREATE_FIELDS = frozenset({"title", "description", "due_at", "priority", "tags"})
MAX_TITLE, MAX_DESCRIPTION, MAX_TAG, MAX_TAGS = 200, 2000, 50, 20
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
OUT_OF_RANGE_DAYS = ("0001-01-01", "9999-12-31")


class BadRequest(Problem):
    status = 400
    detail = "The request does not match the contract."


def task_json(row: asyncpg.Record) -> dict[str, Any]:
    """A row as the contract's Task; orjson renders the UTC date-times with `Z`, as pydantic does."""
    task = {name: row[position] for position, name in TASK_FIELDS}
    task["priority"] = PRIORITY_NAMES[task["priority"]]
    return task


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
    """JSON and JSONB codecs as SQLAlchemy's asyncpg dialect registers them on the service's
    connections (binary format), decoding with orjson as impl/db.py's engine does."""
    await connection.set_type_codec(
        "json",
        encoder=str.encode,
        decoder=lambda raw: orjson.loads(raw),
        schema="pg_catalog",
        format="binary",
    )
    await connection.set_type_codec(
        "jsonb",
        encoder=lambda text: b"\x01" + text.encode(),
        decoder=lambda raw: orjson.loads(raw[1:]),
        schema="pg_catalog",
        format="binary",
    )


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """No reset when a connection returns to the pool, as in the service: reads run in autocommit and
    a create commits its own transaction, so nothing is left to reset. asyncpg's default reset would
    be a second round trip per request (RESET ALL, UNLISTEN *, …) that the service does not make."""


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
        self.cursors = CursorCodec(self.settings.cursor_key)
        # The service's limiter with its storage (memory unless configured): the same counts per request.
        self.limiter = RateLimiter.from_settings(self.settings)
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
        usages: list[Usage] = []
        try:
            status, body, headers = await self._route(scope, receive, usages)
            media_type = JSON
        except Problem as exc:
            problem = {"type": "about:blank", "status": exc.status, "detail": exc.detail}
            status, body, media_type = exc.status, dumps(problem), PROBLEM
            headers = [(name.lower().encode(), value.encode()) for name, value in exc.headers.items()]
        start_headers = [
            (b"content-type", media_type),
            (b"content-length", str(len(body)).encode()),
            *headers,
            *(rate_limit_headers(usages) if usages else ()),
            *SECURITY,
            # The service names every request (impl/observability/request_id.py); so does the bound.
            (b"x-request-id", secrets.token_hex(16).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": start_headers})
        await send({"type": "http.response.body", "body": body})

    async def _route(self, scope: Scope, receive: Receive, usages: list[Usage]) -> Answer:
        path, method = scope["path"], scope["method"]
        if path == "/readyz":
            await self.pool.fetchval("SELECT 1")
            return 200, b'{"status":"ok"}', []
        if path == TASKS_PATH and method == "GET":
            return await self.list_tasks(await self._user(scope, usages), _limit(scope["query_string"]))
        if path == TASKS_PATH and method == "POST":
            user_id = await self._user(scope, usages)
            return await self.create_task(user_id, await _body(receive))
        if path.startswith(TASKS_PATH + "/") and method == "GET":
            user_id = await self._user(scope, usages)
            return await self.get_task(user_id, _task_id(path[len(TASKS_PATH) + 1 :]))
        raise NotFound("No such route in the lean bound.")

    async def _user(self, scope: Scope, usages: list[Usage]) -> str:
        """As impl/auth/dependency.py's current_user: the address limit, the bearer token verified
        through the memo, then the user's limits (and the writes' for a write)."""
        limiter = self.limiter
        address = client_address(Request(scope))
        refused = await limiter.exhausted(limiter.failures, address)
        if refused is not None:
            self._refuse_if_exhausted([refused], usages)
        scheme, _, token = _header(scope, b"authorization").partition(" ")
        token = token.strip()
        try:
            if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_BYTES:
                raise Unauthorized()
            user_id = await self.tokens.user_id(token)
        except Unauthorized:
            usages.append(await limiter.count(limiter.failures, address))
            raise
        counted = [await limiter.count(limiter.user, user_id)]
        if scope["method"] in WRITE_METHODS:
            counted.append(await limiter.count(limiter.writes, user_id))
        self._refuse_if_exhausted(counted, usages)
        return user_id

    @staticmethod
    def _refuse_if_exhausted(counted: list[Usage], usages: list[Usage]) -> None:
        usages[:] = counted
        if any(usage.refused for usage in counted):
            raise TooManyRequests()

    async def list_tasks(self, user_id: str, limit: int) -> Answer:
        arguments = LIST.arguments({"owner": user_id, "page_limit": limit + 1})
        rows = await self.pool.fetch(LIST.sql, *arguments)
        page, more = rows[:limit], len(rows) > limit
        headers = []
        if more:
            last = page[-1]
            cursor = self.cursors.encode(Cursor(last["created_at"], last["id"]), user_id, DEFAULT_FINGERPRINT)
            link = f'<{TASKS_PATH}?status=all&sort={DEFAULT_SORT}&limit={limit}&cursor={cursor}>; rel="next"'
            headers.append((b"link", link.encode()))
        headers.append((b"etag", page_etag(((row["id"], row["version"]) for row in page), more).encode()))
        return 200, dumps([task_json(row) for row in page]), headers

    async def get_task(self, user_id: str, task_id: int) -> Answer:
        row = await self.pool.fetchrow(GET.sql, *GET.arguments({"owner": user_id, "task_id": task_id}))
        if row is None:
            raise NotFound()
        return 200, dumps(task_json(row)), [(b"etag", task_etag(row["id"], row["version"]).encode())]

    async def create_task(self, user_id: str, raw: bytes) -> Answer:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BadRequest("The request body is not valid JSON.") from None
        title, description, due_at, priority, tags = create_values(body)
        at = datetime.now(UTC)
        values = {
            "completed": False,
            "title": title,
            "description": description,
            "due_at": due_at,
            "priority": priority,
            "tags": tags,
            "user_id": user_id,
            "created_at": at,
            "updated_at": at,
            "owner": user_id,
            "max_tasks": self.settings.max_tasks_per_user,
        }
        async with self.pool.acquire() as connection, connection.transaction(isolation="read_committed"):
            await connection.fetchval(LOCK.sql, *LOCK.arguments({"owner": user_id}))
            row = await connection.fetchrow(INSERT.sql, *INSERT.arguments(values))
        if row is None:
            raise Conflict("The task cap is reached.")
        headers = [
            (b"location", f"{TASKS_PATH}/{row['id']}".encode()),
            (b"etag", task_etag(row["id"], row["version"]).encode()),
        ]
        return 201, dumps(task_json(row)), headers


class Conflict(Problem):
    status = 409


if __name__ == "__main__":
    import os

    from impl.serve import serve

    # It counts nothing to serve, and runs beside the service, whose metrics port it must leave free.
    os.environ["METRICS_ADDRESS"] = ""
    serve("bench.lean_main:app")
