"""The log format, shared by structlog and the stdlib: JSON lines or readable text, the request id in each.

Imported by every worker before it starts (uvicorn builds the formatter from `logging_config` while
the supervisor waits for the worker's first health check), so it imports no more than it needs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Literal

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from impl.observability.context import REQUEST_ID

if TYPE_CHECKING:
    from impl.settings import ObservabilitySettings

LogFormat = Literal["json", "console"]
# uvicorn's access log stays off: the service writes its own access line, with the route template.
SILENCED = ("uvicorn.access",)


def add_request_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def _json_line(event_dict: EventDict, **options: Any) -> str:
    return orjson.dumps(event_dict, **options).decode()


def renderer(log_format: LogFormat) -> Processor:
    if log_format == "json":
        return structlog.processors.JSONRenderer(serializer=_json_line)
    # Plain tracebacks: rich's or better-exceptions' (used when installed) would print local variables.
    return structlog.dev.ConsoleRenderer(
        colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
    )


def shared_processors(log_format: LogFormat) -> list[Processor]:
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
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared_processors(log_format)],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer(log_format)],
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
