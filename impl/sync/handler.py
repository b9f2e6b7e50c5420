"""The sync handler: one method per operation tagged `sync`, satisfying generated.interface.SyncHandler."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from generated import models
from generated.interface import SyncHandler
from impl.db import RequestDatabase
from impl.handler_context import handler_context
from impl.sync.events import ChangeEvents
from impl.sync.feed import CHANGE_COLUMNS, TOMBSTONE, ChangeFeed
from impl.sync.service import SyncService
from impl.sync.tokens import INITIAL, Position, ResyncRequired
from impl.tasks.mapping import to_task
from kit.http import EventStream


def _change(row: Any) -> models.TaskChange:
    kind, seq, task_id, deleted_at = row[:CHANGE_COLUMNS]
    if kind == TOMBSTONE:
        return models.TaskChange(
            kind=models.ChangeKind.tombstone, id=task_id, seq=seq, task=None, deleted_at=deleted_at
        )
    return models.TaskChange(
        kind=models.ChangeKind.task, id=task_id, seq=seq, task=to_task(row[CHANGE_COLUMNS:]), deleted_at=None
    )


class ChangesHandler:
    def __init__(self, database: RequestDatabase, sync: SyncService) -> None:
        self._database = database
        self._sync = sync

    async def list_changes(self, *, user_id: str, since: str | None, limit: int) -> models.ChangePage:
        tokens = self._sync.tokens
        after = tokens.read(user_id, since) if since is not None else INITIAL
        feed = ChangeFeed(self._database, user_id)
        rows = await feed.after(after, limit + 1)
        # Read after the page: a purge that committed before the page was read is seen here.
        purged = await feed.purged_through()
        if since is not None and purged > 0 and after.seq <= purged:
            raise ResyncRequired()
        page = rows[:limit]
        position = Position(page[-1][1], page[-1][2]) if page else after
        return models.ChangePage(
            changes=[_change(row) for row in page],
            next=models.SyncToken(tokens.issue(user_id, position)),
            more=len(rows) > limit,
            position=position.seq,
        )

    async def stream_task_events(self, *, user_id: str, last_event_id: str | None) -> EventStream:
        bus = self._sync.bus
        # Subscribed before the current number is read, so no change falls between the two.
        subscription = bus.subscribe(user_id)
        try:
            current = await ChangeFeed(self._database, user_id).current()
        except BaseException:
            bus.unsubscribe(subscription)
            raise
        return ChangeEvents(
            bus,
            subscription,
            current=current,
            last_event_id=int(last_event_id) if last_event_id is not None else None,
            heartbeat_seconds=self._sync.heartbeat_seconds,
            max_seconds=self._sync.stream_max_seconds,
        )


def _sync_handler(database: RequestDatabase, request: Request) -> SyncHandler:
    return ChangesHandler(database, request.app.state.sync)


sync_handler = handler_context(_sync_handler)
