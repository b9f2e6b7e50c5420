"""A real server process on a free loopback port: shared by the tests, the fuzz runner and the benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

from tests.support import ROOT, TEST_SECRET

POLL_INTERVAL_SECONDS = 0.05
STARTUP_DEADLINE_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
LOG_TAIL_LINES = 60
# Variables that would quietly change the app under test if inherited from a developer's shell.
APP_ENV_OVERRIDDEN = ("APP_ENV", "DATABASE_URL", "BETTER_AUTH_SECRET", "CORS_ORIGINS")
# For servers whose clients all come from loopback and must never meet a rate limit by accident
# (the suite, `make fuzz`); tests/test_ratelimit.py sets tight ones of its own.
UNTRIPPABLE_RATE_LIMITS_ENV = {
    "RATE_LIMIT_PER_USER": "1000000000/minute",
    "RATE_LIMIT_WRITES_PER_USER": "1000000000/minute",
    "RATE_LIMIT_FAILED_AUTH_PER_ADDRESS": "1000000000/minute",
}


class ServerNotReady(RuntimeError):
    """The process exited, or did not answer in time."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def loopback_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


# Whether a started server is ready to serve; asked repeatedly until it says so.
Readiness = Callable[["ServerProcess"], bool]


def answers_ok(path: str) -> Readiness:
    """Ready once `path` answers 200; each attempt is bounded by its own timeout."""

    def ready(server: ServerProcess) -> bool:
        try:
            return httpx.get(server.base_url + path, timeout=1).status_code == 200
        except httpx.TransportError:
            return False  # Not listening yet.

    return ready


def logged(line: str) -> Readiness:
    """Ready once the process has logged `line`: unlike a probe of the port, no other process can say it."""
    return lambda server: line in server.log_text().splitlines()


def all_of(*conditions: Readiness) -> Readiness:
    return lambda server: all(ready(server) for ready in conditions)


# What uvicorn logs once a worker's lifespan has started: from then on that worker takes connections.
WORKER_STARTED_LINE = "Application startup complete."


def workers_started(workers: int) -> Readiness:
    """Ready once every worker has started: an answer on the port proves only that one of them has."""
    return lambda server: server.log_text().count(WORKER_STARTED_LINE) >= workers


class ServerProcess:
    """`command` as a child process serving at `base_url` once `ready` says so; stopped on exit.

    Its stdout and stderr go to a file (`log_path`, or an anonymous temporary one): nobody has to
    drain a pipe while the tests run, and it is there to quote until `stop`. `start` may follow
    `stop` again, for a restart with the same command on the same port.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        base_url: str,
        ready: Readiness,
        env: Mapping[str, str],
        cwd: Path = ROOT,
        log_path: Path | None = None,
        startup_deadline_seconds: float = STARTUP_DEADLINE_SECONDS,
        stop_timeout_seconds: float = STOP_TIMEOUT_SECONDS,
        own_process_group: bool = False,
    ) -> None:
        self.command = list(command)
        self.base_url = base_url
        self._ready = ready
        self._env = dict(env)
        self._cwd = cwd
        self._log_path = log_path
        self._startup_deadline_seconds = startup_deadline_seconds
        self._stop_timeout_seconds = stop_timeout_seconds
        # In a group of its own, a signal can reach the server and every worker it started at once.
        self._own_process_group = own_process_group
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        return self._running().pid

    def start(self) -> None:
        """Starts the process and waits until it serves; raises ServerNotReady with the log's tail."""
        if self._process is not None:
            if self._process.poll() is None:
                raise RuntimeError("the server is already running")
            # It exited (killed by a test, say): start afresh, as a supervisor would.
            self._process = None
            self._close_log()
        # It lives as long as the process, across calls, so no `with` fits here.
        self._log = self._log_path.open("w+b") if self._log_path else tempfile.TemporaryFile()  # noqa: SIM115
        self._process = subprocess.Popen(
            self.command,
            cwd=self._cwd,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=self._own_process_group,
        )
        try:
            self._wait_until_ready(self._process)
        except ServerNotReady as exc:
            self._terminate()
            tail = self.log_tail()
            self._close_log()
            raise ServerNotReady(f"{exc}; {' '.join(self.command)} logged:\n{tail}") from None

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self._startup_deadline_seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerNotReady(f"the server exited with status {process.returncode} while starting")
            if self._ready(self):
                return
            time.sleep(POLL_INTERVAL_SECONDS)
        raise ServerNotReady(f"{self.base_url} was not ready within {self._startup_deadline_seconds}s")

    def stop(self) -> None:
        self._terminate()
        self._close_log()

    def signal(self, signum: int, *, group: bool = False) -> None:
        """Sends `signum` to the server, or with `group` to its whole process group."""
        if group and not self._own_process_group:
            raise RuntimeError("only a server started with own_process_group=True has a group of its own")
        process = self._running()
        if group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)

    def exit_status(self) -> int | None:
        """The exit status once the process has exited, else None."""
        return self._running().poll()

    def wait(self, timeout_seconds: float) -> int:
        """Waits for the process to exit (raising subprocess.TimeoutExpired) and returns its status."""
        return self._running().wait(timeout=timeout_seconds)

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("the server is not running")
        return self._process

    def _terminate(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited in time."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=self._stop_timeout_seconds)
        except subprocess.TimeoutExpired:
            if self._own_process_group:
                os.killpg(process.pid, signal.SIGKILL)  # the workers too
            else:
                process.kill()
            process.wait()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        if self._log is None:
            return ""
        # pread leaves the file offset alone: the child shares it, and writes wherever it points.
        descriptor = self._log.fileno()
        return os.pread(descriptor, os.fstat(descriptor).st_size, 0).decode(errors="replace")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of the log, for a failure message."""
        return "\n".join(self.log_text().splitlines()[-lines:])

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def app_env(database_url: str, secret: str, **extra: str) -> dict[str, str]:
    """The environment of the app as production runs it, whatever the developer's shell holds."""
    inherited = {key: value for key, value in os.environ.items() if key not in APP_ENV_OVERRIDDEN}
    return {
        **inherited,
        "APP_ENV": "production",
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": secret,
        **UNTRIPPABLE_RATE_LIMITS_ENV,
        # Tests that stop a server want it gone at once; tests/test_shutdown.py sets a drain of its own.
        "SHUTDOWN_DRAIN_SECONDS": "0",
        # Several test servers run at once: none serves metrics unless its test asks (test_metrics.py).
        "METRICS_ADDRESS": "",
        **extra,
    }


def migrate_as_deployed(env: Mapping[str, str]) -> None:
    """`alembic upgrade head` in its own process, finding the database in `env` as a deployment does."""
    command = [sys.executable, "-m", "alembic", "upgrade", "head"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {result.returncode}:\n{result.stderr}")


def app_server(env: Mapping[str, str], *, log_path: Path | None = None, workers: int = 1) -> ServerProcess:
    """The app under uvicorn on a free loopback port, serving once /healthz answers."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "impl.main:app", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    return ServerProcess(
        command, base_url=loopback_url(port), ready=answers_ok("/healthz"), env=env, log_path=log_path
    )


def production_server(
    env: Mapping[str, str], *, workers: int = 1, log_path: Path | None = None, own_process_group: bool = False
) -> ServerProcess:
    """`python -m impl.serve` (the production server: supervisor and workers) on a free loopback port,
    ready once every worker has started and the port answers."""
    port = free_port()
    command = [sys.executable, "-m", "impl.serve", "--host", "127.0.0.1", "--port", str(port)]
    return ServerProcess(
        [*command, "--workers", str(workers)],
        base_url=loopback_url(port),
        ready=all_of(workers_started(workers), answers_ok("/healthz")),
        env=env,
        log_path=log_path,
        own_process_group=own_process_group,
    )


def migrated_sqlite(directory: Path) -> str:
    """The URL of a SQLite database in `directory`, migrated as a deployment would."""
    url = f"sqlite+aiosqlite:///{directory / 'tasks.db'}"
    migrate_as_deployed(app_env(url, TEST_SECRET))
    return url
