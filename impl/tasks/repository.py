"""Task persistence, scoped to one user: there is no unscoped statement.

The single-task statements are built once with the `_OWNED_TASK` condition (owner and id bound per
call); lists are built per request from `owned_by()`. A repository cannot exist without its user id.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
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
from impl.db import SQLITE_UNICODE_LOWER, RequestDatabase
from impl.sync.sequence import ChangeSequence, Stamped, TombstoningDelete, stamp, stamp_insert_from_select
from impl.tables import TaskRow
from impl.tasks.cursor import Cursor

# Plain rows of the table, not ORM instances: a page of 50 ORM objects costs more CPU than the query.
TASKS: Table = TaskRow.__table__  # type: ignore[attr-defined]
COLUMNS = TASKS.c
# Every statement returns whole rows in the table's column order (mapping.to_task reads them so),
# read by position: SQLAlchemy's Row (SQLite) and asyncpg's Record (PostgreSQL) both index so.
TaskRecord = Sequence[Any]
ROW_COLUMNS = tuple(COLUMNS.keys())
ID, VERSION = ROW_COLUMNS.index("id"), ROW_COLUMNS.index("version")

# The contract's sort keys without their direction ("-" means descending); ties break on id.
SORT_KEYS = tuple(dict.fromkeys(sort.value.lstrip("-") for sort in models.TaskSort))
SORT_COLUMNS: dict[str, Any] = {key: COLUMNS[key] for key in SORT_KEYS}
# What a cursor's sort value must decode to, straight from the column types.
SORT_VALUE_TYPES: dict[str, type[Any]] = {
    key: column.type.python_type for key, column in SORT_COLUMNS.items()
}
NULLABLE_SORT_KEYS = {"due_at"}
# Where each sort key's value sits in a row (a next-page cursor carries the last row's).
SORT_POSITIONS = {key: ROW_COLUMNS.index(key) for key in SORT_KEYS}

# The single-task statements are built once: building one (and its cache key) per request costs
# more than executing it. Each is scoped to the caller's user id.
# (Parameter names must differ from column names, which UPDATE reserves for its SET clause.)
_OWNED_TASK = and_(COLUMNS.user_id == bindparam("owner"), COLUMNS.id == bindparam("task_id"))
SELECT_OWNED_TASK = select(TASKS).where(_OWNED_TASK)
# Every write takes the owner's next change sequence number (impl/sync/sequence.py); deletes leave tombstones.
DELETE_OWNED_TASK = TombstoningDelete.of(_OWNED_TASK)
# Bulk operations: a set of the owner's tasks, and the owner's completed tasks.
_OWNED_TASKS = and_(
    COLUMNS.user_id == bindparam("owner"), COLUMNS.id.in_(bindparam("task_ids", expanding=True))
)
DELETE_OWNED_TASKS = TombstoningDelete.of(_OWNED_TASKS)
DELETE_COMPLETED_TASKS = TombstoningDelete.of(and_(COLUMNS.user_id == bindparam("owner"), COLUMNS.completed))
# pg_advisory_xact_lock(namespace, hashtext(user_id)): serialises one user's creates, not everyone's.
TASK_QUOTA_LOCK_NAMESPACE = 0x7A5C
LOCK_USER_TASK_QUOTA = select(
    func.pg_advisory_xact_lock(TASK_QUOTA_LOCK_NAMESPACE, func.hashtext(bindparam("owner", type_=String())))
)


@functools.cache
def _insert_within_quota(names: tuple[str, ...]) -> Stamped:
    """INSERT … SELECT the row's values WHERE the user owns fewer than `max_tasks` tasks, RETURNING it,
    with the owner's next change sequence number.

    One statement: on SQLite it holds the database's write lock from the count to the insert. On
    PostgreSQL a statement's snapshot is taken when it starts, so two concurrent ones would both count
    the same total: the caller runs it after LOCK_USER_TASK_QUOTA, in the same transaction, so it
    starts (and counts) only once the previous create of the same user has committed.
    """
    owned = (
        select(func.count())
        .select_from(TASKS)
        .where(COLUMNS.user_id == bindparam("user_id"))
        .scalar_subquery()
    )
    values = select(*(bindparam(name, type_=COLUMNS[name].type) for name in names))
    return stamp_insert_from_select(names, values.where(owned < bindparam("max_tasks")))


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


DELETE_OWNED_TASK_IF_VERSION = TombstoningDelete.of(and_(_OWNED_TASK, _version_in()))


def _first(rows: Sequence[TaskRecord]) -> TaskRecord | None:
    return rows[0] if rows else None


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
_TOGGLE_OWNED_TASK = (
    update(TASKS)
    .where(_OWNED_TASK)
    .values(
        {**_completion(not_(COLUMNS.completed), _CHANGED_AT), "updated_at": _CHANGED_AT, **_bumped_version()}
    )
    .returning(*COLUMNS)
)
TOGGLE_OWNED_TASK = stamp(_TOGGLE_OWNED_TASK)
TOGGLE_OWNED_TASK_IF_VERSION = stamp(_TOGGLE_OWNED_TASK.where(_version_in()))
_SET_COMPLETED = bindparam("set_completed", type_=Boolean())
SET_COMPLETION_OF_OWNED_TASKS = stamp(
    update(TASKS)
    .where(_OWNED_TASKS)
    .values({**_completion(_SET_COMPLETED, _CHANGED_AT), "updated_at": _CHANGED_AT, **_bumped_version()})
    .returning(*COLUMNS)
)


@functools.cache
def _update_owned_task(names: tuple[str, ...], *, conditional: bool) -> Stamped:
    """UPDATE the owned task SET the named columns (each bound as `set_<name>`), RETURNING the row;
    with `conditional`, only at one of the If-Match versions.

    Built once per set of columns (at most one per subset of the editable fields): building an
    UPDATE and its cache key per request cost more than running it, and a statement built once runs
    as an asyncpg prepared statement (RequestDatabase.fetch).
    """
    changes: dict[str, Any] = {
        name: bindparam(f"set_{name}", type_=COLUMNS[name].type) for name in names if name != "completed"
    }
    if "completed" in names:
        changes |= _completion(_SET_COMPLETED, _CHANGED_AT)
    statement = (
        update(TASKS)
        .where(_OWNED_TASK)
        .values({**changes, "updated_at": _CHANGED_AT, **_bumped_version()})
        .returning(*COLUMNS)
    )
    return stamp(statement.where(_version_in()) if conditional else statement)


class TaskRepository:
    def __init__(self, database: RequestDatabase, user_id: str) -> None:
        self._database = database
        self._user_id = user_id
        self._changes = ChangeSequence(database, user_id)

    def _owned_task(self, task_id: int, versions: list[int] | None = None) -> dict[str, Any]:
        """The bound parameters of a single-task statement; `versions` those of its If-Match condition."""
        owned: dict[str, Any] = {"owner": self._user_id, "task_id": task_id}
        if versions is not None:
            owned["versions"] = versions
        return owned

    def _changed(self, task_id: int, versions: list[int] | None) -> dict[str, Any]:
        """A single-task write's bound parameters with the time of the change."""
        return {**self._owned_task(task_id, versions), "at": now()}

    async def create(self, values: dict[str, Any], max_tasks: int) -> TaskRecord | None:
        """The new row as stored, or None when the user already owns `max_tasks` tasks (nothing stored)."""
        at = now()
        row = {"completed": False, **values, "user_id": self._user_id, "created_at": at, "updated_at": at}
        statement = _insert_within_quota(tuple(row))
        async with self._database.transaction():
            if self._database.dialect == "postgresql":
                await self._database.fetch(LOCK_USER_TASK_QUOTA, {"owner": self._user_id})
            return _first(await self._changes.write(statement, {**row, "max_tasks": max_tasks}))

    async def get(self, task_id: int) -> TaskRecord | None:
        return _first(await self._database.fetch(SELECT_OWNED_TASK, self._owned_task(task_id)))

    async def update(
        self, task_id: int, values: dict[str, Any], versions: list[int] | None = None
    ) -> TaskRecord | None:
        """One atomic UPDATE … RETURNING: concurrent updates of other fields are never lost.

        With `versions`, only a row at one of them is changed (If-Match); None when nothing matched.
        """
        statement = _update_owned_task(tuple(sorted(values)), conditional=versions is not None)
        changes = {f"set_{name}": value for name, value in values.items()}
        return _first(await self._changes.write(statement, changes | self._changed(task_id, versions)))

    async def set_completion(
        self, task_id: int, completed: bool | None, versions: list[int] | None = None
    ) -> TaskRecord | None:
        """Set completion, or toggle it when `completed` is None, in one statement."""
        if completed is None:
            statement = TOGGLE_OWNED_TASK if versions is None else TOGGLE_OWNED_TASK_IF_VERSION
            return _first(await self._changes.write(statement, self._changed(task_id, versions)))
        return await self.update(task_id, {"completed": completed}, versions)

    async def delete(self, task_id: int, versions: list[int] | None = None) -> bool:
        statement = DELETE_OWNED_TASK if versions is None else DELETE_OWNED_TASK_IF_VERSION
        return bool(await self._changes.delete(statement, self._owned_task(task_id, versions), now()))

    async def set_completion_of_many(self, task_ids: list[int], completed: bool) -> list[TaskRecord]:
        """One UPDATE of the owner's tasks among `task_ids`: all of them change, or none does."""
        parameters = {"task_ids": task_ids, "set_completed": completed, "at": now()}
        return await self._changes.write(SET_COMPLETION_OF_OWNED_TASKS, parameters)

    async def delete_many(self, task_ids: list[int]) -> list[int]:
        """The ids deleted among `task_ids` (the owner's), in one statement."""
        return await self._changes.delete(DELETE_OWNED_TASKS, {"task_ids": task_ids}, now())

    async def delete_completed(self) -> int:
        return len(await self._changes.delete(DELETE_COMPLETED_TASKS, {}, now()))

    async def list(self, query: ListQuery) -> list[TaskRecord]:
        """Up to `limit + 1` rows after the cursor, so the caller knows whether a next page exists."""
        statement, parameters = self._list(query)
        return await self._database.fetch(statement, parameters)

    def list_statement(self, query: ListQuery) -> Select[Any]:
        """The list statement with its parameters bound (for EXPLAIN)."""
        statement, parameters = self._list(query)
        return statement.params(parameters)

    def _list(self, query: ListQuery) -> tuple[Select[Any], dict[str, Any]]:
        """The statement for the query's shape (built once per shape) and the query's parameters."""
        shape = ListShape(
            dialect=self._database.dialect,
            filtered=query.completed is not None,
            sort=query.sort,
            searched=query.search is not None,
            tagged=query.tag is not None,
            after=None if query.after is None else query.after.value is not None,
        )
        parameters: dict[str, Any] = {"owner": self._user_id, "page_limit": query.limit + 1}
        if query.completed is not None:
            parameters["completed"] = query.completed
        if query.search is not None:
            parameters["pattern"] = _search_pattern(query.search, shape.dialect)
        if query.tag is not None:
            parameters["tag"] = [query.tag] if shape.dialect == "postgresql" else query.tag
        if query.after is not None:
            parameters |= {"after_value": query.after.value, "after_id": query.after.task_id}
        return _list_statement(shape), parameters


@dataclass(frozen=True)
class ListShape:
    """What decides a list statement's text; the values are bound per request."""

    dialect: str
    filtered: bool
    sort: str
    searched: bool
    tagged: bool
    # None: the first page; else whether the cursor's sort value is non-null.
    after: bool | None


def _search_pattern(search: str, dialect: str) -> str:
    pattern = f"%{_escape_like(search)}%"
    # SQLite's side is folded by the Unicode lower() (see _contains_text), so the pattern is too.
    return pattern if dialect == "postgresql" else pattern.lower()


@functools.cache
def _list_statement(shape: ListShape) -> Select[Any]:
    """Built once per shape: building a statement and its cache key per request costs more than running it."""
    statement = select(TASKS).where(COLUMNS.user_id == bindparam("owner"))
    if shape.filtered:
        statement = statement.where(COLUMNS.completed == bindparam("completed"))
    if shape.searched:
        statement = statement.where(_contains_text(shape.dialect))
    if shape.tagged:
        statement = statement.where(_has_tag(shape.dialect))
    sort_key = shape.sort.lstrip("-")
    column = SORT_COLUMNS[sort_key]
    descending = shape.sort.startswith("-")
    if shape.after is not None:
        statement = statement.where(_after(sort_key, column, descending, value_present=shape.after))
    ordering = column.desc() if descending else column.asc()
    if sort_key in NULLABLE_SORT_KEYS:
        ordering = ordering.nulls_last()
    tie_breaker = COLUMNS.id.desc() if descending else COLUMNS.id.asc()
    return statement.order_by(ordering, tie_breaker).limit(bindparam("page_limit", type_=Integer()))


def _contains_text(dialect: str) -> ColumnElement[bool]:
    """Title or description contains the `pattern` literally, ignoring case for every alphabet."""
    searched = (COLUMNS.title, COLUMNS.description)
    pattern = bindparam("pattern", type_=String())
    if dialect == "postgresql":
        return or_(*(column.ilike(pattern, escape="\\") for column in searched))
    # SQLite folds ASCII only: both sides go through the Unicode lower() impl/db.py registers.
    folded = [getattr(func, SQLITE_UNICODE_LOWER)(column) for column in searched]
    return or_(*(text.like(pattern, escape="\\") for text in folded))


def _has_tag(dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return type_coerce(COLUMNS.tags, JSONB).contains(bindparam("tag", type_=JSONB()))
    element = func.json_each(COLUMNS.tags).table_valued("value")
    return exists(select(element.c.value).where(element.c.value == bindparam("tag", type_=String())))


def _after(sort_key: str, column: Any, descending: bool, *, value_present: bool) -> ColumnElement[bool]:
    beyond = operator.lt if descending else operator.gt
    task_id = COLUMNS.id
    after_id = bindparam("after_id", type_=COLUMNS.id.type)
    if not value_present:
        # NULLs sort last in both directions, so after a NULL come only NULLs with a further id.
        return and_(column.is_(None), beyond(task_id, after_id))
    after_value = bindparam("after_value", type_=column.type)
    if sort_key not in NULLABLE_SORT_KEYS:
        return beyond(tuple_(column, task_id), tuple_(after_value, after_id))  # type: ignore[no-any-return]
    # NULLs sort last in both directions, so they follow every non-null value.
    return or_(
        beyond(column, after_value),
        and_(column == after_value, beyond(task_id, after_id)),
        column.is_(None),
    )
