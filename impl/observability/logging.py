"""Structured logs: JSON lines in production, readable text in development, the request id in every line.

Two paths meet in one format. The service's own lines (the access line of every request) go through
structlog straight to stderr, without the stdlib's LogRecord machinery: one line per request is on
the hot path. Everything logged through the stdlib (uvicorn's server messages, warnings and errors
of the service's modules, libraries) is rendered by structlog's ProcessorFormatter with the same
processors, so every line has the same fields: timestamp, level, logger, event, request_id (while a
request is served) and the event's own fields.

What is never logged: tokens, request or response bodies, query strings, secrets. The access line
names the route template (not the path, which carries ids), and the user as a keyed hash: stable
across workers and restarts, so one user's requests can be followed, but not the id itself.
Tracebacks are rendered without local variables, and the engine hides statement parameters.
"""

from __future__ import annotations

import hashlib
import logging
import logging.config
import sys
from collections.abc import Callable
from typing import Any

import structlog
from starlette.types import Scope
from structlog.typing import Processor

from impl.observability.log_format import logging_config, renderer, shared_processors
from impl.settings import ObservabilitySettings, Settings

ACCESS_LOGGER = "access"


def configure_logging(settings: ObservabilitySettings) -> None:
    """Configures this process: the stdlib (as uvicorn does with `logging_config`) and structlog."""
    logging.config.dictConfig(logging_config(settings))
    log_format = settings.rendered_log_format
    structlog.configure(
        processors=[*shared_processors(log_format), renderer(log_format)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(settings.log_level)),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


# Domain separation: the derived key is used for nothing else, and reveals nothing of the secret.
_USER_HASH_PERSON = b"todo-log-user"


def user_hash_key(settings: Settings) -> bytes:
    """LOG_USER_HASH_KEY, else a key derived from the HS256 secret, else none (a plain hash)."""
    configured = settings.log_user_hash_key
    material = configured.get_secret_value() if configured is not None else settings.hs256_secret
    if material is None:
        return b""
    return hashlib.blake2b(material.encode(), digest_size=32, person=_USER_HASH_PERSON).digest()


def user_hasher(settings: Settings) -> Callable[[str], str]:
    key = user_hash_key(settings)

    def user_hash(user_id: str) -> str:
        return hashlib.blake2b(user_id.encode(), key=key, digest_size=8).hexdigest()

    return user_hash


class AccessLog:
    """One line per request, written when the response's last byte is handed to the server.

    The line runs through the processors structlog is configured with (`configure_logging`: the same
    fields and rendering as every other line) and goes to its configured output, but without the
    generic machinery of a bound logger call (method lookup, context copy, proxying): one line per
    request is on the hot path. Like the configured logger, it writes nothing below the log level.
    """

    def __init__(self, settings: Settings) -> None:
        self._user_hash = user_hasher(settings)
        config = structlog.get_config()
        self._processors: tuple[Processor, ...] = tuple(config["processors"])
        self._output = config["logger_factory"]()
        self._enabled = logging.getLevelName(settings.log_level) <= logging.INFO

    def __call__(self, scope: Scope, route: str, status: int, seconds: float) -> None:
        if not self._enabled:
            return
        user_id = scope.get("state", {}).get("user_id")
        event: Any = {
            "logger": ACCESS_LOGGER,
            "method": scope["method"],
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "user": self._user_hash(user_id) if user_id is not None else None,
            "event": "request",
        }
        for processor in self._processors:
            event = processor(self._output, "info", event)
        self._output.msg(event)
