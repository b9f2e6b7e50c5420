"""A server under test: started as in production on a loopback port, its workers' memory sampled."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from tests.live_server import ServerProcess, all_of, answers_ok, free_port, loopback_url, workers_started

STARTUP_DEADLINE_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20
SAMPLE_INTERVAL_SECONDS = 0.5
SETTLE_DEADLINE_SECONDS = 30
SETTLE_QUICK_SECONDS = 0.05
SETTLE_QUICK_ANSWERS = 5


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


@dataclass
class MemorySampler:
    """Peak RSS of each worker process (the children of uvicorn's supervisor), sampled in a thread."""

    supervisor: int
    peak_by_worker: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_SECONDS):
            self.sample()

    def sample(self) -> None:
        # A single worker runs in the supervisor's own process.
        for worker in _children(self.supervisor) or [self.supervisor]:
            self.peak_by_worker[worker] = max(self.peak_by_worker.get(worker, 0), _rss_bytes(worker))

    def stop(self) -> None:
        self._stop.set()

    @property
    def peak_worker_mb(self) -> float:
        return max(self.peak_by_worker.values(), default=0) / 2**20


@dataclass
class RunningServer:
    base_url: str
    probe_url: str
    memory: MemorySampler
    workers: int

    def settle(self) -> None:
        """Waits until requests queued by the previous run are served: a client that gave up leaves
        its request behind, and the next run would otherwise measure that backlog."""
        deadline = time.monotonic() + SETTLE_DEADLINE_SECONDS
        quick = 0
        while quick < SETTLE_QUICK_ANSWERS and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                httpx.get(self.probe_url, timeout=SETTLE_DEADLINE_SECONDS)
            except httpx.TransportError:
                quick = 0
                continue
            quick = quick + 1 if time.monotonic() - started < SETTLE_QUICK_SECONDS else 0


@contextmanager
def running_server(
    module: str, env: Mapping[str, str], probe_path: str, workers: int
) -> Iterator[RunningServer]:
    """`python -m module` (impl.serve or bench.ceiling) until the context ends, then SIGTERM."""
    port = free_port()
    # `make bench*` points BENCH_SERVER_PYTHON at an environment with only the service's own dependencies.
    python = os.environ.get("BENCH_SERVER_PYTHON") or sys.executable
    command = [python, "-m", module, "--host", "127.0.0.1", "--port", str(port)]
    process = ServerProcess(
        [*command, "--workers", str(workers)],
        base_url=loopback_url(port),
        # Every worker must have started, or the first seconds of a run measure a half-started server.
        ready=all_of(workers_started(workers), answers_ok(probe_path)),
        env={**os.environ, **env},
        startup_deadline_seconds=STARTUP_DEADLINE_SECONDS,
        stop_timeout_seconds=STOP_TIMEOUT_SECONDS,
    )
    with process:
        memory = MemorySampler(process.pid)
        threading.Thread(target=memory.run, daemon=True).start()
        try:
            yield RunningServer(process.base_url, process.base_url + probe_path, memory, workers)
        finally:
            memory.stop()
