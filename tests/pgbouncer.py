"""A throwaway PgBouncer in transaction mode (Neon's pooled endpoints run one) in front of PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.live_server import free_port

STARTUP_DEADLINE_SECONDS = 10


def _config(directory: Path, port: int, upstream_host: str, upstream_port: int, pool_size: int) -> Path:
    users = directory / "users.txt"
    users.write_text('"postgres" ""\n')
    config = directory / "pgbouncer.ini"
    config.write_text(
        f"[databases]\n* = host={upstream_host} port={upstream_port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {users}\n"
        # Fewer server connections than the app's pool: every server connection serves many clients.
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 500\n"
        "log_connections = 0\nlog_disconnections = 0\n"
    )
    for path in (directory, users, config):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return config


@contextmanager
def running_pgbouncer(upstream_url: str, pool_size: int = 2) -> Iterator[str]:
    """Yields `upstream_url` rewritten to go through a new PgBouncer; stops it afterwards."""
    binary = shutil.which("pgbouncer")
    if binary is None:
        raise FileNotFoundError("pgbouncer")
    upstream = make_url(upstream_url)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pgbouncer-") as scratch:
        config = _config(Path(scratch), port, upstream.host or "127.0.0.1", upstream.port or 5432, pool_size)
        # PgBouncer refuses to run as root; it drops to an unprivileged user itself when asked.
        command = [binary, *(["-u", "nobody"] if os.geteuid() == 0 else []), str(config)]
        process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        ready = threading.Event()
        log: list[str] = []

        def drain() -> None:
            # Reads the log until PgBouncer exits, so it never blocks on a full pipe.
            assert process.stderr is not None
            for line in process.stderr:
                log.append(line)
                if "process up" in line:
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        try:
            if not ready.wait(STARTUP_DEADLINE_SECONDS) or process.poll() is not None:
                raise RuntimeError("pgbouncer did not start:\n" + "".join(log))
            yield upstream.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        finally:
            process.terminate()
            process.wait(timeout=10)
