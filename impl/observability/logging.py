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
from typing import Any, Literal

import orjson
import structlog
from starlette.types import Scope
from structlog.typing import EventDict, Processor, WrappedLogger

from impl.observability.request_id import REQUEST_ID
from impl.settings import ObservabilitySettings, Settings

LogFormat = Literal["json", "console"]
ACCESS_LOGGER = "access"
# uvicorn's access log stays off: the service writes its own access line, with the route template.
SILENCED = ("uvicorn.access",)


def add_request_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def _json_line(event_dict: EventDict, **options: Any) -> str:
    return orjson.dumps(event_dict, **options).decode()


def _renderer(log_format: LogFormat) -> Processor:
    if log_format == "json":
        return structlog.processors.JSONRenderer(serializer=_json_line)
    # Plain tracebacks: rich's or better-exceptions' (used when installed) would print local variables.
    return structlog.dev.ConsoleRenderer(
        colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
    )


def _shared_processors(log_format: LogFormat) -> list[Processor]:
    processors: list[Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_request_id,
    ]
    if log_format == "json":
        processors.append(structlog.processors.format_exc_info)
    return processors


def structured_formatter(log_format: LogFormat) -> structlog.stdlib.ProcessorFormatter:
    """The stdlib formatter for every handler; logging.config builds it from `logging_config`."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *_shared_processors(log_format)],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _renderer(log_format)],
    )


def logging_config(settings: ObservabilitySettings) -> dict[str, Any]:
    """The stdlib logging configuration, also handed to uvicorn (its `log_config`), so the server
    process and every worker log in the same format from their first line on."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": f"{__name__}.structured_formatter",
                "log_format": settings.rendered_log_format,
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": settings.log_level},
        "loggers": {
            # uvicorn's own handlers would print its default format; its records go to the root's.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            **{name: {"handlers": [], "propagate": False} for name in SILENCED},
        },
    }


def configure_logging(settings: ObservabilitySettings) -> None:
    """Configures this process: the stdlib (as uvicorn does with `logging_config`) and structlog."""
    logging.config.dictConfig(logging_config(settings))
    log_format = settings.rendered_log_format
    structlog.configure(
        processors=[*_shared_processors(log_format), _renderer(log_format)],
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
    """One line per request, written when the response's last byte is handed to the server."""

    def __init__(self, settings: Settings) -> None:
        self._user_hash = user_hasher(settings)
        self._log = structlog.get_logger(ACCESS_LOGGER).bind(logger=ACCESS_LOGGER)

    def __call__(self, scope: Scope, route: str, status: int, seconds: float) -> None:
        user_id = scope.get("state", {}).get("user_id")
        self._log.info(
            "request",
            method=scope["method"],
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 2),
            user=self._user_hash(user_id) if user_id is not None else None,
        )
