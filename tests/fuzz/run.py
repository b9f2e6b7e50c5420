"""`make fuzz`: Schemathesis against the real server, as production runs it, checked against the contract.

Creates a throwaway PostgreSQL database, migrates it, starts uvicorn (production settings) on a free
loopback port, writes a Web Fuzzing Commons auth file with real tokens for two users, runs
Schemathesis against the hand-written `openapi/tasks.yaml` (configured by the `schemathesis.toml`
beside this file), prints the numbers, and always cleans up. The exit status is Schemathesis's.

    python -m tests.fuzz.run --seed 20261124 --max-time 150   # CI: reproducible
    python -m tests.fuzz.run --max-time 900                   # local hunting: random seed
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
import tomllib
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from tests.live_server import app_env, app_server, migrate_as_deployed
from tests.support import (
    ROOT,
    fresh_postgres_database,
    postgres_admin_url,
    postgres_unreachable_reason,
    sign_token,
)

CONTRACT = ROOT / "openapi" / "tasks.yaml"
CONFIG = Path(__file__).with_name("schemathesis.toml")
# The identities whose objects must stay private to each other; the WFC file has a token for each.
USERS: list[str] = tomllib.loads(CONFIG.read_text())["auth"]["wfc"]["peers"]


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--seed", type=int, help="fixed seed for a reproducible run (default: random)")
    parser.add_argument("--max-time", type=int, default=120, help="Schemathesis time budget in seconds")
    parser.add_argument("--workers", type=int, default=2, help="concurrent Schemathesis workers")
    return parser.parse_args(argv)


def _write_auth_file(directory: Path, secret: str, lifetime_seconds: int) -> Path:
    """A Web Fuzzing Commons auth document with a real token for each user, named as in `peers`."""
    run = secrets.token_hex(4)
    lifetime = timedelta(seconds=lifetime_seconds)
    entries = [
        {
            "name": name,
            "fixedHeaders": [
                {
                    "name": "Authorization",
                    "value": f"Bearer {sign_token(f'fuzz-{name}-{run}', secret=secret, expires_in=lifetime)}",
                }
            ],
        }
        for name in USERS
    ]
    path = directory / "auth.json"
    path.write_text(json.dumps({"schemaVersion": "0.2.0", "auth": entries}, indent=2))
    return path


def _schemathesis(base_url: str, auth_file: Path, report: Path, args: argparse.Namespace, seed: int) -> int:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        str(CONTRACT),
        "--url",
        base_url,
        "--auth-wfc",
        str(auth_file),
        "--checks",
        "all",
        "--mode",
        "all",
        "--seed",
        str(seed),
        "--max-time",
        str(args.max_time),
        "--workers",
        str(args.workers),
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    env = {**os.environ, "TODO_FUZZ_WFC_AUTH": str(auth_file), "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks"}
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    admin_url = postgres_admin_url()
    reason = asyncio.run(postgres_unreachable_reason(admin_url))
    if reason is not None:
        print(f"make fuzz needs PostgreSQL: {reason}", file=sys.stderr)
        return 2
    started = time.monotonic()
    # Beside Schemathesis's cache (git-ignored), so the path it prints still exists after the run.
    report = ROOT / ".schemathesis" / "fuzz-report.json"
    report.parent.mkdir(exist_ok=True)
    report.unlink(missing_ok=True)
    status = asyncio.run(_fuzz(admin_url, report, args, seed))
    print(_summary(report, seed, args.max_time, time.monotonic() - started), flush=True)
    return status


async def _fuzz(admin_url: str, report: Path, args: argparse.Namespace, seed: int) -> int:
    """Everything the run needs, set up in order and torn down in reverse, whatever happens."""
    async with AsyncExitStack() as stack:
        directory = Path(stack.enter_context(TemporaryDirectory(prefix="todo-fuzz-")))
        database_url = await stack.enter_async_context(
            fresh_postgres_database(admin_url, prefix="todo_fuzz", migrated=False)
        )
        secret = secrets.token_urlsafe(48)
        # Production settings, nothing from a developer's shell: the run is the same on every machine.
        # The event stream would stay open: bounded here so each request Schemathesis makes of it
        # ends, after a heartbeat, within a second.
        env = app_env(database_url, secret, SYNC_STREAM_MAX_SECONDS="1", SYNC_HEARTBEAT_SECONDS="0.5")
        migrate_as_deployed(env)
        server = stack.enter_context(app_server(env, log_path=directory / "server.log"))
        # Tokens outlive the run, so no case fails for an expired token.
        auth_file = _write_auth_file(directory, secret, args.max_time * 2 + 600)
        status = _schemathesis(server.base_url, auth_file, report, args, seed)
        if status != 0:
            # A 500's traceback is in the server's log, not in Schemathesis's output.
            print("\nLast lines of the server's log:\n" + server.log_tail(), file=sys.stderr)
        return status


def _summary(report: Path, seed: int, budget: int, wall_time: float) -> str:
    """One line with the run's numbers, from Schemathesis's JSON report."""
    if not report.exists():
        return f"make fuzz: Schemathesis wrote no report (seed {seed}, wall time {wall_time:.0f}s)"
    data = json.loads(report.read_text())
    operations, cases = data["operations"], data["test_cases"]
    return (
        f"make fuzz: {operations['tested']}/{operations['selected']} operations, "
        f"{cases['generated']} test cases generated, failures = {cases['unique_failures']}, "
        f"errors = {len(data['errors'])} (seed {seed}, budget {budget}s, wall time {wall_time:.0f}s)"
    )


if __name__ == "__main__":
    sys.exit(main())
