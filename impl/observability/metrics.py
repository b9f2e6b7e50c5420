"""The service's Prometheus metrics, and the observer that records the RED metrics of each request.

Under `python -m impl.serve` every worker process writes its values to memory-mapped files in a
directory the server process created for this start (prometheus-client's multiprocess mode, see
`metrics_server`); the server process adds them up when scraped. Elsewhere (tests, `make run`) the
values live in this process's default registry. Gauges say how their workers' values combine.

Labels stay bounded: the route template (or `unmatched`), a known method (or `other`) and the
status class, never the raw path or anything else a client chooses.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import Scope

REQUESTS = Counter(
    "todo_http_requests",
    "HTTP requests answered, by route template, method and status class (2xx, 4xx, 5xx).",
    ["route", "method", "status"],
)
REQUEST_DURATION = Histogram(
    "todo_http_request_duration_seconds",
    "Time from the request reaching the service to its response's last byte leaving it.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DB_CONNECTIONS_IN_USE = Gauge(
    "todo_db_connections_in_use",
    "Database connections held by requests (all workers; at most workers × (DB_POOL_SIZE + DB_MAX_OVERFLOW))",
    multiprocess_mode="livesum",
)
DB_REQUESTS_WAITING = Gauge(
    "todo_db_requests_waiting",
    "Requests waiting, in arrival order, for a database connection (all workers).",
    multiprocess_mode="livesum",
)
UNAVAILABLE_RESPONSES = Counter(
    "todo_unavailable_responses",
    "503 responses by cause: pool_timeout (no connection free in time), write_lock (SQLite's write "
    "lock not free in time), database (unreachable or refusing), signing_keys (the JWKS could never "
    "be fetched).",
    ["cause"],
)
JWKS_FETCHES = Counter(
    "todo_jwks_fetches", "Fetches of the token signing keys, by outcome (ok, failed).", ["outcome"]
)
VERIFIED_TOKENS = Gauge(
    "todo_verified_tokens", "Verified tokens remembered (all workers).", multiprocess_mode="livesum"
)
VERIFIED_TOKENS_BYTES = Gauge(
    "todo_verified_tokens_bytes",
    "Estimated memory held by the remembered tokens (all workers).",
    multiprocess_mode="livesum",
)
RATE_LIMIT_REJECTIONS = Counter(
    "todo_rate_limit_rejections",
    "Requests refused by a rate limit (429), by the limit that refused them.",
    ["limit"],
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


class RequestMetrics:
    """The access observer for the RED metrics; label children are looked up once per combination."""

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def __call__(self, scope: Scope, route: str, status: int, seconds: float) -> None:
        method = scope["method"]
        key = (route, method if method in METHODS else "other", status // 100)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = self._labelled(*key)
        requests, duration = children
        requests.inc()
        duration.observe(seconds)

    @staticmethod
    def _labelled(route: str, method: str, status_class: int) -> tuple[Counter, Histogram]:
        status = STATUS_CLASSES[status_class - 1] if 1 <= status_class <= 5 else "5xx"
        return REQUESTS.labels(route, method, status), REQUEST_DURATION.labels(route, method)
