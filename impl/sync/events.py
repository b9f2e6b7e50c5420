"""Live events: an in-memory fan-out of "user U's changes reached n" to that user's open streams.

Each stream keeps only the latest number it has not sent yet (and a resync flag), never a queue: a
slow client costs a few bytes, and several changes between two writes coalesce into one event. On
PostgreSQL the numbers come from the worker's one LISTEN connection (impl/sync/listener.py), so a
change made through any worker or instance reaches every stream; on SQLite from the commits of this
process (impl/db.py announces them).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson

from generated import models
from impl.errors import ServiceUnavailable
from kit.http import event_frame
from kit.problems import Problem

HEARTBEAT = b": heartbeat\n\n"


class TooManyStreams(Problem):
    status = 429
    detail = "Too many open event streams for this user."


class StreamsExhausted(ServiceUnavailable):
    detail = "The server holds as many event streams as it can; retry later."


class Subscription:
    """One open stream's mailbox: the latest change number not yet sent, a resync flag, closed."""

    __slots__ = ("_wake", "closed", "latest", "resync", "user_id")

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.latest: int | None = None
        self.resync = False
        self.closed = False
        self._wake = asyncio.Event()

    def changed(self, seq: int) -> None:
        if self.latest is None or seq > self.latest:
            self.latest = seq
            self._wake.set()

    def must_resync(self) -> None:
        self.resync = True
        self._wake.set()

    def close(self) -> None:
        self.closed = True
        self._wake.set()

    async def wait(self, seconds: float) -> bool:
        """True when woken within `seconds`, False when they passed first."""
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            return False
        self._wake.clear()
        return True


class ChangeBus:
    """The process's open streams by user, with the caps that protect the process."""

    def __init__(self, *, per_user: int, total: int, retry_after_seconds: int) -> None:
        self._per_user = per_user
        self._total = total
        self._retry_after = str(retry_after_seconds)
        self._by_user: dict[str, set[Subscription]] = {}
        self.open_streams = 0

    def subscribe(self, user_id: str) -> Subscription:
        streams = self._by_user.setdefault(user_id, set())
        if len(streams) >= self._per_user:
            raise TooManyStreams(headers={"Retry-After": self._retry_after})
        if self.open_streams >= self._total:
            raise StreamsExhausted()
        subscription = Subscription(user_id)
        streams.add(subscription)
        self.open_streams += 1
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        streams = self._by_user.get(subscription.user_id)
        if streams is None or subscription not in streams:
            return
        streams.remove(subscription)
        self.open_streams -= 1
        if not streams:
            del self._by_user[subscription.user_id]

    def publish(self, user_id: str, seq: int) -> None:
        for subscription in self._by_user.get(user_id, ()):
            subscription.changed(seq)

    def resync_all(self) -> None:
        for streams in self._by_user.values():
            for subscription in streams:
                subscription.must_resync()

    def close_all(self) -> None:
        for streams in self._by_user.values():
            for subscription in streams:
                subscription.close()


def _sync_frame(seq: int) -> bytes:
    data = orjson.dumps({"type": models.SyncEventType.sync.value, "seq": seq})
    return event_frame(models.SyncEventType.sync.value, data, str(seq))


RESYNC_FRAME = event_frame(
    models.SyncEventType.resync.value, orjson.dumps({"type": models.SyncEventType.resync.value, "seq": None})
)


class ChangeEvents:
    """One client's stream (a kit.http.EventStream): sync events, resyncs and heartbeats until closed."""

    def __init__(
        self,
        bus: ChangeBus,
        subscription: Subscription,
        *,
        current: int,
        last_event_id: int | None,
        heartbeat_seconds: float,
        max_seconds: float,
    ) -> None:
        self._bus = bus
        self._subscription = subscription
        self._current = current
        self._announce_current = last_event_id != current
        self._heartbeat = heartbeat_seconds
        self._max_seconds = max_seconds

    async def frames(self) -> AsyncIterator[bytes]:
        subscription, sent = self._subscription, self._current
        if self._announce_current:
            yield _sync_frame(sent)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_seconds
        while (remaining := deadline - loop.time()) > 0:
            woken = await subscription.wait(min(self._heartbeat, remaining))
            if subscription.closed:
                return
            if subscription.resync:
                subscription.resync = False
                yield RESYNC_FRAME
            if subscription.latest is not None and subscription.latest > sent:
                sent = subscription.latest
                yield _sync_frame(sent)
            if not woken:
                yield HEARTBEAT

    async def aclose(self) -> None:
        self._bus.unsubscribe(self._subscription)
