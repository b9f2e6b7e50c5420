"""The worker's one LISTEN connection on PostgreSQL: every committed change, from any worker or
instance, fanned out in memory to this worker's streams.

LISTEN needs a session of its own, which a transaction-mode pooler (PgBouncer, Neon's `-pooler`
endpoints) does not give: it connects to DATABASE_DIRECT_URL when set. When the connection drops or
stops answering, it reconnects and tells every stream to resync, since announcements made meanwhile
are lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from impl.db_url import DatabaseUrl
from impl.sync.events import ChangeBus
from impl.sync.sequence import CHANNEL

logger = logging.getLogger(__name__)
Connect = Callable[[], Awaitable[Any]]


def connector(database: DatabaseUrl, timeout_seconds: float) -> Connect:
    dsn = database.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def connect() -> Any:
        # No statement cache: LISTEN and a ping need none, and behind a transaction-mode pooler (no
        # DATABASE_DIRECT_URL) a cached statement would be left, named, on a shared server connection.
        return await asyncpg.connect(
            dsn, timeout=timeout_seconds, statement_cache_size=0, **database.connect_args
        )

    return connect


class ChangeListener:
    def __init__(
        self, connect: Connect, bus: ChangeBus, *, retry_seconds: float, ping_seconds: float
    ) -> None:
        self._connect = connect
        self._bus = bus
        self._retry = retry_seconds
        self._ping = ping_seconds
        self.listening = asyncio.Event()
        self.backend_pid: int | None = None

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        seq, _, user_id = payload.partition(" ")
        self._bus.publish(user_id, int(seq))

    async def run(self) -> None:
        """Listens until cancelled, reconnecting whenever the connection is lost."""
        reconnecting = False
        while True:
            try:
                connection = await self._connect()
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                logger.warning("change listener cannot connect (%s); retrying", type(exc).__name__)
                await asyncio.sleep(self._retry)
                continue
            try:
                await self._listen(connection, reconnecting)
            finally:
                self.listening.clear()
                connection.terminate()
            reconnecting = True
            logger.warning("change listener lost its connection; reconnecting")

    async def _listen(self, connection: Any, reconnecting: bool) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._on_notification)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return
        self.backend_pid = connection.get_server_pid()
        self.listening.set()
        if reconnecting:
            # Whatever was announced while the connection was down is lost: every stream pulls.
            self._bus.resync_all()
        await self._until_lost(connection, lost)

    async def _until_lost(self, connection: Any, lost: asyncio.Event) -> None:
        """Returns when the server closes the connection or a periodic ping goes unanswered."""
        while True:
            try:
                async with asyncio.timeout(self._ping):
                    await lost.wait()
                return
            except TimeoutError:
                pass
            try:
                async with asyncio.timeout(self._ping):
                    await connection.fetchval("SELECT 1")
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                return
