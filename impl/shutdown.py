"""Shutting down behind a load balancer: first stop being ready, keep serving, then stop.

On SIGTERM the server keeps serving every request normally for `SHUTDOWN_DRAIN_SECONDS` while
/readyz answers 503 (impl/health.py), so load balancers (and Kubernetes endpoints) take it out of
rotation before it stops accepting connections. Then uvicorn's own graceful shutdown runs: stop
accepting, finish the requests in flight (up to its `timeout_graceful_shutdown`), exit. Without the
delay, connections that arrive between the SIGTERM and the balancer noticing wait in the listen
backlog and are then reset.

The delay wraps the SIGTERM handler uvicorn installs in each worker process (uvicorn's supervisor
forwards SIGTERM to every worker), so it works the same with one worker or many.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class ShutdownDrain:
    def __init__(self, delay_seconds: float) -> None:
        self.delay_seconds = delay_seconds
        self.draining = False

    @contextmanager
    def on_sigterm(self) -> Iterator[None]:
        """While the app runs: SIGTERM starts the drain, and reaches the server's handler after it."""
        previous = signal.getsignal(signal.SIGTERM)
        # Only in front of a server's own handler (uvicorn's), never in place of the default one.
        if (
            self.delay_seconds <= 0
            or not callable(previous)
            or threading.current_thread() is not (threading.main_thread())
        ):
            yield
            return
        loop = asyncio.get_running_loop()

        def begin_drain(signum: int, _frame: FrameType | None) -> None:
            if self.draining:
                return  # a second SIGTERM (e.g. sent to the whole process group) changes nothing
            self.draining = True
            loop.call_soon_threadsafe(loop.call_later, self.delay_seconds, previous, signum, None)

        signal.signal(signal.SIGTERM, begin_drain)
        try:
            yield
        finally:
            if signal.getsignal(signal.SIGTERM) is begin_drain:
                signal.signal(signal.SIGTERM, previous)
