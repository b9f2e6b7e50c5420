"""`make chaos`: the production server (`python -m impl.serve`, 2 workers) under steady write load while
PostgreSQL restarts, goes away and comes back, fails over to its synchronous standby (pg_auto_failover),
and while the API itself is killed (SIGKILL) or stopped (SIGTERM) mid-write.

Prints one line per scenario and exits non-zero on any violation: an acknowledged write lost, a 500, a
request that hung past the client timeout, or no recovery without restarting the API. Every cluster
and process is its own (temporary directories, free loopback ports) and is removed on exit; the
shared PostgreSQL on 5432 is never touched.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from tests.live_server import ServerProcess, app_env, free_port, migrate_as_deployed, production_server
from tests.pg_cluster import (
    POSTGRES_BIN,
    SERVICE_USER,
    Cluster,
    owned_scratch_directory,
    template_data_directory,
    throwaway_cluster,
)
from tests.support import TEST_SECRET, auth

CONCURRENCY = 8
CLIENT_TIMEOUT_SECONDS = 5  # a request without an answer by then counts as hung
RECOVERY_DEADLINE_SECONDS = 60
WRITES_BEFORE_FAULT = 50
WRITES_AFTER_RECOVERY = 50
WORKERS = 2
# pg_auto_failover's monitor declares a node failed after ~20 s by default; these make it ~2 s.
MONITOR_SETTINGS = {
    "pgautofailover.health_check_period": 1000,
    "pgautofailover.health_check_timeout": 1000,
    "pgautofailover.health_check_max_retries": 1,
    "pgautofailover.health_check_retry_delay": 500,
    "pgautofailover.node_considered_unhealthy_timeout": 2000,
    # How long the monitor waits for an unreachable primary to demote itself before promoting the
    # standby (default 30 s, against split brain). Here the primary is known dead, so 2 s.
    "pgautofailover.primary_demote_timeout": 2000,
}


class Violation(Exception):
    """A scenario broke one of the guarantees."""


@dataclass
class WriteLoad:
    """Concurrent creates, recording every acknowledged id and every answer."""

    base_url: str
    user: str
    acked: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    hung: int = 0
    refused: int = 0  # no HTTP answer at all: the API process is down (the API-kill scenarios)
    unavailable_at: list[float] = field(default_factory=list)
    acked_at: list[float] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=CONCURRENCY)
        async with httpx.AsyncClient(
            base_url=self.base_url, headers=auth(self.user), timeout=CLIENT_TIMEOUT_SECONDS, limits=limits
        ) as client:
            await asyncio.gather(*(self._writer(client) for _ in range(CONCURRENCY)))

    async def _writer(self, client: httpx.AsyncClient) -> None:
        while not self._stop.is_set():
            try:
                response = await client.post("/api/tasks", json={"title": "chaos"})
            except httpx.TimeoutException:
                self.hung += 1
                continue
            except httpx.TransportError:
                self.refused += 1
                await asyncio.sleep(0.01)  # the API is down: do not spin
                continue
            self.statuses[response.status_code] += 1
            if response.status_code == 201:
                self.acked.append(int(response.json()["id"]))
                self.acked_at.append(time.monotonic())
            elif response.status_code == 503:
                self.unavailable_at.append(time.monotonic())
                await asyncio.sleep(0.01)

    def stop(self) -> None:
        self._stop.set()

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + RECOVERY_DEADLINE_SECONDS
        while not condition():
            if time.monotonic() > deadline:
                raise Violation(f"not {what} within {RECOVERY_DEADLINE_SECONDS} s")
            await asyncio.sleep(0.02)

    def acks_since(self, moment: float) -> int:
        return sum(1 for at in self.acked_at if at > moment)

    @property
    def unavailable_window(self) -> float:
        return self.unavailable_at[-1] - self.unavailable_at[0] if self.unavailable_at else 0.0


def as_service_user() -> dict[str, object]:
    return {"user": SERVICE_USER} if os.geteuid() == 0 else {}


@dataclass
class Api:
    """`python -m impl.serve` in its own process group, on a free port."""

    database_url: str
    log: Path
    drain_seconds: float = 0
    server: ServerProcess = field(init=False)

    def __post_init__(self) -> None:
        self.server = production_server(
            app_env(self.database_url, TEST_SECRET, SHUTDOWN_DRAIN_SECONDS=str(self.drain_seconds)),
            workers=WORKERS,
            log_path=self.log,
            own_process_group=True,
        )

    @property
    def url(self) -> str:
        return self.server.base_url

    def migrate(self) -> None:
        migrate_as_deployed(app_env(self.database_url, TEST_SECRET))

    def start(self) -> None:
        self.server.start()

    def signal(self, signum: int, *, group: bool) -> None:
        self.server.signal(signum, group=group)

    def stop(self) -> None:
        try:
            if self.server.exit_status() is None:
                self.server.signal(signal.SIGKILL, group=True)
        except RuntimeError:
            return  # not running
        self.server.stop()


async def missing(database_url: str, ids: list[int]) -> int:
    """How many acknowledged ids the database does not have."""
    connection = await asyncpg.connect(database_url, timeout=5)
    try:
        found = await connection.fetchval("SELECT count(*) FROM tasks WHERE id = ANY($1::bigint[])", ids)
    finally:
        await connection.close()
    return len(set(ids)) - int(found)


@dataclass
class Outcome:
    name: str
    load: WriteLoad
    lost: int
    note: str

    def line(self) -> str:
        load = self.load
        return (
            f"{self.name}: {len(load.acked)} writes acked, {self.lost} lost, {load.statuses[500]} x 500, "
            f"{load.hung} hung, 503 window {load.unavailable_window:.1f} s ({load.statuses[503]} x 503), "
            f"{self.note}"
        )

    def violations(self) -> list[str]:
        problems = []
        if self.lost:
            problems.append(f"{self.lost} acknowledged writes lost")
        if self.load.statuses[500]:
            problems.append(f"{self.load.statuses[500]} x 500")
        if self.load.hung:
            problems.append(f"{self.load.hung} requests hung past {CLIENT_TIMEOUT_SECONDS} s")
        unexpected = set(self.load.statuses) - {201, 503}
        if unexpected:
            problems.append(f"unexpected statuses {sorted(unexpected)}")
        return problems


async def database_fault_under_load(
    name: str, api: Api, verify_url: str, fault: Callable[[WriteLoad], Awaitable[None]]
) -> Outcome:
    """Load, then the fault, then recovery observed on the same API process (never restarted)."""
    load = WriteLoad(api.url, user=f"chaos-{name}")
    runner = asyncio.create_task(load.run())
    try:
        await load.until(lambda: len(load.acked) >= WRITES_BEFORE_FAULT, "writing before the fault")
        await fault(load)
        recovered_from = time.monotonic()
        await load.until(lambda: load.acks_since(recovered_from) >= WRITES_AFTER_RECOVERY, "recovered")
    finally:
        load.stop()
        await runner
    if api.server.exit_status() is not None:
        raise Violation(f"{name}: the API process died")
    if load.statuses[500]:
        # The traceback of a 500 is in the server's log, not in the response: show it with the figures.
        errors = [line for line in api.server.log_text().splitlines() if '"level":"error"' in line]
        print(f"{name}: the server logged, for its 500s:\n" + "\n".join(errors[-5:]), file=sys.stderr)
    lost = await missing(verify_url, load.acked)
    return Outcome(name, load, lost, "recovered without restart")


async def api_fault_under_load(name: str, api: Api, verify_url: str, signum: int) -> Outcome:
    """Load, then the API signalled mid-write; every write it acknowledged must be in the database."""
    load = WriteLoad(api.url, user=f"chaos-{name}")
    runner = asyncio.create_task(load.run())
    try:
        await load.until(lambda: len(load.acked) >= WRITES_BEFORE_FAULT, "writing before the signal")
        # SIGKILL the whole group (supervisor and workers at once); SIGTERM the supervisor, as an
        # orchestrator does, which forwards it to the workers.
        api.signal(signum, group=signum == signal.SIGKILL)
        status = await asyncio.to_thread(api.server.wait, RECOVERY_DEADLINE_SECONDS)
    finally:
        load.stop()
        await runner
    lost = await missing(verify_url, load.acked)
    outcome = Outcome(name, load, lost, f"API exit status {status}")
    if signum == signal.SIGTERM and status != 0:
        raise Violation(f"{name}: the API exited {status} after SIGTERM")
    return outcome


# --- PostgreSQL on its own ----------------------------------------------------------------------------


def restart(cluster: Cluster) -> Callable[[WriteLoad], Awaitable[None]]:
    async def fault(_: WriteLoad) -> None:
        # Stop and start rather than `pg_ctl restart`, which would log to (and hold open) our pipe.
        await asyncio.to_thread(cluster.stop, "fast")
        await asyncio.to_thread(cluster.start)

    return fault


def outage(cluster: Cluster) -> Callable[[WriteLoad], Awaitable[None]]:
    async def fault(load: WriteLoad) -> None:
        await asyncio.to_thread(cluster.stop, "immediate")
        seen = len(load.unavailable_at)
        # Down long enough for every writer to have met the outage several times.
        await load.until(lambda: len(load.unavailable_at) >= seen + 5 * CONCURRENCY, "answering 503")
        await asyncio.to_thread(cluster.start)

    return fault


async def single_node_scenarios(scratch: Path, outcomes: list[Outcome]) -> None:
    with template_data_directory() as template, throwaway_cluster(template) as cluster:
        cluster.start()
        api = Api(cluster.url, scratch / "api.log", drain_seconds=1)
        api.migrate()
        try:
            api.start()
            outcomes.append(await database_fault_under_load("restart", api, cluster.url, restart(cluster)))
            outcomes.append(await database_fault_under_load("outage", api, cluster.url, outage(cluster)))
            outcomes.append(await api_fault_under_load("api-sigkill", api, cluster.url, signal.SIGKILL))
            api.start()
            outcomes.append(await api_fault_under_load("api-sigterm", api, cluster.url, signal.SIGTERM))
        finally:
            api.stop()


# --- pg_auto_failover: a monitor, a primary and a synchronous secondary --------------------------------


@dataclass
class Formation:
    scratch: Path
    monitor_port: int = field(default_factory=free_port)
    node_ports: tuple[int, int] = field(default_factory=lambda: (free_port(), free_port()))
    keepers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    primary: subprocess.Popen[bytes] | None = None

    @property
    def monitor_url(self) -> str:
        return f"postgresql://autoctl_node@127.0.0.1:{self.monitor_port}/pg_auto_failover"

    @property
    def database_url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.node_ports)
        return f"postgresql://postgres@{hosts}/postgres?target_session_attrs=read-write"

    def env(self) -> dict[str, str]:
        # pg_autoctl keeps its configuration and state under the XDG directories: keep them here.
        return {
            "PATH": f"{POSTGRES_BIN}:/usr/bin:/bin",
            "HOME": str(self.scratch),
            "XDG_CONFIG_HOME": str(self.scratch / "config"),
            "XDG_DATA_HOME": str(self.scratch / "share"),
            "XDG_RUNTIME_DIR": str(self.scratch / "run"),
        }

    def pg_autoctl(self, *arguments: str, run: bool) -> subprocess.Popen[bytes] | None:
        command = ["pg_autoctl", *arguments]
        if arguments[0] == "create":
            command += ["--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl"]
        log = (self.scratch / f"{arguments[0]}-{arguments[1]}-{len(self.keepers)}.log").open("ab")
        if not run:
            subprocess.run(command, env=self.env(), stdout=log, stderr=log, check=True, **as_service_user())  # type: ignore[call-overload]
            return None
        keeper: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
            [*command, "--run"] if arguments[0] == "create" else command,
            env=self.env(),
            stdout=log,
            stderr=log,
            start_new_session=True,
            **as_service_user(),
        )
        self.keepers.append(keeper)
        return keeper

    def node(self, index: int) -> subprocess.Popen[bytes] | None:
        port = self.node_ports[index]
        data = str(self.scratch / f"node{index + 1}")
        return self.pg_autoctl(
            "create",
            "postgres",
            "--pgdata",
            data,
            "--pgport",
            str(port),
            "--monitor",
            self.monitor_url,
            run=True,
        )

    async def states(self) -> dict[int, str]:
        try:
            connection = await asyncpg.connect(self.monitor_url, timeout=2)
        except (OSError, asyncpg.PostgresError):
            return {}
        try:
            rows = await connection.fetch("SELECT nodeport, reportedstate FROM pgautofailover.node")
        except asyncpg.PostgresError:
            return {}
        finally:
            await connection.close()
        return {row["nodeport"]: row["reportedstate"] for row in rows}

    async def wait_for(self, expected: dict[int, str], what: str) -> None:
        deadline = time.monotonic() + RECOVERY_DEADLINE_SECONDS
        while (await self.states()) != expected:
            if time.monotonic() > deadline:
                raise Violation(f"formation not {what}: {await self.states()}")
            await asyncio.sleep(0.2)

    async def build(self) -> None:
        monitor_data = str(self.scratch / "monitor")
        await asyncio.to_thread(
            self.pg_autoctl,
            "create",
            "monitor",
            "--pgdata",
            monitor_data,
            "--pgport",
            str(self.monitor_port),
            run=False,
        )
        self.pg_autoctl("run", "--pgdata", monitor_data, run=True)
        await self._tune_monitor()
        self.primary = self.node(0)
        await self.wait_for({self.node_ports[0]: "single"}, "started")
        # A base backup starts with a checkpoint; one just done makes it immediate.
        await self._sql(self.node_ports[0], "CHECKPOINT")
        self.node(1)
        await self.wait_for({self.node_ports[0]: "primary", self.node_ports[1]: "secondary"}, "replicating")

    async def _tune_monitor(self) -> None:
        deadline = time.monotonic() + RECOVERY_DEADLINE_SECONDS
        while True:
            try:
                for name, value in MONITOR_SETTINGS.items():
                    await self._sql(self.monitor_port, f"ALTER SYSTEM SET {name} = {value}")
                await self._sql(self.monitor_port, "SELECT pg_reload_conf()")
                return
            except (OSError, asyncpg.PostgresError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def _sql(self, port: int, statement: str) -> None:
        connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", timeout=2)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def kill_primary(self) -> None:
        """The primary node's keeper, postmaster and backends die at once (SIGKILL to its group)."""
        assert self.primary is not None
        os.killpg(self.primary.pid, signal.SIGKILL)

    def close(self) -> None:
        for keeper in self.keepers:
            if keeper.poll() is None:
                os.killpg(keeper.pid, signal.SIGKILL)
                keeper.wait()


async def failover_scenario(scratch: Path, outcomes: list[Outcome]) -> None:
    formation = Formation(scratch)
    try:
        await formation.build()
        api = Api(formation.database_url, scratch / "api.log")
        api.migrate()
        try:
            api.start()

            async def fault(_: WriteLoad) -> None:
                formation.kill_primary()

            outcomes.append(await database_fault_under_load("failover", api, formation.database_url, fault))
        finally:
            api.stop()
    finally:
        formation.close()


@contextmanager
def scratch_directory(prefix: str) -> Iterator[Path]:
    directory = owned_scratch_directory(prefix)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def raise_on_sigterm() -> None:
    """Stopped by CI or a user: unwind, so every cluster and process is cleaned up."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


async def main() -> int:
    raise_on_sigterm()
    if shutil.which("pg_autoctl") is None:
        print("pg_autoctl not found: install postgresql-15-auto-failover (make chaos does)", file=sys.stderr)
        return 2
    outcomes: list[Outcome] = []
    failures: list[str] = []
    started = time.monotonic()
    with ExitStack() as stack:
        single = stack.enter_context(scratch_directory("chaos-single-"))
        formation = stack.enter_context(scratch_directory("chaos-failover-"))
        for scenario, directory in ((single_node_scenarios, single), (failover_scenario, formation)):
            try:
                await scenario(directory, outcomes)
            except Exception as exc:  # any failure is reported, after the other scenarios ran
                failures.append(f"{scenario.__name__}: {type(exc).__name__}: {exc}")
    for outcome in outcomes:
        print(outcome.line(), flush=True)
        failures += [f"{outcome.name}: {problem}" for problem in outcome.violations()]
    print(f"chaos: {len(outcomes)} scenarios in {time.monotonic() - started:.0f} s", flush=True)
    for failure in failures:
        print(f"VIOLATION {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
