"""DATABASE_URL as users paste it (Neon, Heroku-style, explicit driver) to an async SQLAlchemy URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


def parse_database_url(raw: str) -> DatabaseUrl:
    url = make_url(raw.strip())
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
