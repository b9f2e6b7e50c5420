"""OpenTelemetry traces: off unless the standard OTEL_* variables turn them on.

On when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`, or any installed
`opentelemetry_traces_exporter` entry point) and `OTEL_SDK_DISABLED` is not `true`; everything else
is the SDK's and the exporter's own standard variables (`OTEL_SERVICE_NAME`,
`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`, `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_BSP_*`, …).
`otlp` is OTLP over HTTP/protobuf, the only OTLP transport installed. Off, nothing of OpenTelemetry
is imported or wrapped, so requests pay nothing for it.

On, each request is one trace: a server span named by method and route template, carrying the
request id (`request.id`), with a client span per SQL statement inside it. Statements are recorded
as SQL text with placeholders; their bound values never leave the process, nor do query strings.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Match

from impl.observability.request_id import request_id_of

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

SERVICE_NAME = "todo-api"
REQUEST_ID_ATTRIBUTE = "request.id"
EXPORTER_GROUP = "opentelemetry_traces_exporter"
OTLP_BY_PROTOCOL = {
    "http/protobuf": "otlp_proto_http",
    "grpc": "otlp_proto_grpc",
    "http/json": "otlp_json_http",
}


class TracingMisconfigured(ValueError):
    """An OTEL_* variable names something this installation cannot do."""


def exporter_names(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The exporters the environment asks for; empty when tracing is off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    requested = (name.strip() for name in environ.get("OTEL_TRACES_EXPORTER", "").split(","))
    return [name for name in requested if name and name != "none"]


def _exporter(name: str, environ: Mapping[str, str]) -> SpanExporter:
    if name == "otlp":
        protocol = (
            environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "http/protobuf"
        )
        name = OTLP_BY_PROTOCOL.get(protocol.strip(), protocol)
    found = entry_points(group=EXPORTER_GROUP, name=name)
    if not found:
        raise TracingMisconfigured(
            f"OTEL_TRACES_EXPORTER: no trace exporter {name!r} is installed (otlp over http/protobuf "
            "and console are)"
        )
    exporter: SpanExporter = next(iter(found)).load()()
    return exporter


def tracer_provider_from_environment(environ: Mapping[str, str] = os.environ) -> TracerProvider | None:
    names = exporter_names(environ)
    if not names:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
    provider = TracerProvider(resource=resource)  # OTEL_TRACES_SAMPLER and its argument
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name, environ)))  # OTEL_BSP_*
    return provider


# The URL attributes of the server span under the old and the stable HTTP conventions.
URL_ATTRIBUTES = ("http.url", "url.full")
HTTP_ROUTE_ATTRIBUTE = "http.route"


def _tag_request(span: Span, scope: dict[str, Any]) -> None:
    """Attaches the request id, names the span by its route template, and drops the query string:
    searches are users' data, like bodies."""
    if not span.is_recording():
        return
    span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id_of(scope))
    template = _route_template(scope)
    if template is not None:
        span.update_name(f"{scope['method']} {template}")
        span.set_attribute(HTTP_ROUTE_ATTRIBUTE, template)
    recorded = getattr(span, "attributes", None) or {}
    for name in URL_ATTRIBUTES:
        url = recorded.get(name)
        if isinstance(url, str) and "?" in url:
            span.set_attribute(name, url.partition("?")[0])
    if "url.query" in recorded:
        span.set_attribute("url.query", "")


def _route_template(scope: dict[str, Any]) -> str | None:
    """The path template of the route the app will pick. The instrumentor reads `path` off the app's
    routes, and the operations sit in one route table (kit.routing.RouteTable), which has none: the
    table's match names its route."""
    for route in scope["app"].routes:
        match, child_scope = route.matches(scope)
        if match is Match.FULL:
            return getattr(child_scope.get("route", route), "path", None)
    return None


def instrument(app: FastAPI, engine: AsyncEngine, provider: TracerProvider) -> None:
    """Traces the app's requests (outside every policy and error handler) and the engine's statements."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    # The engine tracer on its own: SQLAlchemyInstrumentor().instrument() would also patch
    # create_engine process-wide and can hold only one configuration at a time.
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeterProvider

    # Metrics are Prometheus's job here; OpenTelemetry's would be recorded for nothing.
    meters = NoOpMeterProvider()
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        meter_provider=meters,
        server_request_hook=_tag_request,
        exclude_spans=["receive", "send"],
    )
    connections = meters.get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    EngineTracer(tracer, engine.sync_engine, connections)  # type: ignore[no-untyped-call]
    # The hot statements run straight on asyncpg (impl/db.py RequestDatabase.fetch), past the engine.
    app.state.gate.trace_statement = functools.partial(_statement_span, tracer)


def _statement_span(tracer: Tracer, sql: str) -> AbstractContextManager[object]:
    """A client span for one statement, as the engine tracer makes them: its text, never its values."""
    from opentelemetry.trace import SpanKind

    operation = sql.split(None, 1)[0].upper() if sql.strip() else "SQL"
    attributes = {"db.system": "postgresql", "db.statement": sql}
    return tracer.start_as_current_span(operation, kind=SpanKind.CLIENT, attributes=attributes)
