"""Tombstones older than the retention are purged by the service itself, no external cron: each worker
runs the purge periodically; running it in several workers at once is harmless (a DELETE of rows
another worker already deleted deletes nothing).

The user's `purged_seq` records the highest sequence number purged, in the same statement (or
transaction) as the purge, so a sync token at or before it is refused with 410 rather than silently
missing a deletion.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from impl.sync.sequence import SEQUENCES, TOMBSTONES
from impl.tables import UTCDateTime

logger = logging.getLogger(__name__)
_CUTOFF = bindparam("cutoff", type_=UTCDateTime)


def _postgres_purge() -> object:
    gone = (
        delete(TOMBSTONES)
        .where(TOMBSTONES.c.deleted_at < _CUTOFF)
        .returning(TOMBSTONES.c.user_id, TOMBSTONES.c.change_seq)
        .cte("gone")
    )
    highest = (
        select(gone.c.user_id, func.max(gone.c.change_seq).label("seq"))
        .group_by(gone.c.user_id)
        .cte("highest")
    )
    return (
        update(SEQUENCES)
        .where(SEQUENCES.c.user_id == highest.c.user_id)
        .values(purged_seq=func.greatest(SEQUENCES.c.purged_seq, highest.c.seq))
    )


POSTGRES_PURGE = _postgres_purge()
SQLITE_HIGHEST = (
    select(TOMBSTONES.c.user_id, func.max(TOMBSTONES.c.change_seq))
    .where(TOMBSTONES.c.deleted_at < _CUTOFF)
    .group_by(TOMBSTONES.c.user_id)
)
SQLITE_MARK = (
    update(SEQUENCES)
    .where(SEQUENCES.c.user_id == bindparam("owner"))
    .values(purged_seq=func.max(SEQUENCES.c.purged_seq, bindparam("seq")))
)
SQLITE_DELETE = delete(TOMBSTONES).where(TOMBSTONES.c.deleted_at < _CUTOFF)


async def purge_tombstones(engine: AsyncEngine, cutoff: datetime) -> None:
    """Delete the tombstones of deletions before `cutoff`, recording each user's purged sequence."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execute(POSTGRES_PURGE, {"cutoff": cutoff})  # type: ignore[call-overload]
        return
    async with engine.begin() as connection:
        highest = (await connection.execute(SQLITE_HIGHEST, {"cutoff": cutoff})).all()
        if highest:
            marks = [{"owner": user_id, "seq": seq} for user_id, seq in highest]
            await connection.execute(SQLITE_MARK, marks)
        await connection.execute(SQLITE_DELETE, {"cutoff": cutoff})


async def purge_periodically(
    engine: AsyncEngine, retention: timedelta, interval_seconds: float, now: Callable[[], datetime]
) -> None:
    """Runs until cancelled; a failed purge is logged and retried at the next interval."""
    while True:
        try:
            await purge_tombstones(engine, now() - retention)
        except Exception:
            logger.exception("purging tombstones failed; retrying in %s s", interval_seconds)
        await asyncio.sleep(interval_seconds)
