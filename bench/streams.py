"""`make bench-streams`: the request figures with 1,000 open event streams per worker, and their memory.

    python -m bench.streams                  # one worker, 1,000 streams, 5 rounds
    python -m bench.streams --workers 2      # two workers, 2,000 streams in all

Serves a seeded PostgreSQL database (todo_bench_streams, dropped at the end) as in production, then
alternates rounds without and with the streams open (without, with, without, …, without), each a
closed-loop list and get run of wrk at 10 connections, as in `make bench`. The streams are held by a
separate process (`python -m bench.streams hold`) over raw sockets, spread over the bench users (one
or two per user, under SYNC_STREAMS_PER_USER), each read up to its first event before a round starts.
That process also patches the streamed users' tasks at a steady rate in both phases, so with streams
every write fans out to open streams and without them the same writes run. Reported: the medians of
each phase; each round with streams against its two neighbours without, the median of those changes
judged against the issue's 10 % target; the workers' CPU time per request; and the workers' RSS
before and after the streams open, i.e. the memory per stream. Results in
bench/results/streams-<workers>-worker.{json,md}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench import load
from bench.load import Load
from bench.runner import machine, save_results, write_tokens
from bench.seed import STABLE_TASKS, seed
from bench.server import MemorySampler, RunningServer, running_server
from tests.live_server import UNTRIPPABLE_RATE_LIMITS_ENV
from tests.support import DEFAULT_POSTGRES_URL, ROOT, asyncpg_dsn

DATABASE = "todo_bench_streams"
USERS = 1_000
TASKS = 100
OPERATIONS = ("list", "get")
CONNECTIONS = 10
DEGRADATION_TARGET = 0.10
EVENTS_PATH = "/api/tasks/events"
# Bounds of the holding process: opening every stream, and its whole life whatever the parent does.
OPEN_DEADLINE_SECONDS = 60
OPEN_CONCURRENCY = 50
HOLD_DEADLINE_SECONDS = 600
READ_BYTES = 4096
# A window with no wrk load: what the workers spend on the open streams (and the writes) alone.
IDLE_SECONDS = 3


# --- the holding process ------------------------------------------------------------------------


@dataclass
class Holder:
    """The open streams of one process, and the writes that make them receive events."""

    host: str
    port: int
    tokens: list[str]
    streams: int
    writes_per_second: float
    events: int = 0
    failures: list[str] = field(default_factory=list)
    writes: int = 0
    write_errors: int = 0
    first_event_ms: list[float] = field(default_factory=list)
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)

    def request(self, stream: int) -> bytes:
        token = self.tokens[stream % len(self.tokens)]
        return (
            f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()

    async def open(self, stream: int, gate: asyncio.Semaphore) -> asyncio.StreamReader | None:
        """Opens stream `stream` and reads up to the end of its first event."""
        async with gate:
            started = time.monotonic()
            reader, writer = await asyncio.open_connection(self.host, self.port)
            writer.write(self.request(stream))
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                writer.close()
                self.failures.append(head.split(b"\r\n", 1)[0].decode(errors="replace"))
                return None
            seen = b""
            while b"\n\n" not in seen.partition(b"event: sync")[2]:
                chunk = await reader.read(READ_BYTES)
                if not chunk:
                    self.failures.append("closed before its first event")
                    return None
                seen += chunk
            self.first_event_ms.append((time.monotonic() - started) * 1000)
            self._writers.append(writer)
            return reader

    async def drain(self, reader: asyncio.StreamReader) -> None:
        """Counts the sync events a stream receives until it ends (a chunk never splits an event)."""
        while chunk := await reader.read(READ_BYTES):
            self.events += chunk.count(b"event: sync")

    async def write_loop(self, users: int) -> None:
        """PATCHes a stable task of the streamed users in turn, `writes_per_second` times a second."""
        if self.writes_per_second <= 0:
            return
        base = f"http://{self.host}:{self.port}"
        interval = 1 / self.writes_per_second
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            next_at = time.monotonic()
            while True:
                user = self.writes % users
                task = user * TASKS + self.writes % STABLE_TASKS + 1
                headers = {"Authorization": f"Bearer {self.tokens[user]}"}
                answer = await client.patch(
                    f"/api/tasks/{task}", json={"title": "Seen live"}, headers=headers
                )
                self.writes += 1
                self.write_errors += answer.status_code != 200
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def run(self, stop: asyncio.Event) -> dict[str, Any]:
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)
        async with asyncio.timeout(OPEN_DEADLINE_SECONDS):
            readers = await asyncio.gather(*(self.open(i, gate) for i in range(self.streams)))
        opened = [reader for reader in readers if reader is not None]
        _report(
            {
                "opened": len(opened),
                "failures": len(self.failures),
                "failure_kinds": sorted(set(self.failures)),
                "first_event_p50_ms": _median(self.first_event_ms),
            }
        )
        tasks = [asyncio.create_task(self.drain(reader)) for reader in opened]
        # Every user in turn, with or without streams, so both phases make the same writes.
        tasks.append(asyncio.create_task(self.write_loop(len(self.tokens))))
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for writer in self._writers:
            writer.close()
        return {"events": self.events, "writes": self.writes, "write_errors": self.write_errors}


def _report(line: dict[str, Any]) -> None:
    print(json.dumps(line), flush=True)


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1) if values else 0.0


async def _hold(args: argparse.Namespace, tokens: list[str]) -> None:
    url = urlsplit(args.url)
    holder = Holder(url.hostname or "127.0.0.1", url.port or 80, tokens, args.streams, args.writes_per_second)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    # The parent closes our stdin to end the hold; the deadline ends it if the parent never does.
    def stdin_closed() -> None:
        loop.remove_reader(sys.stdin.fileno())
        stop.set()

    loop.add_reader(sys.stdin.fileno(), stdin_closed)
    loop.call_later(HOLD_DEADLINE_SECONDS, stop.set)
    _report(await holder.run(stop))


# --- the benchmark ------------------------------------------------------------------------------


@dataclass
class HeldStreams:
    """A running holding process: what it opened, and (once ended) what it saw."""

    process: subprocess.Popen[str]
    opened: dict[str, Any]

    def end(self) -> dict[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        final = stdout.readline()
        return dict(json.loads(final)) if final else {}


@contextlib.contextmanager
def held_streams(
    base_url: str, tokens: Path, streams: int, writes_per_second: float
) -> Iterator[HeldStreams]:
    command = [
        sys.executable,
        "-m",
        "bench.streams",
        "hold",
        "--url",
        base_url,
        "--tokens",
        str(tokens),
        "--streams",
        str(streams),
        "--writes-per-second",
        str(writes_per_second),
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    held: HeldStreams | None = None
    try:
        first = _first_line(process.stdout)
        if not first:
            raise RuntimeError(f"the stream holder exited with {process.wait()} before opening its streams")
        held = HeldStreams(process, json.loads(first))
        yield held
    finally:
        if held is not None and held.process.poll() is None:
            held.end()
        elif process.poll() is None:
            process.kill()
            process.wait()


def _first_line(stdout: IO[str] | None) -> str:
    assert stdout is not None
    return stdout.readline()


def worker_rss_mb(server: RunningServer) -> float:
    """The workers' RSS now, summed (a fresh sampler's single sample is the current value)."""
    sampler = MemorySampler(server.memory.supervisor)
    sampler.sample()
    return round(sum(sampler.peak_by_worker.values()) / 2**20, 1)


@dataclass
class StreamsBench:
    admin_url: str
    scratch: Path
    workers: int
    streams_per_worker: int
    rounds: int
    seconds: float
    writes_per_second: float
    heartbeat_seconds: float | None = None
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @property
    def database_url(self) -> str:
        return make_url(self.admin_url).set(database=DATABASE).render_as_string(False)

    @property
    def tokens(self) -> Path:
        return self.scratch / "tokens.txt"

    @property
    def streams(self) -> int:
        return self.streams_per_worker * self.workers

    def server_env(self) -> dict[str, str]:
        env = {"APP_ENV": "production", "BETTER_AUTH_SECRET": self.secret, "DATABASE_URL": self.database_url}
        # Requests from the same users thousands of times a minute: counted, never refused.
        env |= UNTRIPPABLE_RATE_LIMITS_ENV
        # Room for every stream even if the kernel hands one worker more than its share of them.
        env["SYNC_STREAMS_TOTAL"] = str(max(2000, 2 * self.streams_per_worker))
        if self.heartbeat_seconds is not None:
            env["SYNC_HEARTBEAT_SECONDS"] = str(self.heartbeat_seconds)
        return env

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        results: dict[str, Any] = {"machine": machine() | {"workers": self.workers}}
        results["uptime_start"] = _uptime()
        results["seed_seconds"] = round(seed(self.database_url, USERS, TASKS), 1)
        write_tokens(self.tokens, self.secret, USERS)
        with running_server("impl.serve", self.server_env(), "/readyz", self.workers) as server:
            load.run(
                [Load("list", 20, 2), Load("get", 20, 2)], server.base_url, self.tokens, TASKS, STABLE_TASKS
            )
            server.settle()
            results["rounds"] = self.rounds_of(server)
        results["summary"] = summary(results["rounds"], self.streams)
        results["machine"]["loadavg_end"] = list(os.getloadavg())
        results["uptime_end"] = _uptime()
        results["settings"] = {
            "streams": self.streams,
            "streams_per_worker": self.streams_per_worker,
            "users": USERS,
            "tasks_per_user": TASKS,
            "rounds": self.rounds,
            "seconds_per_run": self.seconds,
            "writes_per_second": self.writes_per_second,
            "heartbeat_seconds": self.heartbeat_seconds,
        }
        results["total_seconds"] = round(time.monotonic() - started, 1)
        return results

    def rounds_of(self, server: RunningServer) -> list[dict[str, Any]]:
        rounds = []
        for index in range(self.rounds):
            rounds.append(self.phase(server, index, 0))
            rounds.append(self.phase(server, index, self.streams))
        rounds.append(self.phase(server, self.rounds, 0))
        return rounds

    def phase(self, server: RunningServer, index: int, streams: int) -> dict[str, Any]:
        rss_before = worker_rss_mb(server)
        with held_streams(server.base_url, self.tokens, streams, self.writes_per_second) as held:
            server.settle()
            rss_open = worker_rss_mb(server)
            idle_cpu = idle_cpu_share(server)
            runs = {op: self.one(server, op, streams) for op in OPERATIONS}
            rss_after_runs = worker_rss_mb(server)
            seen = held.end()
        server.settle()
        return {
            "round": index,
            "streams": streams,
            "opened": held.opened,
            "seen": seen,
            "rss_mb": {"before": rss_before, "open": rss_open, "after_runs": rss_after_runs},
            "idle_cpu_percent": idle_cpu,
            "runs": runs,
        }

    def one(self, server: RunningServer, op: str, streams: int) -> dict[str, Any]:
        cpu_before = worker_cpu_seconds(server)
        result = load.run(
            [Load(op, CONNECTIONS, self.seconds)], server.base_url, self.tokens, TASKS, STABLE_TASKS
        )[0]
        # CPU the workers spent per request: on a shared machine far steadier than req/s, and it
        # includes what the streams cost (heartbeats, fan-out) as well as the writes of both phases.
        cpu = worker_cpu_seconds(server) - cpu_before
        result["cpu_ms_per_request"] = round(1000 * cpu / max(result["requests"], 1), 3)
        result["loadavg_1m"] = round(os.getloadavg()[0], 2)
        print(
            f"streams={streams:<5} {op:>4} c={CONNECTIONS} {result['rps']:>8.1f} req/s  "
            f"p50 {result['p50_ms']:>6.2f}  p99 {result['p99_ms']:>6.2f} ms  "
            f"cpu {result['cpu_ms_per_request']:.3f} ms/req  errors {result['errors']}  "
            f"load {result['loadavg_1m']}",
            flush=True,
        )
        server.settle()
        return result


def idle_cpu_share(server: RunningServer) -> float:
    """The workers' CPU time over IDLE_SECONDS without request load, as a percentage of one core."""
    before, started = worker_cpu_seconds(server), time.monotonic()
    time.sleep(IDLE_SECONDS)
    return round(100 * (worker_cpu_seconds(server) - before) / (time.monotonic() - started), 1)


def worker_cpu_seconds(server: RunningServer) -> float:
    """User plus system CPU time of the workers so far (the sampler finds the worker processes)."""
    sampler = MemorySampler(server.memory.supervisor)
    sampler.sample()
    ticks = 0
    for worker in sampler.peak_by_worker:
        with open(f"/proc/{worker}/stat") as stat:
            # Fields after the command name, which is parenthesised and may hold spaces.
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


METRICS = {"rps": -1, "p50_ms": 1, "p99_ms": 1, "cpu_ms_per_request": 1}


def paired_changes(rounds: list[dict[str, Any]], op: str, metric: str) -> list[float]:
    """Each phase with streams against the mean of the phases without them just before and after:
    the machine's load drifts between rounds, much less between neighbours."""
    changes = []
    for index in range(1, len(rounds) - 1, 2):
        before, with_, after = (rounds[i]["runs"][op][metric] for i in (index - 1, index, index + 1))
        changes.append(with_ / ((before + after) / 2) - 1)
    return changes


def summary(rounds: list[dict[str, Any]], streams: int) -> dict[str, Any]:
    """Per operation: the medians of each phase and the median paired change of each metric, worse
    when positive (req/s lost, milliseconds added); and the memory the first opening took."""
    by_op: dict[str, Any] = {}
    for op in OPERATIONS:
        phases = {
            name: {
                metric: statistics.median(r["runs"][op][metric] for r in rounds if (r["streams"] > 0) == held)
                for metric in METRICS
            }
            for name, held in (("without", False), ("with", True))
        }
        worse = {
            metric: round(sign * statistics.median(paired_changes(rounds, op, metric)), 3)
            for metric, sign in METRICS.items()
        }
        met = worse["rps"] <= DEGRADATION_TARGET and worse["p50_ms"] <= DEGRADATION_TARGET
        by_op[op] = phases | {"worse": worse, "met": met}
    held = [r for r in rounds if r["streams"] > 0]
    first = held[0]
    per_stream = [(r["rss_mb"]["open"] - r["rss_mb"]["before"]) * 2**20 / streams for r in held]
    return {
        "by_op": by_op,
        # The first opening allocates; later ones largely reuse what the first left to the allocator.
        "kib_per_stream_first": round(per_stream[0] / 1024, 1),
        "kib_per_stream_by_round": [round(value / 1024, 1) for value in per_stream],
        "rss_mb_without_streams": first["rss_mb"]["before"],
        "rss_mb_with_streams": first["rss_mb"]["open"],
        "idle_cpu_percent": {
            name: statistics.median(r["idle_cpu_percent"] for r in rounds if (r["streams"] > 0) == held)
            for name, held in (("without", False), ("with", True))
        },
        "events_seen": [r["seen"].get("events", 0) for r in held],
        "opened": [r["opened"]["opened"] for r in held],
    }


def _pct(change: float) -> str:
    return f"{100 * change:+.1f} %"


def markdown(results: dict[str, Any]) -> str:
    s, settings = results["summary"], results["settings"]
    lines = [
        f"{settings['streams']:,} open streams on {results['machine']['workers']} worker(s), "
        f"{settings['writes_per_second']:g} writes/s in both phases (fanned out to the streams), "
        f"heartbeat every {settings['heartbeat_seconds'] or 'default'} s; "
        f"{settings['rounds']} rounds with streams between {settings['rounds'] + 1} without, "
        f"{settings['seconds_per_run']:g} s per run. Medians over the phases; *worse by* is the median "
        "over the rounds of each round with streams against the mean of its two neighbours without.",
        "",
        "| operation | req/s without / with | worse by | p50 ms without / with | worse by "
        "| p99 ms without / with | worse by | CPU ms/request without / with | worse by | ≤ 10 % |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for op, figures in s["by_op"].items():
        without, with_, worse = figures["without"], figures["with"], figures["worse"]
        lines.append(
            f"| {op} | {without['rps']:.0f} / {with_['rps']:.0f} | {_pct(worse['rps'])} "
            f"| {without['p50_ms']:.2f} / {with_['p50_ms']:.2f} | {_pct(worse['p50_ms'])} "
            f"| {without['p99_ms']:.2f} / {with_['p99_ms']:.2f} | {_pct(worse['p99_ms'])} "
            f"| {without['cpu_ms_per_request']:.3f} / {with_['cpu_ms_per_request']:.3f} "
            f"| {_pct(worse['cpu_ms_per_request'])} | {'met' if figures['met'] else '**missed**'} |"
        )
    lines += [
        "",
        "The target (req/s and p50 no more than 10 % worse) is judged on the paired changes.",
        f"Workers' RSS {s['rss_mb_without_streams']} MB without streams, {s['rss_mb_with_streams']} MB "
        f"with them: **{s['kib_per_stream_first']} KiB per stream** (later rounds: "
        f"{', '.join(str(v) for v in s['kib_per_stream_by_round'][1:]) or '–'} KiB, reusing freed memory).",
        f"Workers' CPU without request load (the writes only, or the writes and the streams): "
        f"{s['idle_cpu_percent']['without']} % of a core without streams, "
        f"{s['idle_cpu_percent']['with']} % with them (medians).",
        f"Streams opened per round: {s['opened']}; sync events they received: {s['events_seen']}.",
        f"Load average {_loads(results['machine']['loadavg_start'])} at the start, "
        f"{_loads(results['machine']['loadavg_end'])} at the end; `uptime`: {results['uptime_end']}",
    ]
    return "\n".join(lines) + "\n"


def _loads(averages: list[float]) -> str:
    return " ".join(f"{value:.2f}" for value in averages)


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


async def drop_database(database_url: str) -> None:
    url = make_url(database_url)
    admin = await asyncpg.connect(asyncpg_dsn(url.set(database="postgres").render_as_string(False)))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    hold = commands.add_parser("hold", help="open and hold the streams (run by the benchmark itself)")
    hold.add_argument("--url", required=True)
    hold.add_argument("--tokens", required=True)
    hold.add_argument("--streams", type=int, required=True)
    hold.add_argument("--writes-per-second", type=float, default=0)
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES_URL))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--streams-per-worker", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5, help="phases with streams (one more without)")
    parser.add_argument("--seconds", type=float, default=4, help="length of each wrk run")
    parser.add_argument("--writes-per-second", type=float, default=10)
    parser.add_argument(
        "--heartbeat-seconds", type=float, default=None, help="SYNC_HEARTBEAT_SECONDS (default: the server's)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    if args.command == "hold":
        asyncio.run(_hold(args, Path(args.tokens).read_text().split()))
        return
    load.require_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-streams-") as scratch:
        bench = StreamsBench(
            args.admin_url,
            Path(scratch),
            args.workers,
            args.streams_per_worker,
            args.rounds,
            args.seconds,
            args.writes_per_second,
            args.heartbeat_seconds,
        )
        try:
            results = bench.run()
        finally:
            asyncio.run(drop_database(bench.database_url))
    name = f"streams-{args.workers}-worker"
    if args.heartbeat_seconds is not None:
        name += f"-heartbeat-{args.heartbeat_seconds:g}s"
    save_results(args.out, name, results, markdown(results))


if __name__ == "__main__":
    main()
