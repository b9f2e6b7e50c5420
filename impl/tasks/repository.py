"""Task persistence. Every statement starts from `owned_by(user_id)`: there is no unscoped query."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.expression import type_coerce
from sqlmodel import col

from impl.tables import TaskRow
from impl.tasks.cursor import Cursor

# The contract's sort keys; a leading "-" means descending. Ties break on id in the same direction.
SORT_COLUMNS: dict[str, Any] = {
    "created_at": col(TaskRow.created_at),
    "updated_at": col(TaskRow.updated_at),
    "title": col(TaskRow.title),
    "due_at": col(TaskRow.due_at),
    "priority": col(TaskRow.priority),
}
NULLABLE_SORT_KEYS = {"due_at"}


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


def _completion(target: ColumnElement[bool], at: datetime) -> dict[str, Any]:
    """`completed` set to `target`; `completed_at` kept if it already was complete, else now or NULL."""
    kept_or_now = case((col(TaskRow.completed), col(TaskRow.completed_at)), else_=at)
    return {"completed": target, "completed_at": case((target, kept_or_now), else_=None)}


class TaskRepository:
    def __init__(self, session: AsyncSession, user_id: str) -> None:
        self._session = session
        self._user_id = user_id

    def owned_by(self) -> ColumnElement[bool]:
        return col(TaskRow.user_id) == self._user_id

    def _one(self, task_id: int) -> ColumnElement[bool]:
        return and_(self.owned_by(), col(TaskRow.id) == task_id)

    async def create(self, values: dict[str, Any]) -> TaskRow:
        at = now()
        row = TaskRow(user_id=self._user_id, created_at=at, updated_at=at, **values)
        self._session.add(row)
        await self._session.flush()
        return row

    async def get(self, task_id: int) -> TaskRow | None:
        result = await self._session.scalars(select(TaskRow).where(self._one(task_id)))
        return result.one_or_none()

    async def update(self, task_id: int, values: dict[str, Any]) -> TaskRow | None:
        """One atomic UPDATE … RETURNING: concurrent updates of other fields are never lost."""
        at = now()
        if "completed" in values:
            values = {**values, **_completion(_literal_bool(values.pop("completed")), at)}
        return await self._update(task_id, {**values, "updated_at": at})

    async def set_completion(self, task_id: int, completed: bool | None) -> TaskRow | None:
        """Set completion, or toggle it when `completed` is None, in one statement."""
        at = now()
        target = not_(col(TaskRow.completed)) if completed is None else _literal_bool(completed)
        return await self._update(task_id, {**_completion(target, at), "updated_at": at})

    async def _update(self, task_id: int, values: dict[str, Any]) -> TaskRow | None:
        statement = update(TaskRow).where(self._one(task_id)).values(values).returning(TaskRow)
        result = await self._session.scalars(
            statement, execution_options={"synchronize_session": False, "populate_existing": True}
        )
        return result.one_or_none()

    async def delete(self, task_id: int) -> bool:
        result = await self._session.execute(
            delete(TaskRow).where(self._one(task_id)).returning(col(TaskRow.id))
        )
        return result.first() is not None

    async def list(self, query: ListQuery) -> list[TaskRow]:
        """Up to `limit + 1` rows after the cursor, so the caller knows whether a next page exists."""
        statement = self._filtered(query)
        column = SORT_COLUMNS[query.sort.lstrip("-")]
        descending = query.sort.startswith("-")
        if query.after is not None:
            statement = statement.where(self._after(query, column, descending, query.after))
        ordering = column.desc() if descending else column.asc()
        if query.sort.lstrip("-") in NULLABLE_SORT_KEYS:
            ordering = ordering.nulls_last()
        tie_breaker = col(TaskRow.id).desc() if descending else col(TaskRow.id).asc()
        statement = statement.order_by(ordering, tie_breaker).limit(query.limit + 1)
        return list((await self._session.scalars(statement)).all())

    def _filtered(self, query: ListQuery) -> Select[TaskRow]:
        statement = select(TaskRow).where(self.owned_by())
        if query.completed is not None:
            statement = statement.where(col(TaskRow.completed) == query.completed)
        if query.search is not None:
            pattern = f"%{_escape_like(query.search)}%"
            statement = statement.where(
                or_(
                    col(TaskRow.title).ilike(pattern, escape="\\"),
                    col(TaskRow.description).ilike(pattern, escape="\\"),
                )
            )
        if query.tag is not None:
            statement = statement.where(self._has_tag(query.tag))
        return statement

    def _has_tag(self, tag: str) -> ColumnElement[bool]:
        if self._session.get_bind().dialect.name == "postgresql":
            return type_coerce(TaskRow.tags, JSONB).contains([tag])
        element = func.json_each(TaskRow.tags).table_valued("value")
        return exists(select(element.c.value).where(element.c.value == tag))

    @staticmethod
    def _after(query: ListQuery, column: Any, descending: bool, cursor: Cursor) -> ColumnElement[bool]:
        beyond = operator.lt if descending else operator.gt
        task_id = col(TaskRow.id)
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


def _literal_bool(value: bool) -> ColumnElement[bool]:
    return literal(value)
