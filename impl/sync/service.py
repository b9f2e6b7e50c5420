"""The sync machinery of one app (one worker process): tokens, the stream bus, and the background
work started and stopped with the app (the tombstone purge; on PostgreSQL the change listener)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from impl.settings import Settings
from impl.sync.events import ChangeBus
from impl.sync.listener import ChangeListener, connector
from impl.sync.purge import purge_periodically
from impl.sync.tokens import SyncTokens, token_key

SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def utc_now() -> datetime:
    return datetime.now(UTC)


class SyncService:
    def __init__(
        self, settings: Settings, engine: AsyncEngine, now: Callable[[], datetime] = utc_now
    ) -> None:
        self.retention = timedelta(days=settings.sync_retention_days)
        self.tokens = SyncTokens(token_key(settings.sync_token_secret_value), self.retention.total_seconds())
        self.bus = ChangeBus(
            per_user=settings.sync_streams_per_user,
            total=settings.sync_streams_total,
            retry_after_seconds=settings.retry_after_seconds,
        )
        self.heartbeat_seconds = settings.sync_heartbeat_seconds
        self.stream_max_seconds = settings.sync_stream_max_seconds
        self.listener: ChangeListener | None = None
        if engine.dialect.name == "postgresql":
            self.listener = ChangeListener(
                connector(settings.direct_database, settings.db_connect_timeout_seconds),
                self.bus,
                retry_seconds=settings.retry_after_seconds or 1,
                ping_seconds=settings.sync_listener_ping_seconds,
            )
        self._engine = engine
        self._purge_interval = settings.sync_purge_interval_seconds
        self._now = now

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The background tasks for the app's lifetime; open streams are closed at shutdown."""
        tasks = [
            asyncio.create_task(
                purge_periodically(self._engine, self.retention, self._purge_interval, self._now)
            )
        ]
        if self.listener is not None:
            tasks.append(asyncio.create_task(self.listener.run()))
        restore = _close_streams_on_shutdown_signal(self.bus)
        try:
            yield
        finally:
            restore()
            self.bus.close_all()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def _close_streams_on_shutdown_signal(bus: ChangeBus) -> Callable[[], None]:
    """Ends every open stream as soon as the server is told to stop.

    The server waits for open responses before it runs the app's shutdown, so streams that only
    ended there would hold a graceful shutdown until its timeout and then be cut off. The server's
    own signal handler is kept and still called; the previous handlers come back at shutdown.
    """
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def handle(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(bus.close_all)
        handler = previous.get(signum)
        if callable(handler):
            handler(signum, frame)

    for signum in SHUTDOWN_SIGNALS:
        current = signal.getsignal(signum)
        # Only chain a Python-level handler the server installed; leave default dispositions alone.
        if callable(current) and current is not signal.default_int_handler:
            previous[signum] = current
            signal.signal(signum, handle)

    def restore() -> None:
        for signum, handler in previous.items():
            if signal.getsignal(signum) is handle:
                signal.signal(signum, handler)

    return restore
