"""The write side of the change feed: every write of a user's tasks takes the user's next change
sequence number atomically with the write, and a delete leaves tombstones.

Why a per-user counter row: taking the next number locks the user's `change_sequences` row until the
write commits, so one user's writes commit in the order of their numbers. A reader that has seen
number n can therefore never later find a change numbered below n: nothing becomes visible behind a
token already issued. On PostgreSQL the counter advance is a CTE of the write statement itself (one
statement in autocommit, and its `pg_notify` is sent on commit); SQLite has no DML in CTEs, so there
it is a statement before the write in the request's one transaction (SQLite serialises writers anyway)
and the in-process bus is told after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.elements import BindParameter

from impl.db import RequestDatabase
from impl.tables import ChangeSequenceRow, TaskRow, TombstoneRow, UTCDateTime

TASKS: Table = TaskRow.__table__  # type: ignore[attr-defined]
SEQUENCES: Table = ChangeSequenceRow.__table__  # type: ignore[attr-defined]
TOMBSTONES: Table = TombstoneRow.__table__  # type: ignore[attr-defined]
# The PostgreSQL channel a committed change is announced on: payload "<seq> <user id>".
CHANNEL = "task_changes"
# Every stamped statement binds the owner under this name (the task statements already do).
OWNER: BindParameter[str] = bindparam("owner")
_DELETED_AT = bindparam("at", type_=UTCDateTime)


def _advance(insert: Any) -> Any:
    """INSERT … ON CONFLICT: the user's counter, created at 1 or advanced by 1."""
    statement = insert(SEQUENCES).values(user_id=OWNER, last_seq=1)
    return statement.on_conflict_do_update(
        index_elements=[SEQUENCES.c.user_id], set_={"last_seq": SEQUENCES.c.last_seq + 1}
    )


_POSTGRES_ADVANCE = (
    _advance(pg_insert)
    .returning(
        SEQUENCES.c.last_seq,
        # Sent when the statement commits, never for a write that rolls back.
        func.pg_notify(CHANNEL, func.concat(cast(SEQUENCES.c.last_seq, Text), " ", SEQUENCES.c.user_id)),
    )
    .cte("next_seq")
)
_POSTGRES_NEXT_SEQ = select(_POSTGRES_ADVANCE.c.last_seq).scalar_subquery()
SQLITE_ADVANCE = _advance(sqlite_insert).returning(SEQUENCES.c.last_seq)
_SQLITE_NEXT_SEQ = bindparam("change_seq", type_=BigInteger)


@dataclass(frozen=True)
class Stamped:
    """One write statement in both dialects' forms, setting `change_seq` to the next number."""

    postgresql: Any
    sqlite: Any


def stamp(statement: Insert | Update) -> Stamped:
    """`statement` (an INSERT or UPDATE of tasks) with the owner's next change sequence number."""
    return Stamped(
        postgresql=statement.add_cte(_POSTGRES_ADVANCE).values(change_seq=_POSTGRES_NEXT_SEQ),
        sqlite=statement.values(change_seq=_SQLITE_NEXT_SEQ),
    )


def stamp_insert_from_select(names: Sequence[str], source: Select[Any]) -> Stamped:
    """INSERT INTO tasks (names…) SELECT source…, RETURNING the row: with the owner's next change
    sequence number as one more column of the source."""
    columns = [*names, "change_seq"]

    def statement(next_seq: Any) -> Any:
        return insert(TASKS).from_select(columns, source.add_columns(next_seq)).returning(*TASKS.c)

    return Stamped(
        postgresql=statement(_POSTGRES_NEXT_SEQ).add_cte(_POSTGRES_ADVANCE),
        sqlite=statement(_SQLITE_NEXT_SEQ),
    )


def _postgres_tombstoning_delete(condition: ColumnElement[bool]) -> Any:
    """DELETE the matching tasks and INSERT their tombstones, in one statement."""
    gone = delete(TASKS).where(condition).returning(TASKS.c.user_id, TASKS.c.id).cte("gone")
    statement = pg_insert(TOMBSTONES).from_select(
        ["user_id", "task_id", "deleted_at", "change_seq"],
        select(gone.c.user_id, gone.c.id, _DELETED_AT, _POSTGRES_NEXT_SEQ),
    )
    # SQLite may reuse the id of a deleted task; a second deletion of that id replaces its tombstone.
    statement = statement.on_conflict_do_update(
        index_elements=[TOMBSTONES.c.user_id, TOMBSTONES.c.task_id],
        set_={"deleted_at": statement.excluded.deleted_at, "change_seq": statement.excluded.change_seq},
    )
    return statement.add_cte(_POSTGRES_ADVANCE).returning(TOMBSTONES.c.task_id)


def _sqlite_tombstones() -> Any:
    statement = sqlite_insert(TOMBSTONES)
    return statement.on_conflict_do_update(
        index_elements=[TOMBSTONES.c.user_id, TOMBSTONES.c.task_id],
        set_={"deleted_at": statement.excluded.deleted_at, "change_seq": statement.excluded.change_seq},
    )


_SQLITE_TOMBSTONES = _sqlite_tombstones()


@dataclass(frozen=True)
class TombstoningDelete:
    """Deleting the tasks matching a condition (which binds `owner`), leaving tombstones."""

    postgresql: Any
    sqlite: Any

    @classmethod
    def of(cls, condition: ColumnElement[bool]) -> TombstoningDelete:
        return cls(
            postgresql=_postgres_tombstoning_delete(condition),
            sqlite=delete(TASKS).where(condition).returning(TASKS.c.id),
        )


class ChangeSequence:
    """Runs one user's writes so each takes the user's next change sequence number."""

    def __init__(self, database: RequestDatabase, user_id: str) -> None:
        self._database = database
        self._user_id = user_id

    async def _next_on_sqlite(self) -> int:
        seq: int = (await self._database.execute(SQLITE_ADVANCE, {"owner": self._user_id})).scalar_one()
        # Announced once the request's transaction has committed, never before.
        self._database.announce_after_commit(self._user_id, seq)
        return seq

    async def write(self, statement: Stamped, parameters: Mapping[str, Any]) -> list[Any]:
        """The rows the write returns (RequestDatabase.fetch: on PostgreSQL straight from the driver)."""
        owned = {**parameters, "owner": self._user_id}
        if self._database.dialect == "postgresql":
            return await self._database.fetch(statement.postgresql, owned)
        seq = await self._next_on_sqlite()
        return await self._database.fetch(statement.sqlite, {**owned, "change_seq": seq})

    async def delete(
        self, statement: TombstoningDelete, parameters: Mapping[str, Any], at: datetime
    ) -> list[int]:
        """The ids deleted; each leaves a tombstone at the same change sequence number."""
        owned = {**parameters, "owner": self._user_id}
        if self._database.dialect == "postgresql":
            return [row[0] for row in await self._database.fetch(statement.postgresql, {**owned, "at": at})]
        seq = await self._next_on_sqlite()
        ids = list((await self._database.execute(statement.sqlite, owned)).scalars())
        if ids:
            rows = [
                {"user_id": self._user_id, "task_id": task_id, "deleted_at": at, "change_seq": seq}
                for task_id in ids
            ]
            await self._database.execute(_SQLITE_TOMBSTONES, rows)
        return ids
