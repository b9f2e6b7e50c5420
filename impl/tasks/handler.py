"""The tasks handler: one method per operation tagged `tasks`, satisfying generated.interface.TasksHandler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar
from urllib.parse import quote_plus

from pydantic import BaseModel, TypeAdapter
from starlette.requests import Request
from starlette.responses import Response

from generated import models
from generated.interface import TasksHandler
from generated.routes import PATHS
from impl.db import RequestDatabase
from impl.errors import NotFound, PreconditionFailed, PreconditionRequired
from impl.handler_context import handler_context
from impl.idempotency import IdempotencyKeys, KeyedRequest, request_fingerprint
from impl.settings import Settings
from impl.tasks.cursor import Cursor, CursorCodec, query_fingerprint
from impl.tasks.etags import if_match_versions, none_match, page_etag, task_etag
from impl.tasks.mapping import editable_values, render_task, render_tasks, to_task
from impl.tasks.repository import (
    ID,
    SORT_POSITIONS,
    SORT_VALUE_TYPES,
    VERSION,
    ListQuery,
    TaskRecord,
    TaskRepository,
)
from kit.http import NOT_MODIFIED, NotModified, Rendered
from kit.problems import Problem

COMPLETED_FILTER = {
    models.StatusFilter.all: None,
    models.StatusFilter.pending: False,
    models.StatusFilter.completed: True,
}
# Render what a keyed write stores exactly as the generated routes render it.
TASK_JSON = TypeAdapter(models.Task)
BULK_RESULT_JSON = TypeAdapter(models.BulkResult)
CLEAR_RESULT_JSON = TypeAdapter(models.ClearResult)
Written = TypeVar("Written", bound=BaseModel)


def _found(row: TaskRecord | None) -> models.Task:
    if row is None:
        raise NotFound()
    return to_task(row)


class TaskQuotaExceeded(Problem):
    status = 409

    def __init__(self, max_tasks: int) -> None:
        super().__init__(
            f"You already have {max_tasks} tasks, the most one user may keep; delete some to create more."
        )


def _tagged(response: Response, task: models.Task) -> models.Task:
    response.headers["ETag"] = task_etag(task.id, task.version)
    return task


def _body_bytes(body: BaseModel | None) -> bytes:
    # Only the fields the client sent: `{}` and `{"title": …}` are different merge patches.
    return body.model_dump_json(exclude_unset=True).encode() if body is not None else b""


def next_page_query(
    status: models.StatusFilter,
    sort: models.TaskSort,
    q: str | None,
    tag: str | None,
    limit: int,
    cursor: str,
) -> str:
    """The next page's query string, as `urlencode` writes it for the same parameters (tests/
    test_listing.py proves it): only the client's own text (q, tag) needs quoting, as the contract's
    enum values, the limit and the URL-safe cursor are written as they are; `urlencode` quoted every
    one (~20 µs of a list request with a next page, profiled)."""
    query = f"status={status.value}&sort={sort.value}"
    if q is not None:
        query += "&q=" + quote_plus(q)
    if tag is not None:
        query += "&tag=" + quote_plus(tag)
    return f"{query}&limit={limit}&cursor={cursor}"


class TaskHandler:
    def __init__(self, database: RequestDatabase, cursors: CursorCodec, settings: Settings) -> None:
        self._database = database
        self._cursors = cursors
        self._settings = settings

    def _tasks(self, user_id: str) -> TaskRepository:
        return TaskRepository(self._database, user_id)

    async def list_tasks(
        self,
        *,
        user_id: str,
        response: Response,
        status: models.StatusFilter,
        sort: models.TaskSort,
        q: str | None,
        tag: str | None,
        limit: int,
        cursor: str | None,
        if_none_match: str | None,
    ) -> list[models.Task] | NotModified | Rendered:
        sort_key = sort.value.lstrip("-")
        fingerprint = query_fingerprint(status.value, sort.value, q, tag)
        after = (
            self._cursors.decode(cursor, user_id, fingerprint, SORT_VALUE_TYPES[sort_key]) if cursor else None
        )
        query = ListQuery(COMPLETED_FILTER[status], sort.value, q, tag, limit, after)
        rows = await self._tasks(user_id).list(query)
        page, more = rows[:limit], len(rows) > limit
        if more:
            last = page[-1]
            next_cursor = self._cursors.encode(
                Cursor(last[SORT_POSITIONS[sort_key]], last[ID]), user_id, fingerprint
            )
            query_string = next_page_query(status, sort, q, tag, limit, next_cursor)
            response.headers["Link"] = f'<{PATHS["listTasks"]}?{query_string}>; rel="next"'
        etag = page_etag(((row[ID], row[VERSION]) for row in page), more)
        response.headers["ETag"] = etag
        if if_none_match is not None and none_match(if_none_match, etag):
            return NOT_MODIFIED
        return Rendered(render_tasks(page))

    async def create_task(
        self, *, user_id: str, response: Response, idempotency_key: str | None, body: models.TaskCreate
    ) -> models.Task | Rendered:
        max_tasks = self._settings.max_tasks_per_user

        async def create() -> Rendered:
            row = await self._tasks(user_id).create(editable_values(body), max_tasks)
            if row is None:
                raise TaskQuotaExceeded(max_tasks)
            response.headers["Location"] = PATHS["getTask"].format(task_id=row[ID])
            response.headers["ETag"] = task_etag(row[ID], row[VERSION])
            return Rendered(render_task(row))

        keyed = self._keyed(idempotency_key, "POST", PATHS["createTask"], body)
        return await self._write_once(user_id, keyed, response, 201, create, TASK_JSON)

    async def get_task(
        self, *, user_id: str, response: Response, task_id: int, if_none_match: str | None
    ) -> models.Task | NotModified | Rendered:
        row = await self._tasks(user_id).get(task_id)
        if row is None:
            raise NotFound()
        etag = response.headers["ETag"] = task_etag(row[ID], row[VERSION])
        if if_none_match is not None and none_match(if_none_match, etag):
            return NOT_MODIFIED
        return Rendered(render_task(row))

    async def replace_task(
        self,
        *,
        user_id: str,
        response: Response,
        task_id: int,
        if_match: str | None,
        idempotency_key: str | None,
        body: models.TaskReplace,
    ) -> models.Task | Rendered:
        versions = self._precondition(if_match, task_id)

        async def replace() -> models.Task:
            tasks = self._tasks(user_id)
            row = await tasks.update(task_id, editable_values(body), versions)
            return _tagged(response, await self._written(tasks, task_id, row, versions))

        keyed = self._keyed(idempotency_key, "PUT", PATHS["replaceTask"].format(task_id=task_id), body)
        return await self._write_once(user_id, keyed, response, 200, replace, TASK_JSON)

    async def patch_task(
        self,
        *,
        user_id: str,
        response: Response,
        task_id: int,
        if_match: str | None,
        idempotency_key: str | None,
        body: models.TaskPatch,
    ) -> models.Task | Rendered:
        versions = self._precondition(if_match, task_id)
        values = editable_values(body)

        async def patch() -> models.Task:
            tasks = self._tasks(user_id)
            if not values:
                # An empty merge patch modifies nothing, so neither version nor updated_at moves.
                return _tagged(response, await self._unchanged(tasks, task_id, versions))
            row = await tasks.update(task_id, values, versions)
            return _tagged(response, await self._written(tasks, task_id, row, versions))

        keyed = self._keyed(idempotency_key, "PATCH", PATHS["patchTask"].format(task_id=task_id), body)
        return await self._write_once(user_id, keyed, response, 200, patch, TASK_JSON)

    async def complete_task(
        self,
        *,
        user_id: str,
        response: Response,
        task_id: int,
        if_match: str | None,
        idempotency_key: str | None,
        body: models.CompletionUpdate | None,
    ) -> models.Task | Rendered:
        versions = self._precondition(if_match, task_id)
        completed = body.completed if body is not None else None

        async def complete() -> models.Task:
            tasks = self._tasks(user_id)
            row = await tasks.set_completion(task_id, completed, versions)
            return _tagged(response, await self._written(tasks, task_id, row, versions))

        keyed = self._keyed(idempotency_key, "PATCH", PATHS["completeTask"].format(task_id=task_id), body)
        return await self._write_once(user_id, keyed, response, 200, complete, TASK_JSON)

    async def delete_task(
        self,
        *,
        user_id: str,
        response: Response,
        task_id: int,
        if_match: str | None,
        idempotency_key: str | None,
    ) -> None:
        versions = self._precondition(if_match, task_id)

        async def delete() -> None:
            tasks = self._tasks(user_id)
            if not await tasks.delete(task_id, versions):
                await self._written(tasks, task_id, None, versions)

        keyed = self._keyed(idempotency_key, "DELETE", PATHS["deleteTask"].format(task_id=task_id), None)
        if keyed is None:
            return await delete()
        await self._keys(user_id).run_once(keyed, response, 204, delete)
        return None

    # Conditions: If-Match is evaluated by the write itself; these read what it says and explain a miss.

    def _precondition(self, if_match: str | None, task_id: int) -> list[int] | None:
        """The versions the write may change (None: any); [] when no tag can match this task."""
        if if_match is None:
            if self._settings.require_if_match:
                raise PreconditionRequired()
            return None
        return if_match_versions(if_match, task_id)

    @staticmethod
    async def _written(
        tasks: TaskRepository, task_id: int, row: TaskRecord | None, versions: list[int] | None
    ) -> models.Task:
        """The written task; or, when the write matched nothing, why: 404, or 412 with the current ETag.

        The follow-up read is scoped to the user like every statement, so another user's task is a
        404 here too, and a 412 never reveals that someone else's task exists.
        """
        if row is not None:
            return to_task(row)
        if versions is None:
            raise NotFound()
        current = _found(await tasks.get(task_id))
        raise PreconditionFailed(task_etag(current.id, current.version))

    @staticmethod
    async def _unchanged(tasks: TaskRepository, task_id: int, versions: list[int] | None) -> models.Task:
        current = _found(await tasks.get(task_id))
        if versions is not None and current.version not in versions:
            raise PreconditionFailed(task_etag(current.id, current.version))
        return current

    # Idempotency-Key: a keyed write runs in IdempotencyKeys.run_once, which stores or replays its response.

    @staticmethod
    def _keyed(key: str | None, method: str, path: str, body: BaseModel | None) -> KeyedRequest | None:
        if key is None:
            return None
        return KeyedRequest(key, request_fingerprint(method, path, _body_bytes(body)))

    def _keys(self, user_id: str) -> IdempotencyKeys:
        retention = timedelta(seconds=self._settings.idempotency_retention_seconds)
        return IdempotencyKeys(self._database, user_id, retention)

    async def _write_once(
        self,
        user_id: str,
        keyed: KeyedRequest | None,
        response: Response,
        status: int,
        write: Callable[[], Awaitable[Written | Rendered]],
        rendering: TypeAdapter[Written],
    ) -> Written | Rendered:
        """`write`'s result; for a keyed request, the bytes stored with the key, rendered as a route would."""
        if keyed is None:
            return await write()

        async def rendered() -> bytes:
            written = await write()
            return written.content if isinstance(written, Rendered) else rendering.dump_json(written)

        content = await self._keys(user_id).run_once(keyed, response, status, rendered)
        assert content is not None, "a write with a body always stores it"
        return Rendered(content)

    async def bulk_update_tasks(
        self, *, user_id: str, response: Response, idempotency_key: str | None, body: models.BulkRequest
    ) -> models.BulkResult | Rendered:
        async def update() -> models.BulkResult:
            return await self._bulk_update(user_id, body)

        keyed = self._keyed(idempotency_key, "POST", PATHS["bulkUpdateTasks"], body)
        return await self._write_once(user_id, keyed, response, 200, update, BULK_RESULT_JSON)

    async def _bulk_update(self, user_id: str, body: models.BulkRequest) -> models.BulkResult:
        ids = [task_id.root for task_id in body.ids]
        tasks = self._tasks(user_id)
        if body.action is models.BulkAction.delete:
            deleted = set(await tasks.delete_many(ids))
            return models.BulkResult(
                results=[_bulk_outcome(i, models.BulkStatus.deleted if i in deleted else None) for i in ids]
            )
        completed = body.action is models.BulkAction.complete
        updated = {row[ID]: row for row in await tasks.set_completion_of_many(ids, completed)}
        return models.BulkResult(
            results=[
                _bulk_outcome(i, models.BulkStatus.updated, updated[i])
                if i in updated
                else _bulk_outcome(i, None)
                for i in ids
            ]
        )

    async def clear_completed_tasks(
        self, *, user_id: str, response: Response, idempotency_key: str | None
    ) -> models.ClearResult | Rendered:
        async def clear() -> models.ClearResult:
            return models.ClearResult(deleted=await self._tasks(user_id).delete_completed())

        keyed = self._keyed(idempotency_key, "DELETE", PATHS["clearCompletedTasks"], None)
        return await self._write_once(user_id, keyed, response, 200, clear, CLEAR_RESULT_JSON)


def _bulk_outcome(
    task_id: int, status: models.BulkStatus | None, row: TaskRecord | None = None
) -> models.BulkOutcome:
    """A missing task and another user's task are the same outcome: not_found."""
    return models.BulkOutcome(
        id=task_id,
        status=status or models.BulkStatus.not_found,
        task=to_task(row) if row is not None else None,
    )


def _task_handler(database: RequestDatabase, request: Request) -> TasksHandler:
    return TaskHandler(database, request.app.state.cursors, request.app.state.settings)


# The generated routes leave this block before the response is sent, so the commit runs first: an
# acknowledged write is durable.
task_handler = handler_context(_task_handler)
