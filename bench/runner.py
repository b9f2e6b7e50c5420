"""`make bench` / `make bench-quick`: seed, serve as in production, load with wrk, report.

    python -m bench.runner --profile full    # 10,000 users x 100 tasks, ~10 minutes
    python -m bench.runner --profile quick   # 1,000 users x 100 tasks, < 2 minutes
    python -m bench.runner --pgbouncer       # the same through a transaction-mode PgBouncer

Scenarios: (1) the ceiling, FastAPI answering a constant body on the same server options, and the
lean bound (bench/lean.py), the same work as list, get and create without the framework layers;
(2) closed-loop throughput per operation at 10, 100 and 1,000 connections, list, get and create each
run right after the lean bound's run of the same load; (3) 1,000 users each sending about one
request a second in a realistic mix; plus list latency at 10,000 rows against the full data set.
Results go to bench/results/latest.json and latest.md. `BENCH_WORKERS=1` (or `--workers 1`)
measures one worker per server instead of one per core (results in latest-1-worker.*).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy.engine import make_url

from bench import load
from bench.load import Load
from bench.report import markdown
from bench.seed import STABLE_TASKS, seed, user_id
from bench.server import RunningServer, running_server
from impl.serve import default_workers
from tests.live_server import UNTRIPPABLE_RATE_LIMITS_ENV
from tests.pgbouncer import running_pgbouncer
from tests.support import DEFAULT_POSTGRES_URL, ROOT

OPERATIONS = ("list", "get", "create", "patch", "toggle", "delete")
# What the lean bound serves; each of these is also reported as a fraction of it.
LEAN_OPERATIONS = ("list", "get", "create")
# Scenario 3: connections per operation group, in the mix's proportions (60/15/10/10/5 %).
MIX = {"list_mix": 0.60, "get": 0.15, "create": 0.10, "update": 0.10, "delete": 0.05}
USER_PACE_MS = 1000
PGBOUNCER_SERVER_CONNECTIONS = 8


@dataclass(frozen=True)
class Profile:
    users: int
    tasks: int
    small_users: int
    seconds: float
    mix_seconds: float
    mix_users: int = 1000
    concurrency: tuple[int, ...] = (10, 100, 1000)
    # Rounds of (lean bound, service) back to back for each load the targets compare: one round's
    # ratio moved by up to 15 points between runs of the same code; their median moves much less.
    lean_rounds: int = 3
    lean_concurrency: tuple[int, ...] = (10, 100)


PROFILES = {
    "full": Profile(users=10_000, tasks=100, small_users=100, seconds=15, mix_seconds=60),
    "quick": Profile(users=1_000, tasks=100, small_users=100, seconds=4, mix_seconds=15),
}


def write_tokens(path: Path, secret: str, users: int) -> None:
    expires = datetime.now(UTC) + timedelta(hours=6)
    with path.open("w") as out:
        for u in range(users):
            out.write(jwt.encode({"sub": user_id(u), "exp": expires}, secret, algorithm="HS256") + "\n")


class Bench:
    def __init__(
        self,
        profile: Profile,
        admin_url: str,
        scratch: Path,
        pooler_url: str | None = None,
        workers: int | None = None,
    ) -> None:
        self.profile = profile
        self.pooler_url = pooler_url
        self.secret = secrets.token_urlsafe(48)
        self.big_url = make_url(admin_url).set(database="todo_bench").render_as_string(False)
        self.small_url = make_url(admin_url).set(database="todo_bench_small").render_as_string(False)
        self.tokens = scratch / "tokens.txt"
        self.small_tokens = scratch / "small_tokens.txt"
        self.workers = workers or default_workers()
        self.deleted = 0
        self.results: dict[str, Any] = {}

    def server_env(self, database_url: str) -> dict[str, str]:
        env = {"APP_ENV": "production", "BETTER_AUTH_SECRET": self.secret, "DATABASE_URL": database_url}
        # Each user sends thousands of requests a minute: the limiter counts them all, refuses none.
        env |= UNTRIPPABLE_RATE_LIMITS_ENV
        if self.pooler_url is not None:
            # The server reaches the same database through PgBouncer, as through Neon's pooled endpoint.
            pooler = make_url(self.pooler_url)
            url = make_url(database_url).set(host=pooler.host, port=pooler.port)
            env |= {"DATABASE_URL": url.render_as_string(False), "DB_STATEMENT_CACHE_SIZE": "0"}
        return env

    def run(self) -> dict[str, Any]:
        p = self.profile
        started = time.monotonic()
        self.results["machine"] = machine() | {"workers": self.workers, "host_speed": {"start": host_speed()}}
        self.results["profile"] = asdict(p)
        self.results["seed_seconds"] = {
            "rows": p.users * p.tasks,
            "big": round(seed(self.big_url, p.users, p.tasks), 1),
            "small": round(seed(self.small_url, p.small_users, p.tasks), 1),
        }
        write_tokens(self.tokens, self.secret, p.users)
        write_tokens(self.small_tokens, self.secret, p.small_users)
        self.results["ceiling"] = self.ceiling()
        self.results["growth_small"] = self.growth_baseline()
        self.results.update(self.api())
        self.results["machine"]["loadavg_end"] = list(os.getloadavg())
        self.results["total_seconds"] = round(time.monotonic() - started, 1)
        return self.results

    def ceiling(self) -> dict[str, Any]:
        with running_server("bench.ceiling", {}, "/ceiling", self.workers) as server:
            load.run(
                [Load("ceiling", 10, 2)], server.probe_url, self.tokens, self.profile.tasks, STABLE_TASKS
            )
            runs = {
                str(c): self.one(Load("ceiling", c, self.profile.seconds), server)
                for c in self.profile.concurrency
            }
            return {"runs": runs, "peak_worker_rss_mb": round(server.memory.peak_worker_mb, 1)}

    def growth_baseline(self) -> dict[str, Any]:
        """List latency on 10,000 rows, to set against the same load on the full data set."""
        with running_server("impl.serve", self.server_env(self.small_url), "/readyz", self.workers) as server:
            self.warm_up(server, self.small_tokens)
            return load.run(
                [Load("list", 10, self.profile.seconds)],
                server.base_url,
                self.small_tokens,
                self.profile.tasks,
                STABLE_TASKS,
            )[0]

    def api(self) -> dict[str, Any]:
        p = self.profile
        env = self.server_env(self.big_url)
        with (
            running_server("impl.serve", env, "/readyz", self.workers) as server,
            running_server("bench.lean", env, "/readyz", self.workers) as lean,
        ):
            self.warm_up(lean, self.tokens)
            self.warm_up(server, self.tokens)
            closed: dict[str, dict[str, Any]] = {}
            bound: dict[str, dict[str, Any]] = {}
            shares: dict[str, dict[str, Any]] = {}
            for op in OPERATIONS:
                closed[op] = {}
                for c in p.concurrency:
                    if op in LEAN_OPERATIONS:
                        rounds = p.lean_rounds if c in p.lean_concurrency else 1
                        pairs = [self.against_lean(op, c, server, lean) for _ in range(rounds)]
                        bound.setdefault(op, {})[str(c)] = _median_run([lean_run for lean_run, _ in pairs])
                        closed[op][str(c)] = _median_run([run for _, run in pairs])
                        shares.setdefault(op, {})[str(c)] = _shares(pairs)
                    else:
                        closed[op][str(c)] = self.one(self.load(op, c, p.seconds), server)
            # The mix runs closest to the machine's capacity: how fast the host was just before it.
            self.results["machine"]["host_speed"]["mix"] = host_speed()
            mix = self.mix(server)
            return {
                "closed_loop": closed,
                "lean": {
                    "runs": bound,
                    "shares": shares,
                    "peak_worker_rss_mb": round(lean.memory.peak_worker_mb, 1),
                },
                "mix": mix,
                "api_peak_worker_rss_mb": round(server.memory.peak_worker_mb, 1),
            }

    def against_lean(
        self, op: str, connections: int, server: RunningServer, lean: RunningServer
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One round: the lean bound's run, then the service's run of the same load right after it,
        so both see the same machine."""
        seconds = self.profile.seconds
        lean_run = self.one(self.load(op, connections, seconds), lean, "lean ")
        return lean_run, self.one(self.load(op, connections, seconds), server)

    def warm_up(self, server: RunningServer, tokens: Path) -> None:
        # Fills the connection pools and statement caches, so the first run does not pay for them.
        warm = [Load("list", 20, 2), Load("get", 20, 2)]
        load.run(warm, server.base_url, tokens, self.profile.tasks, STABLE_TASKS)
        server.settle()

    def load(self, op: str, connections: int, seconds: float, **kwargs: Any) -> Load:
        if op == "delete":
            kwargs["delete_offset"] = self.deleted
        return Load(op, connections, seconds, **kwargs)

    def one(self, spec: Load, server: RunningServer, label: str = "") -> dict[str, Any]:
        url = server.probe_url if spec.op == "ceiling" else server.base_url
        result = load.run([spec], url, self.tokens, self.profile.tasks, STABLE_TASKS)[0]
        # Other work on the machine shows up here; the figures are only comparable on a quiet one.
        result["loadavg_1m"] = round(os.getloadavg()[0], 2)
        server.settle()
        self.spent(spec, result)
        print(label + _line(result), flush=True)
        return result

    def spent(self, spec: Load, result: dict[str, Any]) -> None:
        if spec.op == "delete":
            # Requests still in flight when wrk stopped may have been served too.
            self.deleted += result["requests"] + spec.connections
        capacity = self.profile.users * (self.profile.tasks - STABLE_TASKS)
        if self.deleted > capacity:
            raise SystemExit(f"the delete runs used {self.deleted} of {capacity} deletable tasks: seed more")

    def mix(self, server: RunningServer) -> dict[str, Any]:
        p = self.profile
        specs = [
            self.load(
                op, max(1, round(p.mix_users * share)), p.mix_seconds, pace_ms=USER_PACE_MS, histogram=True
            )
            for op, share in MIX.items()
        ]
        results = load.run(specs, server.base_url, self.tokens, p.tasks, STABLE_TASKS)
        for spec, result in zip(specs, results, strict=True):
            self.spent(spec, result)
        overall: dict[str, Any] = {
            "op": "all",
            "connections": sum(s.connections for s in specs),
            "requests": sum(r["requests"] for r in results),
            "rps": round(sum(r["rps"] for r in results), 1),
            "errors": sum(r["errors"] for r in results),
            **load.merged_percentiles([r.pop("histogram") for r in results]),
        }
        for result in [*results, overall]:
            print(_line(result), flush=True)
        return {"by_op": results, "overall": overall}


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median throughput (the lower middle one of an even count), with the others' req/s."""
    ordered = sorted(runs, key=lambda run: run["rps"])
    median = dict(ordered[(len(ordered) - 1) // 2])
    if len(runs) > 1:
        median["rounds_rps"] = [run["rps"] for run in runs]
    return median


def _shares(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """The service's req/s over the lean bound's in each round, and their median: the figure a
    target is judged by (a ratio of two runs back to back, not of two medians taken apart)."""
    rounds = [run["rps"] / lean_run["rps"] if lean_run["rps"] else 0.0 for lean_run, run in pairs]
    return {"median": statistics.median(rounds), "rounds": [round(share, 3) for share in rounds]}


def _line(result: dict[str, Any]) -> str:
    return (
        f"{result['op']:>9} c={result['connections']:<5} {result['rps']:>8.1f} req/s  "
        f"p50 {result['p50_ms']:>7.2f}  p95 {result['p95_ms']:>7.2f}  p99 {result['p99_ms']:>7.2f} ms  "
        f"errors {result['errors']}"
    )


def host_speed(seconds: float = 1.0) -> float:
    """Rounds per second of a fixed pure-Python loop on one core, taken while no load runs.

    This machine's cores are shared with other tenants: the same code served the same mix at p95 27 ms
    in one run and, 40 minutes later, saturated at 780 req/s. Load averages count only this
    machine's own processes; a loop timed on the wall clock also shows the share of a core the host
    gave, so a run can be read against the capacity it had."""
    rounds = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        sum(range(10_000))
        rounds += 1
    return round(rounds / seconds, 1)


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_start": list(os.getloadavg()),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain")),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES_URL),
        help="a PostgreSQL server where todo_bench and todo_bench_small may be (re)created",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--pgbouncer",
        action="store_true",
        help="serve through a local PgBouncer in transaction mode (results in latest-pgbouncer.*)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("BENCH_WORKERS") or 0) or None,
        help="worker processes per server (default: BENCH_WORKERS, else one per core)",
    )
    args = parser.parse_args()
    load.require_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch, ExitStack() as stack:
        pooler = None
        if args.pgbouncer:
            # Fewer server connections than the workers' pools hold: statements share them.
            pooler = stack.enter_context(
                running_pgbouncer(args.admin_url, pool_size=PGBOUNCER_SERVER_CONNECTIONS)
            )
        results = Bench(PROFILES[args.profile], args.admin_url, Path(scratch), pooler, args.workers).run()
    results["profile"]["name"] = args.profile + (" through PgBouncer" if args.pgbouncer else "")
    name = "latest-pgbouncer" if args.pgbouncer else "latest"
    if args.workers is not None:
        name += f"-{args.workers}-worker"
    save_results(args.out, name, results, markdown(results))


def save_results(out: Path, name: str, results: dict[str, Any], table: str) -> None:
    """`name`.json and `name`.md in `out` (git-ignored), and the table printed."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / f"{name}.md").write_text(table)
    print("\n" + table)


if __name__ == "__main__":
    main()
