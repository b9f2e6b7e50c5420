"""Where a worker's CPU goes: py-spy on one worker of the service (and of the lean bound) under wrk load.

    python -m bench.profile                       # list and create, 3 interleaved rounds of 10 s
    python -m bench.profile --ops list --rounds 5

Seeds `todo_profile` (1,000 users x 100 tasks), serves `python -m impl.serve --workers 1` and
`python -m bench.lean --workers 1` on it, and for each round and operation loads each server with
`wrk -c10` while py-spy samples it. Reports the worker's CPU per request (from /proc), the share
of self time by layer and the top self-time functions, as medians over the rounds where a figure
is per round; written to bench/results/profile.json and profile.md. py-spy is not a dependency of
the project: it runs through the pinned uv's `tool run` (or PY_SPY=/path/to/py-spy) and needs ptrace rights.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench import load
from bench.load import Load
from bench.runner import PROFILES, Bench, save_results, write_tokens
from bench.seed import STABLE_TASKS, seed
from bench.server import RunningServer, running_server
from tests.support import ROOT

PY_SPY_VERSION = "0.4.3"
SAMPLES_PER_SECOND = 250
USERS, TASKS = 1_000, 100
TOP = 25
# Self time is charged to the layer of the innermost Python frame; code compiled to C (uvloop, httptools,
# asyncpg's protocol and row decoding, pydantic-core, orjson) counts towards the Python frame that
# called it: the event loop's own frame holds uvloop, httptools and asyncpg's reading of results.
# A layer matches the frame's function name or the start of its file (as py-spy prints it).
LAYERS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("JSON encoding (TypeAdapter.dump_json)", ("TypeAdapter.dump_json",), ()),
    ("SQLAlchemy (incl. greenlet bridge)", (), ("sqlalchemy/", "greenlet/")),
    ("FastAPI/Starlette routing, dependencies, parameters", (), ("fastapi/", "starlette/", "anyio/")),
    (
        "pydantic models (Task.__init__, model_validate)",
        (),
        ("pydantic/", "pydantic_core/", "generated/models"),
    ),
    ("request body schema (jsonschema)", (), ("jsonschema/", "referencing/", "rfc3339_validator")),
    ("generated runtime (negotiate, read_body, render)", (), ("generated/",)),
    ("asyncpg (Python side)", (), ("asyncpg/",)),
    ("token verification (PyJWT, memo)", (), ("jwt/", "impl/auth/")),
    ("application (impl/, bench/lean.py)", (), ("impl/", "bench/lean")),
    ("HTTP server + event loop (incl. C: uvloop, httptools, asyncpg decoding)", (), ("uvicorn/", "asyncio/")),
)
OTHER = "other (stdlib and the rest)"
IDLE_WAIT = ".select (selectors.py)"
PINNED_UV = Path(__file__).resolve().parent.parent / "tools" / "uv"


def py_spy() -> list[str]:
    configured = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if configured:
        return [configured]
    # The project's pinned uv (tools/uv), which a fresh machine has, unlike a `uvx` on PATH.
    return [str(PINNED_UV), "tool", "run", "--from", f"py-spy=={PY_SPY_VERSION}", "py-spy"]


def layer_of(frame: str) -> str:
    function, _, path = frame.rstrip(")").rpartition(" (")
    for layer, functions, paths in LAYERS:
        if function in functions or path.startswith(paths):
            return layer
    return OTHER


def self_time(raw: str) -> Counter[str]:
    """Samples by innermost frame, from py-spy's collapsed stacks ("frame;frame;leaf count" lines).

    A thread waiting in a Python selector (the metrics endpoint's server thread between scrapes) is
    idle, though py-spy samples it as active: its samples are left out, as they cost no CPU. The
    event loop's own waiting happens in uvloop's C code and never appears as such a frame.
    """
    leaves: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        leaf = stack.rsplit(";", 1)[-1]
        if stack and count.isdigit() and not leaf.endswith(IDLE_WAIT):
            leaves[leaf] += int(count)
    return leaves


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profiled_run(
    server: RunningServer, pid: int, op: str, args: argparse.Namespace, out: Path
) -> dict[str, Any]:
    recorder = subprocess.Popen(
        [
            *py_spy(),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(args.seconds),
            "--rate",
            str(SAMPLES_PER_SECOND),
            "--format",
            "raw",
            "--nolineno",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1)  # py-spy attaches before the load starts
    before = cpu_seconds(pid)
    result = load.run(
        [Load(op, args.connections, args.seconds)], server.base_url, args.tokens, TASKS, STABLE_TASKS
    )[0]
    spent = cpu_seconds(pid) - before
    _, stderr = recorder.communicate(timeout=args.seconds + 60)
    if recorder.returncode != 0:
        raise RuntimeError(f"py-spy failed: {stderr.decode(errors='replace')}")
    server.settle()
    return {
        "rps": result["rps"],
        "errors": result["errors"],
        "cpu_us_per_request": round(1e6 * spent / max(1, result["requests"]), 1),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "self_time": self_time(out.read_text()),
    }


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    leaves: Counter[str] = sum((run.pop("self_time") for run in runs), Counter())
    total = sum(leaves.values()) or 1
    layers: Counter[str] = Counter()
    for frame, samples in leaves.items():
        layers[layer_of(frame)] += samples
    cpu = statistics.median(run["cpu_us_per_request"] for run in runs)
    return {
        "rounds": runs,
        "median_rps": statistics.median(run["rps"] for run in runs),
        "median_cpu_us_per_request": cpu,
        "samples": total,
        "layers": [
            {"layer": layer, "share": samples / total, "us_per_request": round(cpu * samples / total)}
            for layer, samples in layers.most_common()
        ],
        "top": [{"frame": frame, "share": samples / total} for frame, samples in leaves.most_common(TOP)],
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"## Profile: {results['at']}, load average {results['loadavg_start']} → {results['loadavg_end']}",
        "",
    ]
    for key, profile in results["profiles"].items():
        lines += [
            f"### {key}: median {profile['median_rps']:,.0f} req/s, "
            f"{profile['median_cpu_us_per_request']:,.0f} µs worker CPU per request "
            f"({len(profile['rounds'])} rounds, {profile['samples']:,} samples)",
            "",
            "| layer | self time | ≈ µs per request |",
            "| --- | ---: | ---: |",
            *(
                f"| {x['layer']} | {100 * x['share']:.1f} % | {x['us_per_request']} |"
                for x in profile["layers"]
            ),
            "",
            "| function (innermost Python frame) | self time |",
            "| --- | ---: |",
            *(f"| `{x['frame']}` | {100 * x['share']:.1f} % |" for x in profile["top"]),
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--ops", default="list,create")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    load.require_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
        results = profile(args, Bench(PROFILES["quick"], args.admin_url, Path(scratch), workers=1))
    save_results(args.out, "profile", results, markdown(results))


def profile(args: argparse.Namespace, bench: Bench) -> dict[str, Any]:
    url = make_url(args.admin_url).set(database="todo_profile").render_as_string(False)
    seed(url, USERS, TASKS)
    args.tokens = bench.tokens
    write_tokens(args.tokens, bench.secret, USERS)
    env = bench.server_env(url)
    started = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "loadavg_start": round(os.getloadavg()[0], 2)}
    runs: dict[str, list[dict[str, Any]]] = {}
    with (
        running_server("impl.serve", env, "/readyz", 1) as service,
        running_server("bench.lean", env, "/readyz", 1) as lean,
    ):
        servers = {"service": service, "lean bound": lean}
        for server in servers.values():
            bench.warm_up(server, args.tokens)
        # py-spy's collapsed stacks stay beside the report, for a flame graph or another aggregation.
        raw = args.out / "profile-raw"
        raw.mkdir(parents=True, exist_ok=True)
        for round_ in range(args.rounds):
            for op in args.ops.split(","):
                for name, server in servers.items():
                    out = raw / f"{name.replace(' ', '-')}-{op}-{round_ + 1}.txt"
                    run = profiled_run(server, server.memory.supervisor, op, args, out)
                    runs.setdefault(f"{name} {op}", []).append(run)
                    print(
                        f"round {round_ + 1} {name:>10} {op:>6}: {run['rps']:,.0f} req/s, "
                        f"{run['cpu_us_per_request']:,.0f} µs CPU/request",
                        flush=True,
                    )
    return started | {
        "loadavg_end": round(os.getloadavg()[0], 2),
        "profiles": {key: summary(value) for key, value in runs.items()},
    }


if __name__ == "__main__":
    main()
