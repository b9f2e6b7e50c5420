"""OpenTelemetry traces: one trace per request, the SQL statements inside it without their values, the
request id attached; configured only by the OTEL_* variables and off without them."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from impl.app import create_app
from impl.observability.tracing import (
    REQUEST_ID_ATTRIBUTE,
    TracingMisconfigured,
    exporter_names,
    tracer_provider_from_environment,
)
from tests.support import TASKS, auth, settings_for

MARKER = f"traced-{secrets.token_hex(6)}"


@pytest.fixture
async def traced(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app: FastAPI = create_app(settings_for(database_url), tracer_provider=provider)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=auth(f"tracer-{secrets.token_hex(4)}")
        ) as client:
            yield client, exporter


def _by_trace(spans: tuple[ReadableSpan, ...]) -> dict[int, list[ReadableSpan]]:
    traces: dict[int, list[ReadableSpan]] = {}
    for span in spans:
        assert span.context is not None
        traces.setdefault(span.context.trace_id, []).append(span)
    return traces


def _server_span(spans: list[ReadableSpan]) -> ReadableSpan:
    (server,) = [span for span in spans if span.kind == SpanKind.SERVER]
    return server


def _is_inside(span: ReadableSpan, ancestor: ReadableSpan, spans: list[ReadableSpan]) -> bool:
    by_id = {s.context.span_id: s for s in spans if s.context is not None}
    parent = span.parent
    while parent is not None:
        if ancestor.context is not None and parent.span_id == ancestor.context.span_id:
            return True
        parent = by_id[parent.span_id].parent if parent.span_id in by_id else None
    return False


async def test_each_request_is_one_trace_with_its_statements_inside(
    traced: tuple[httpx.AsyncClient, InMemorySpanExporter],
) -> None:
    client, exporter = traced
    created = await client.post(TASKS, json={"title": MARKER, "tags": [MARKER]})
    fetched = await client.get(created.headers["location"])
    listed = await client.get(TASKS, params={"q": MARKER})
    responses = [created, fetched, listed]
    assert [r.status_code for r in responses] == [201, 200, 200]

    # Background work (the workers' purges of expired keys and tombstones) is traced too, in traces
    # of its own without a server span; the requests' traces are the ones served.
    traces = {
        trace: spans
        for trace, spans in _by_trace(exporter.get_finished_spans()).items()
        if any(span.kind == SpanKind.SERVER for span in spans)
    }
    assert len(traces) == len(responses)
    for response, spans in zip(
        responses, sorted(traces.values(), key=lambda s: min(x.start_time or 0 for x in s)), strict=True
    ):
        server = _server_span(spans)
        assert server.attributes is not None
        assert server.attributes[REQUEST_ID_ATTRIBUTE] == response.headers["x-request-id"]
        statements = [span for span in spans if span.kind == SpanKind.CLIENT]
        assert statements, "no database span"
        for statement in statements:
            assert _is_inside(statement, server, spans)
            attributes = dict(statement.attributes or {})
            assert "db.statement" in attributes or "db.query.text" in attributes
    recorded = " ".join(
        f"{span.name} {value!r}"
        for span in exporter.get_finished_spans()
        for value in (span.attributes or {}).values()
    )
    assert "INSERT INTO tasks" in recorded
    assert MARKER not in recorded  # neither bound values nor the search in the query string


async def test_server_spans_are_named_by_route_template(
    traced: tuple[httpx.AsyncClient, InMemorySpanExporter],
) -> None:
    client, exporter = traced
    await client.get(f"{TASKS}/987654321")
    (server,) = [span for span in exporter.get_finished_spans() if span.kind == SpanKind.SERVER]
    assert server.name == "GET /api/tasks/{task_id}"


async def test_an_incoming_traceparent_continues_the_callers_trace(
    traced: tuple[httpx.AsyncClient, InMemorySpanExporter],
) -> None:
    client, exporter = traced
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await client.get("/readyz", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})

    assert response.headers["x-request-id"] == trace_id
    server = _server_span(list(exporter.get_finished_spans()))
    assert server.context is not None
    assert format(server.context.trace_id, "032x") == trace_id
    assert server.attributes is not None
    assert server.attributes[REQUEST_ID_ATTRIBUTE] == trace_id


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"OTEL_TRACES_EXPORTER": "none"},
        {"OTEL_TRACES_EXPORTER": " "},
        {"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},  # an endpoint alone exports nothing
    ],
)
def test_tracing_is_off_unless_an_exporter_is_configured(environ: dict[str, str]) -> None:
    assert exporter_names(environ) == []
    assert tracer_provider_from_environment(environ) is None


def _exporters(provider: TracerProvider) -> list[object]:
    processors = provider._active_span_processor._span_processors
    return [processor.span_exporter for processor in processors]  # type: ignore[attr-defined]


def test_the_standard_variables_configure_exporters_and_resource() -> None:
    environ = {
        "OTEL_TRACES_EXPORTER": "otlp,console",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
    }
    provider = tracer_provider_from_environment(environ)
    assert provider is not None
    try:
        otlp, console = _exporters(provider)
        assert isinstance(otlp, OTLPSpanExporter)
        assert isinstance(console, ConsoleSpanExporter)
        assert provider.resource.attributes["service.name"] == "todo-api"
    finally:
        provider.shutdown()


def test_an_exporter_that_is_not_installed_is_refused_by_name() -> None:
    with pytest.raises(TracingMisconfigured, match="OTEL_TRACES_EXPORTER"):
        tracer_provider_from_environment({"OTEL_TRACES_EXPORTER": "zipkin"})
    with pytest.raises(TracingMisconfigured, match="otlp_proto_grpc"):
        tracer_provider_from_environment(
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
        )


async def test_untraced_apps_are_not_instrumented(app: FastAPI) -> None:
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
