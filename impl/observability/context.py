"""The current request's id, for every log line written while it is served. A module of its own, with
no imports, so that the log formatter a worker builds before anything else stays quick to import."""

from __future__ import annotations

from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
