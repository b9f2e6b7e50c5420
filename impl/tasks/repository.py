"""Task persistence, scoped to one user: there is no unscoped statement.

The single-task statements are built once with the `_OWNED_TASK` condition (owner and id bound per
call); lists are built per request from `owned_by()`. A repository cannot exist without its user id.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import Select
from sqlalchemy.sql.expression import type_coerce

from generated import models
from impl.db import RequestDatabase
from impl.tables import TaskRow
from impl.tasks.cursor import Cursor

# Plain rows of the table, not ORM instances: a page of 50 ORM objects costs more CPU than the query.
TASKS: Table = TaskRow.__table__  # type: ignore[attr-defined]
COLUMNS = TASKS.c
TaskRecord = Row[*tuple[Any, ...]]
# Every statement returns whole rows in the table's column order (mapping.to_task reads them so).
ROW_COLUMNS = tuple(COLUMNS.keys())

# The contract's sort keys without their direction ("-" means descending); ties break on id.
SORT_KEYS = tuple(dict.fromkeys(sort.value.lstrip("-") for sort in models.TaskSort))
SORT_COLUMNS: dict[str, Any] = {key: COLUMNS[key] for key in SORT_KEYS}
# What a cursor's sort value must decode to, straight from the column types.
SORT_VALUE_TYPES: dict[str, type[Any]] = {
    key: column.type.python_type for key, column in SORT_COLUMNS.items()
}
NULLABLE_SORT_KEYS = {"due_at"}

# The single-task statements are built once: building one (and its cache key) per request costs
# more than executing it. Each is scoped to the caller's user id.
# (Parameter names must differ from column names, which UPDATE reserves for its SET clause.)
_OWNED_TASK = and_(COLUMNS.user_id == bindparam("owner"), COLUMNS.id == bindparam("task_id"))
SELECT_OWNED_TASK = select(TASKS).where(_OWNED_TASK)
DELETE_OWNED_TASK = delete(TASKS).where(_OWNED_TASK).returning(COLUMNS.id)
INSERT_TASK = insert(TASKS).returning(*COLUMNS)


def _bumped_version() -> dict[str, Any]:
    """The SET entry every modifying statement carries: the ETag changes with every change."""
    return {"version": COLUMNS.version + 1}


def _version_in() -> ColumnElement[bool]:
    """If-Match in the write itself: the row changes only if its version is one the client named.

    Checked by the same UPDATE/DELETE that writes, so of concurrent writers holding one ETag exactly
    one matches; the others find the version already bumped (PostgreSQL re-checks the condition on
    the row it waited for; SQLite runs one writer at a time).
    """
    return COLUMNS.version.in_(bindparam("versions", expanding=True))


DELETE_OWNED_TASK_IF_VERSION = DELETE_OWNED_TASK.where(_version_in())


@dataclass(frozen=True)
class ListQuery:
    completed: bool | None
    sort: str
    search: str | None
    tag: str | None
    limit: int
    after: Cursor | None


def now() -> datetime:
    return datetime.now(UTC)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _completion(target: ColumnElement[bool], at: Any) -> dict[str, Any]:
    """`completed` set to `target`; `completed_at` kept if it already was complete, else now or NULL."""
    kept_or_now = case((COLUMNS.completed, COLUMNS.completed_at), else_=at)
    return {"completed": target, "completed_at": case((target, kept_or_now), else_=None)}


_CHANGED_AT = bindparam("at", type_=COLUMNS.updated_at.type)
TOGGLE_OWNED_TASK = (
    update(TASKS)
    .where(_OWNED_TASK)
    .values(
        {**_completion(not_(COLUMNS.completed), _CHANGED_AT), "updated_at": _CHANGED_AT, **_bumped_version()}
    )
    .returning(*COLUMNS)
)
TOGGLE_OWNED_TASK_IF_VERSION = TOGGLE_OWNED_TASK.where(_version_in())


class TaskRepository:
    def __init__(self, database: RequestDatabase, user_id: str) -> None:
        self._database = database
        self._user_id = user_id

    def owned_by(self) -> ColumnElement[bool]:
        return COLUMNS.user_id == self._user_id

    def _owned_task(self, task_id: int, versions: list[int] | None = None) -> dict[str, Any]:
        """The bound parameters of a single-task statement; `versions` those of its If-Match condition."""
        owned: dict[str, Any] = {"owner": self._user_id, "task_id": task_id}
        if versions is not None:
            owned["versions"] = versions
        return owned

    async def create(self, values: dict[str, Any]) -> TaskRecord:
        """One INSERT … RETURNING, the new row as stored."""
        at = now()
        row = {"completed": False, **values, "user_id": self._user_id, "created_at": at, "updated_at": at}
        return (await self._database.execute(INSERT_TASK, row)).one()

    async def get(self, task_id: int) -> TaskRecord | None:
        return (await self._database.execute(SELECT_OWNED_TASK, self._owned_task(task_id))).first()

    async def update(
        self, task_id: int, values: dict[str, Any], versions: list[int] | None = None
    ) -> TaskRecord | None:
        """One atomic UPDATE … RETURNING: concurrent updates of other fields are never lost.

        With `versions`, only a row at one of them is changed (If-Match); None when nothing matched.
        """
        at = now()
        changes = {name: value for name, value in values.items() if name != "completed"}
        if "completed" in values:
            changes |= _completion(literal(values["completed"]), at)
        statement = (
            update(TASKS)
            .where(_OWNED_TASK)
            .values({**changes, "updated_at": at, **_bumped_version()})
            .returning(*COLUMNS)
        )
        if versions is not None:
            statement = statement.where(_version_in())
        return (await self._database.execute(statement, self._owned_task(task_id, versions))).first()

    async def set_completion(
        self, task_id: int, completed: bool | None, versions: list[int] | None = None
    ) -> TaskRecord | None:
        """Set completion, or toggle it when `completed` is None, in one statement."""
        if completed is None:
            statement = TOGGLE_OWNED_TASK if versions is None else TOGGLE_OWNED_TASK_IF_VERSION
            return (
                await self._database.execute(statement, {**self._owned_task(task_id, versions), "at": now()})
            ).first()
        return await self.update(task_id, {"completed": completed}, versions)

    async def delete(self, task_id: int, versions: list[int] | None = None) -> bool:
        statement = DELETE_OWNED_TASK if versions is None else DELETE_OWNED_TASK_IF_VERSION
        return (
            await self._database.execute(statement, self._owned_task(task_id, versions))
        ).first() is not None

    async def list(self, query: ListQuery) -> list[TaskRecord]:
        """Up to `limit + 1` rows after the cursor, so the caller knows whether a next page exists."""
        return list((await self._database.execute(self.list_statement(query))).all())

    def list_statement(self, query: ListQuery) -> Select[Any]:
        statement = self._filtered(query)
        column = SORT_COLUMNS[query.sort.lstrip("-")]
        descending = query.sort.startswith("-")
        if query.after is not None:
            statement = statement.where(self._after(query, column, descending, query.after))
        ordering = column.desc() if descending else column.asc()
        if query.sort.lstrip("-") in NULLABLE_SORT_KEYS:
            ordering = ordering.nulls_last()
        tie_breaker = COLUMNS.id.desc() if descending else COLUMNS.id.asc()
        return statement.order_by(ordering, tie_breaker).limit(query.limit + 1)

    def _filtered(self, query: ListQuery) -> Select[Any]:
        statement = select(TASKS).where(self.owned_by())
        if query.completed is not None:
            statement = statement.where(COLUMNS.completed == query.completed)
        if query.search is not None:
            pattern = f"%{_escape_like(query.search)}%"
            statement = statement.where(
                or_(
                    COLUMNS.title.ilike(pattern, escape="\\"), COLUMNS.description.ilike(pattern, escape="\\")
                )
            )
        if query.tag is not None:
            statement = statement.where(self._has_tag(query.tag))
        return statement

    def _has_tag(self, tag: str) -> ColumnElement[bool]:
        if self._database.dialect == "postgresql":
            return type_coerce(COLUMNS.tags, JSONB).contains([tag])
        element = func.json_each(COLUMNS.tags).table_valued("value")
        return exists(select(element.c.value).where(element.c.value == tag))

    @staticmethod
    def _after(query: ListQuery, column: Any, descending: bool, cursor: Cursor) -> ColumnElement[bool]:
        beyond = operator.lt if descending else operator.gt
        task_id = COLUMNS.id
        if query.sort.lstrip("-") not in NULLABLE_SORT_KEYS:
            return beyond(tuple_(column, task_id), tuple_(cursor.value, cursor.task_id))  # type: ignore[no-any-return]
        # NULLs sort last in both directions, so they follow every non-null value.
        if cursor.value is None:
            return and_(column.is_(None), beyond(task_id, cursor.task_id))
        return or_(
            beyond(column, cursor.value),
            and_(column == cursor.value, beyond(task_id, cursor.task_id)),
            column.is_(None),
        )
