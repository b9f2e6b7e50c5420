"""The tasks handler: one method per operation tagged `tasks`, satisfying generated.interface.TasksHandler."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request, Response

from generated import models
from generated.interface import TasksHandler
from generated.routes import PATHS
from impl.db import DatabaseDep, RequestDatabase
from impl.errors import NotFound
from impl.tasks.cursor import Cursor, CursorCodec, query_fingerprint
from impl.tasks.mapping import editable_values, to_task
from impl.tasks.repository import SORT_VALUE_TYPES, ListQuery, TaskRecord, TaskRepository
from kit.problems import Problem

COMPLETED_FILTER = {
    models.StatusFilter.all: None,
    models.StatusFilter.pending: False,
    models.StatusFilter.completed: True,
}


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


class TaskHandler:
    def __init__(self, database: RequestDatabase, cursors: CursorCodec, max_tasks: int) -> None:
        self._database = database
        self._cursors = cursors
        self._max_tasks = max_tasks

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
    ) -> list[models.Task]:
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
            next_cursor = self._cursors.encode(Cursor(getattr(last, sort_key), last.id), user_id, fingerprint)
            params = {"status": status.value, "sort": sort.value, "q": q, "tag": tag, "limit": limit}
            query_string = urlencode(
                {k: v for k, v in params.items() if v is not None} | {"cursor": next_cursor}
            )
            response.headers["Link"] = f'<{PATHS["listTasks"]}?{query_string}>; rel="next"'
        return [to_task(row) for row in page]

    async def create_task(self, *, user_id: str, response: Response, body: models.TaskCreate) -> models.Task:
        row = await self._tasks(user_id).create(editable_values(body), self._max_tasks)
        if row is None:
            raise TaskQuotaExceeded(self._max_tasks)
        task = to_task(row)
        response.headers["Location"] = PATHS["getTask"].format(task_id=task.id)
        return task

    async def get_task(self, *, user_id: str, task_id: int) -> models.Task:
        return _found(await self._tasks(user_id).get(task_id))

    async def replace_task(self, *, user_id: str, task_id: int, body: models.TaskReplace) -> models.Task:
        return _found(await self._tasks(user_id).update(task_id, editable_values(body)))

    async def patch_task(self, *, user_id: str, task_id: int, body: models.TaskPatch) -> models.Task:
        values = editable_values(body)
        tasks = self._tasks(user_id)
        # An empty merge patch modifies nothing, so updated_at stays as it was.
        return _found(await tasks.update(task_id, values) if values else await tasks.get(task_id))

    async def complete_task(
        self, *, user_id: str, task_id: int, body: models.CompletionUpdate | None
    ) -> models.Task:
        completed = body.completed if body is not None else None
        return _found(await self._tasks(user_id).set_completion(task_id, completed))

    async def delete_task(self, *, user_id: str, task_id: int) -> None:
        if not await self._tasks(user_id).delete(task_id):
            raise NotFound()

    async def bulk_update_tasks(self, *, user_id: str, body: models.BulkRequest) -> models.BulkResult:
        ids = [task_id.root for task_id in body.ids]
        tasks = self._tasks(user_id)
        if body.action is models.BulkAction.delete:
            deleted = set(await tasks.delete_many(ids))
            return models.BulkResult(
                results=[_bulk_outcome(i, models.BulkStatus.deleted if i in deleted else None) for i in ids]
            )
        completed = body.action is models.BulkAction.complete
        updated = {row.id: row for row in await tasks.set_completion_of_many(ids, completed)}
        return models.BulkResult(
            results=[
                _bulk_outcome(i, models.BulkStatus.updated, updated[i])
                if i in updated
                else _bulk_outcome(i, None)
                for i in ids
            ]
        )

    async def clear_completed_tasks(self, *, user_id: str) -> models.ClearResult:
        return models.ClearResult(deleted=await self._tasks(user_id).delete_completed())


def _bulk_outcome(
    task_id: int, status: models.BulkStatus | None, row: TaskRecord | None = None
) -> models.BulkOutcome:
    """A missing task and another user's task are the same outcome: not_found."""
    return models.BulkOutcome(
        id=task_id,
        status=status or models.BulkStatus.not_found,
        task=to_task(row) if row is not None else None,
    )


# Async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request
# that also caps concurrency at the pool's 40 threads.
async def task_handler(request: Request, database: DatabaseDep) -> TasksHandler:
    return TaskHandler(database, request.app.state.cursors, request.app.state.settings.max_tasks_per_user)
