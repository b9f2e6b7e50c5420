"""Throwaway PostgreSQL clusters (initdb, pg_ctl) on free loopback ports, to put a real server in a state:
starting up, shutting down, crashed, stopped. Never the shared server on 5432.

PostgreSQL refuses to run as root, so under root every command runs as the `postgres` OS user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.live_server import free_port

POSTGRES_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
SERVICE_USER = "postgres"
POLL_INTERVAL_SECONDS = 0.05
STATE_DEADLINE_SECONDS = 30


def postgres_bin_available() -> bool:
    return (POSTGRES_BIN / "initdb").exists() and (POSTGRES_BIN / "pg_ctl").exists()


def run_as_service_user(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Runs a PostgreSQL tool, as the `postgres` OS user when we are root (initdb/postgres insist)."""
    user = SERVICE_USER if os.geteuid() == 0 else None
    result: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
        command, user=user, check=False, capture_output=True, text=True, **kwargs
    )
    if result.returncode != 0:
        raise ClusterCommandFailed(f"{' '.join(command)} exited {result.returncode}: {result.stderr.strip()}")
    return result


class ClusterCommandFailed(RuntimeError):
    """A PostgreSQL tool failed; the message carries its stderr."""


def owned_scratch_directory(prefix: str) -> Path:
    """A temporary directory the service user may write in."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVICE_USER)
        os.chown(directory, account.pw_uid, account.pw_gid)
    return directory


def poll_until(condition: object, what: str, deadline_seconds: float = STATE_DEADLINE_SECONDS) -> None:
    """Polls `condition()` until it is true; the state is observed, never assumed after a sleep."""
    assert callable(condition)
    deadline = time.monotonic() + deadline_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not {what} within {deadline_seconds} s")
        time.sleep(POLL_INTERVAL_SECONDS)


@dataclass
class Cluster:
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def configure(self, **settings: object) -> None:
        """Appends settings to postgresql.conf (read at the next start or reload)."""
        lines = "".join(f"{name} = {_literal(value)}\n" for name, value in settings.items())
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(lines)

    def start(self, *, wait: bool = True) -> None:
        log = self.data.parent / "postgres.log"
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        wait_flag = "-w" if wait else "-W"
        self.pg_ctl("start", wait_flag, "-l", str(log), "-o", options)

    def stop(self, mode: str = "fast", *, wait: bool = True) -> None:
        self.pg_ctl("stop", "-m", mode, "-w" if wait else "-W")

    def pg_ctl(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return run_as_service_user([str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), *arguments])

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None

    def is_running(self) -> bool:
        return self.pg_ctl_status() == 0

    def pg_ctl_status(self) -> int:
        user = SERVICE_USER if os.geteuid() == 0 else None
        command = [str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "status"]
        return subprocess.run(command, user=user, capture_output=True, check=False).returncode

    def accepts_connections(self) -> bool:
        command = [str(POSTGRES_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-t", "1"]
        return subprocess.run(command, capture_output=True, check=False).returncode == 0


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


@contextmanager
def template_data_directory() -> Iterator[Path]:
    """One initdb, copied for every cluster: a copy takes milliseconds, initdb a few seconds."""
    scratch = owned_scratch_directory("pg-template-")
    try:
        data = scratch / "data"
        initdb = [str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
        run_as_service_user([*initdb, "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
        yield data
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def throwaway_cluster(template: Path, **settings: object) -> Iterator[Cluster]:
    """A stopped cluster copied from `template`, with `settings`; stopped (immediately) and removed after."""
    scratch = owned_scratch_directory("pg-cluster-")
    data = scratch / "data"
    run_as_service_user(["cp", "-a", str(template), str(data)])
    cluster = Cluster(data, free_port())
    cluster.configure(fsync=False, **settings)
    try:
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except ClusterCommandFailed:
            if cluster.is_running():
                raise
        shutil.rmtree(scratch, ignore_errors=True)
