"""The read side of the change feed: one user's changes after a position, tasks and tombstones merged.

One statement, so PostgreSQL reads both from one snapshot: with two, a deletion committed between
them could be missed behind the position the page hands out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Table, and_, cast, literal, null, select, tuple_, union_all
from sqlalchemy.sql import Select

from impl.db import RequestDatabase
from impl.sync.sequence import SEQUENCES, TASKS, TOMBSTONES
from impl.sync.tokens import Position
from impl.tables import UTCDateTime

TASK = "task"
TOMBSTONE = "tombstone"
# The columns of a change row before the task's own (the whole tasks row, or NULLs for a tombstone).
CHANGE_COLUMNS = 4


def _after(table: Table, id_column: str, user_id: str, after: Position) -> Any:
    return and_(
        table.c.user_id == user_id,
        tuple_(table.c.change_seq, table.c[id_column])
        > tuple_(literal(after.seq, BigInteger), literal(after.task_id, BigInteger)),
    )


def changes_statement(user_id: str, after: Position, limit: int) -> Select[Any]:
    """Up to `limit` changes after `after`, in (seq, id) order; each side bounded by its own index."""
    live = (
        select(
            literal(TASK).label("kind"),
            TASKS.c.change_seq.label("seq"),
            TASKS.c.id.label("task_id"),
            cast(null(), UTCDateTime).label("deleted_at"),
        )
        .where(_after(TASKS, "id", user_id, after))
        .order_by(TASKS.c.change_seq, TASKS.c.id)
        .limit(limit)
        .subquery()
    )
    gone = (
        select(
            literal(TOMBSTONE).label("kind"),
            TOMBSTONES.c.change_seq.label("seq"),
            TOMBSTONES.c.task_id.label("task_id"),
            TOMBSTONES.c.deleted_at.label("deleted_at"),
        )
        .where(_after(TOMBSTONES, "task_id", user_id, after))
        .order_by(TOMBSTONES.c.change_seq, TOMBSTONES.c.task_id)
        .limit(limit)
        .subquery()
    )
    changes = union_all(select(live), select(gone)).subquery("changes")
    # The task's current row, from the same snapshot: the one carrying this change's number.
    joined = changes.outerjoin(TASKS, and_(changes.c.kind == TASK, TASKS.c.id == changes.c.task_id))
    return (
        select(changes.c.kind, changes.c.seq, changes.c.task_id, changes.c.deleted_at, *TASKS.c)
        .select_from(joined)
        .order_by(changes.c.seq, changes.c.task_id)
        .limit(limit)
    )


class ChangeFeed:
    def __init__(self, database: RequestDatabase, user_id: str) -> None:
        self._database = database
        self._user_id = user_id

    async def after(self, position: Position, limit: int) -> list[Any]:
        result = await self._database.execute(changes_statement(self._user_id, position, limit))
        return list(result.all())

    async def purged_through(self) -> int:
        """The highest sequence number whose tombstones may have been purged (0: none)."""
        statement = select(SEQUENCES.c.purged_seq).where(SEQUENCES.c.user_id == self._user_id)
        return int((await self._database.execute(statement)).scalar_one_or_none() or 0)

    async def current(self) -> int:
        """The user's latest change sequence number (0 before any change)."""
        statement = select(SEQUENCES.c.last_seq).where(SEQUENCES.c.user_id == self._user_id)
        return int((await self._database.execute(statement)).scalar_one_or_none() or 0)
