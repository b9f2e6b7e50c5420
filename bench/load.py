"""Load from separate wrk processes (Debian's `wrk`, scripted by bench/wrk/api.lua), results as dicts."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "wrk" / "api.lua"
# A request slower than this is a timeout error; long enough that queueing shows up as latency.
REQUEST_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Load:
    op: str
    connections: int
    duration: float
    pace_ms: int = 0
    delete_offset: int = 0
    histogram: bool = False


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return wrk


def _command(load: Load, url: str) -> list[str]:
    return [
        require_wrk(),
        "-t1",
        f"-c{load.connections}",
        f"-d{max(1, round(load.duration))}s",
        f"--timeout={REQUEST_TIMEOUT_SECONDS}s",
        "-s",
        str(SCRIPT),
        url,
    ]


def _env(load: Load, tokens: Path, tasks: int, stable: int, out: Path) -> dict[str, str]:
    return {
        "BENCH_OP": load.op,
        "BENCH_TOKENS": str(tokens),
        "BENCH_TASKS": str(tasks),
        "BENCH_STABLE": str(stable),
        "BENCH_DELETE_OFFSET": str(load.delete_offset),
        "BENCH_THREADS": "1",
        "BENCH_PACE_MS": str(load.pace_ms),
        "BENCH_HISTOGRAM": "1" if load.histogram else "0",
        "BENCH_OUT": str(out),
        "PATH": "/usr/bin:/bin",
    }


def run(loads: Sequence[Load], url: str, tokens: Path, tasks: int, stable: int) -> list[dict[str, Any]]:
    """Run the loads concurrently, one wrk process each, and return each one's summary."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        outs = [Path(scratch) / f"{i}.json" for i in range(len(loads))]
        processes = [
            subprocess.Popen(
                _command(load, url),
                env=_env(load, tokens, tasks, stable, out),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for load, out in zip(loads, outs, strict=True)
        ]
        for process in processes:
            _, stderr = process.communicate(timeout=max(load.duration for load in loads) + 120)
            if process.returncode != 0:
                raise RuntimeError(f"wrk failed ({process.returncode}): {stderr.decode(errors='replace')}")
        return [_summary(load, json.loads(out.read_text())) for load, out in zip(loads, outs, strict=True)]


def _summary(load: Load, raw: Mapping[str, Any]) -> dict[str, Any]:
    errors = dict(raw["errors"])
    seconds = raw["duration_us"] / 1e6
    latency = {k: v / 1000 for k, v in raw["latency_us"].items()}
    summary: dict[str, Any] = {
        "op": load.op,
        "connections": load.connections,
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(latency["p50"], 2),
        "p95_ms": round(latency["p95"], 2),
        "p99_ms": round(latency["p99"], 2),
        "max_ms": round(latency["max"], 2),
        "errors": sum(errors.values()),
        "error_kinds": {k: v for k, v in errors.items() if v},
        "statuses": raw["statuses"],
    }
    if "histogram" in raw:
        summary["histogram"] = raw["histogram"]
    return summary


def merged_percentiles(histograms: Sequence[Sequence[Sequence[int]]]) -> dict[str, float]:
    """Percentiles (ms) over several wrk processes' latency histograms of (microseconds, count)."""
    counts: dict[int, int] = {}
    for histogram in histograms:
        for value, count in histogram:
            counts[value] = counts.get(value, 0) + count
    total = sum(counts.values())
    result: dict[str, float] = {}
    targets = {"p50_ms": 0.50, "p95_ms": 0.95, "p99_ms": 0.99}
    seen = 0
    values = sorted(counts)
    pending = sorted(targets.items(), key=lambda item: item[1])
    for value in values:
        seen += counts[value]
        while pending and seen >= pending[0][1] * total:
            result[pending.pop(0)[0]] = round(value / 1000, 2)
    result["max_ms"] = round(values[-1] / 1000, 2) if values else 0.0
    return result
