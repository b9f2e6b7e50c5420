"""DATABASE_URL as users paste it (Neon, Heroku-style, explicit driver) to an async SQLAlchemy URL.

A highly available PostgreSQL (e.g. pg_auto_failover, Patroni) is reached through every node, in
libpq's multi-host form, so that the pool reconnects to whichever node is the primary after a failover:

    postgresql://user:password@node1:5432,node2:5432/todo?target_session_attrs=read-write

(SQLAlchemy's own spelling `postgresql://user:password@/todo?host=node1:5432&host=node2:5432&…` works
too.) asyncpg tries the hosts in order and keeps the first that accepts writes; while none does, mid
failover, requests get a 503 with Retry-After. Neon fails over behind its single endpoint host, so a
Neon URL stays single-host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import URL, make_url

ASYNC_DRIVERS = {"postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}
# libpq options asyncpg cannot take as keyword arguments; sslmode maps onto asyncpg's `ssl`.
LIBPQ_ONLY_OPTIONS = {"channel_binding", "sslmode", "connect_timeout"}


@dataclass(frozen=True)
class DatabaseUrl:
    url: URL
    connect_args: dict[str, Any] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def behind_pooler(self) -> bool:
        """Neon names its PgBouncer (transaction mode) endpoints `ep-name-123456-pooler.region…`."""
        return "-pooler." in (self.url.host or "")


def _hosts_as_query(raw: str) -> str:
    """libpq's `@h1:5432,h2:5433/db` as SQLAlchemy's `@/db?host=h1:5432&host=h2:5433`."""
    parts = urlsplit(raw)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    if "," not in hosts:
        return raw
    query = "&".join(filter(None, [urlencode([("host", host) for host in hosts.split(",")]), parts.query]))
    return urlunsplit((parts.scheme, userinfo + at, parts.path, query, parts.fragment))


def parse_database_url(raw: str) -> DatabaseUrl:
    url = make_url(_hosts_as_query(raw.strip()))
    backend = "postgresql" if url.get_backend_name() in ("postgres", "postgresql") else url.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"unsupported database {backend!r}: use PostgreSQL or SQLite")
    url = url.set(drivername=ASYNC_DRIVERS[backend])
    if backend != "postgresql":
        return DatabaseUrl(url)
    connect_args: dict[str, Any] = {}
    sslmode = url.query.get("sslmode")
    if isinstance(sslmode, str) and sslmode != "disable":
        connect_args["ssl"] = sslmode
    return DatabaseUrl(url.difference_update_query(LIBPQ_ONLY_OPTIONS), connect_args)
