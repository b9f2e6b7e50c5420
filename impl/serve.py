"""The production server: `python -m impl.serve`. One uvicorn worker process per core, uvloop and httptools.

Each worker is a single-threaded event loop, so a second core is only used by a second process;
`WEB_CONCURRENCY` (or `--workers`) overrides the core count, e.g. when a container is CPU-limited.
Behind a reverse proxy or load balancer, `--forwarded-allow-ips` (or `FORWARDED_ALLOW_IPS`) lists the
proxies whose `X-Forwarded-For`/`X-Forwarded-Proto` are trusted; by default only loopback's are.

Header size and time are bounded by impl/http_protocol.py, with ServerLimits from the environment.

Logs follow LOG_FORMAT from the first line on (uvicorn's too), and the server process serves every
worker's metrics on METRICS_ADDRESS (see impl/observability/metrics_server.py).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import Any

import uvicorn

from impl.http_protocol import server_limits

PRODUCT_APP = "impl.main:app"
# httptools with a header-size and a header-time bound (uvicorn's own has neither).
HTTP_PROTOCOL = "impl.http_protocol:BoundedHttpToolsProtocol"


def default_workers(environ: Mapping[str, str] = os.environ) -> int:
    configured = environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        return max(1, int(configured))
    return max(1, len(os.sched_getaffinity(0)))


def server_options(host: str, port: int, workers: int) -> dict[str, Any]:
    """The uvicorn options shared by the product and anything measured against it (bench/ceiling)."""
    limits = server_limits()
    return {
        "host": host,
        "port": port,
        "workers": workers,
        "loop": "uvloop",
        "http": HTTP_PROTOCOL,
        # One log line per request costs more than the request itself at these rates.
        "access_log": False,
        # Enough queued connections for a burst of 1,000 clients connecting at once.
        "backlog": 4096,
        "timeout_graceful_shutdown": 10,
        # Hardening (README "Hardening"): no version banner; bounded idle time and concurrency.
        "server_header": False,
        "timeout_keep_alive": limits.keep_alive_timeout_seconds,
        "limit_concurrency": limits.limit_concurrency,
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a server binds to all interfaces
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=None, help="default: WEB_CONCURRENCY or core count")
    parser.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="comma-separated proxy addresses or networks (e.g. 10.0.0.0/8) whose X-Forwarded-* headers "
        "are trusted, or '*' when only the proxy can reach this server; default: FORWARDED_ALLOW_IPS "
        "or loopback",
    )
    return parser.parse_args(argv)


def serve(app: str, argv: Sequence[str] | None = None) -> None:
    # Imported here: each worker re-imports this module before answering its first health check.
    from impl.observability.log_format import logging_config
    from impl.observability.logging import configure_logging
    from impl.observability.metrics_server import serving_metrics
    from impl.settings import ObservabilitySettings

    args = parse_args(argv)
    settings = ObservabilitySettings()
    configure_logging(settings)
    options = server_options(args.host, args.port, args.workers or default_workers())
    with serving_metrics(settings.metrics, args.port):
        uvicorn.run(
            app,
            **options,
            proxy_headers=True,
            # None leaves it to uvicorn, which reads FORWARDED_ALLOW_IPS and defaults to loopback.
            forwarded_allow_ips=args.forwarded_allow_ips,
            log_config=logging_config(settings),
        )


if __name__ == "__main__":
    serve(PRODUCT_APP)
