"""A real server process on a free loopback port: shared by the tests, the fuzz runner and the benchmark."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx

POLL_INTERVAL_SECONDS = 0.05
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


def wait_until_serving(process: subprocess.Popen[bytes], url: str, *, deadline_seconds: float = 30) -> None:
    """Poll `url` until it answers 200; each attempt is bounded by its own timeout and the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerNotReady(f"the server exited with status {process.returncode} while starting")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            # Not listening yet: try again shortly.
            time.sleep(POLL_INTERVAL_SECONDS)
    raise ServerNotReady(f"no answer from {url} within {deadline_seconds}s")
