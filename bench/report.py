"""The results as a Markdown report, with each target of the performance issue checked."""

from __future__ import annotations

from typing import Any

# Peak RSS of a worker under the 1,000-user mix (the performance issue, #15).
RSS_LIMIT_MB = 150
# Targets relative to the lean bound (bench/lean.py) measured in the same run.
LEAN_SHARE = 0.8
LEAN_TARGETS = (("list", "10"), ("create", "10"), ("list", "100"))


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _ratio(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "–"


def _joined(values: Any) -> str:
    return " and ".join(str(value) for value in values) or "no"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _lean_share(results: dict[str, Any], op: str, connections: str) -> dict[str, Any] | None:
    """The service's req/s over the lean bound's for the same load, round by round, and their median;
    None if the bound does not serve `op`."""
    share: dict[str, Any] | None = results["lean"]["shares"].get(op, {}).get(connections)
    return share


def _share_text(share: dict[str, Any] | None) -> str:
    """`62 %`, or with several rounds `62 % (58-66 %)`: the median, then the rounds' range."""
    if share is None:
        return "–"
    text = f"{100 * share['median']:.0f} %"
    if len(share["rounds"]) > 1:
        text += f" ({100 * min(share['rounds']):.0f}–{100 * max(share['rounds']):.0f} %)"
    return text


def closed_loop_table(results: dict[str, Any]) -> list[str]:
    ceiling = results["ceiling"]["runs"]
    lines = [
        "| operation | connections | req/s | of ceiling | of lean bound | p50 ms | p95 ms | p99 ms "
        "| errors | load avg |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = [("ceiling", ceiling, False)]
    rows += [(f"lean bound: {op}", runs, False) for op, runs in results["lean"]["runs"].items()]
    rows += [(op, runs, True) for op, runs in results["closed_loop"].items()]
    for label, runs, service in rows:
        for connections, run in runs.items():
            of_ceiling = _ratio(run["rps"], ceiling[connections]["rps"])
            lines.append(
                f"| {label} | {connections} | {run['rps']:,.0f} | {of_ceiling} "
                f"| {_share_text(_lean_share(results, label, connections)) if service else '–'} "
                f"| {_ms(run['p50_ms'])} | {_ms(run['p95_ms'])} | {_ms(run['p99_ms'])} | {run['errors']} "
                f"| {run.get('loadavg_1m', '–')} |"
            )
    return lines


def mix_table(results: dict[str, Any]) -> list[str]:
    mix = results["mix"]
    lines = [
        "| operation | connections | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in [*mix["by_op"], mix["overall"]]:
        lines.append(
            f"| {run['op']} | {run['connections']} | {run['requests']:,} | {run['rps']:,.0f} "
            f"| {_ms(run['p50_ms'])} | {_ms(run['p95_ms'])} | {_ms(run['p99_ms'])} | {_ms(run['max_ms'])} "
            f"| {run['errors']} |"
        )
    return lines


def targets(results: dict[str, Any]) -> list[str]:
    closed, ceiling = results["closed_loop"], results["ceiling"]["runs"]
    overall = results["mix"]["overall"]
    low, high = sorted(ceiling, key=int)[0], sorted(ceiling, key=int)[-1]
    lines = [
        "| target | measured | |",
        "| --- | --- | --- |",
        f"| scenario 3: p95 < 50 ms, p99 < 100 ms, no errors | p95 {_ms(overall['p95_ms'])} ms, "
        f"p99 {_ms(overall['p99_ms'])} ms, {overall['errors']} errors "
        f"| {_verdict(overall['p95_ms'] < 50 and overall['p99_ms'] < 100 and overall['errors'] == 0)} |",
    ]
    for op, connections in LEAN_TARGETS:
        share = _lean_share(results, op, connections)
        lines.append(
            f"| {op}, closed loop at {connections}: ≥ {100 * LEAN_SHARE:.0f} % of the lean bound at "
            f"{connections} | {'not measured' if share is None else _share_text(share)} "
            f"| {_verdict(share is not None and share['median'] >= LEAN_SHARE)} |"
        )
    kept = {op: runs[high]["rps"] / runs[low]["rps"] for op, runs in closed.items()}
    errors = sum(runs[high]["errors"] for runs in closed.values())
    worst = min(kept, key=lambda op: kept[op])
    lines.append(
        f"| {high} connections: ≥ 80 % of the {low}-connection req/s, no errors | lowest {worst} "
        f"{100 * kept[worst]:.0f} %, {errors} errors | {_verdict(kept[worst] >= 0.8 and errors == 0)} |"
    )
    small, big = results["growth_small"], closed["list"][low]
    growth = big["p50_ms"] / small["p50_ms"]
    lines.append(
        f"| list p50 at {results['seed_seconds']['rows']:,} rows within 1.2x of 10,000 rows "
        f"| {_ms(big['p50_ms'])} vs {_ms(small['p50_ms'])} ms ({growth:.2f}x) | {_verdict(growth <= 1.2)} |"
    )
    rss = results["api_peak_worker_rss_mb"]
    lines.append(f"| worker RSS < {RSS_LIMIT_MB} MB | peak {rss:.0f} MB | {_verdict(rss < RSS_LIMIT_MB)} |")
    return lines


def _host_speed_text(speed: dict[str, float]) -> str:
    if "start" not in speed or "mix" not in speed:
        return ""
    return (
        f"; host speed (bench.runner.host_speed) {speed['start']:,.0f} rounds/s at the start, "
        f"{speed['mix']:,.0f} before the mix ({100 * speed['mix'] / speed['start']:.0f} %)"
    )


def markdown(results: dict[str, Any]) -> str:
    m, seed = results["machine"], results["seed_seconds"]
    profile = results["profile"]
    lines = [
        f"## Benchmark ({profile.get('name', '?')}): {m['at']}, commit {m['commit']}"
        + (" (uncommitted changes)" if m["dirty"] else ""),
        "",
        f"{m['cores']} cores, {m.get('workers', '?')} worker(s) per server, Python {m['python']}, "
        f"Linux {m['kernel']}; load average "
        f"{m['loadavg_start'][0]:.2f} at the start, {m['loadavg_end'][0]:.2f} at the end"
        f"{_host_speed_text(m.get('host_speed', {}))}. "
        f"{seed['rows']:,} tasks of {profile['users']:,} users seeded in {seed['big']} s; "
        f"each closed-loop run {profile['seconds']} s, the mix {profile['mix_seconds']} s.",
        "",
        "### Targets",
        "",
        *targets(results),
        "",
        "### Closed loop (scenario 1 and 2)",
        "",
        f"Each load the lean bound serves at {_joined(profile.get('lean_concurrency', ()))} connections "
        f"ran in {profile.get('lean_rounds', 1)} rounds, the lean bound's run then the service's: "
        "req/s is the median round's, and the share of the lean bound the median of the rounds' "
        "shares (their range in brackets).",
        "",
        *closed_loop_table(results),
        "",
        f"### {profile['mix_users']:,} users, about one request a second each (scenario 3)",
        "",
        *mix_table(results),
        "",
        f"List at 10,000 rows: {results['growth_small']['rps']:,.0f} req/s, p50 "
        f"{_ms(results['growth_small']['p50_ms'])} ms, p95 {_ms(results['growth_small']['p95_ms'])} ms. "
        f"Peak worker RSS: API {results['api_peak_worker_rss_mb']:.0f} MB, lean bound "
        f"{results['lean']['peak_worker_rss_mb']:.0f} MB, ceiling "
        f"{results['ceiling']['peak_worker_rss_mb']:.0f} MB.",
        "",
    ]
    return "\n".join(lines)
