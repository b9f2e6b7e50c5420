"""Prometheus metrics: RED per route template, the database gate, JWKS fetches, the token memo, 503s by
cause; summed over the workers of a real `python -m impl.serve --workers 2` and served apart from the API."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from impl.app import create_app
from impl.observability.metrics_server import InstanceCollector, MetricsAddressUnusable, serving_metrics
from tests.live_server import app_env, free_port, migrated_sqlite, production_server
from tests.support import ROOT, TASKS, TEST_SECRET, auth, settings_for

LISTS = 60
MISSING = 7


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_requests_are_counted_by_route_template_method_and_status_class(
    user_a: httpx.AsyncClient,
) -> None:
    missing = {"route": "/api/tasks/{task_id}", "method": "GET", "status": "4xx"}
    unmatched = {"route": "unmatched", "method": "other", "status": "4xx"}
    before = sample("todo_http_requests_total", **missing), sample("todo_http_requests_total", **unmatched)
    duration_before = sample("todo_http_request_duration_seconds_count", route=missing["route"], method="GET")

    for task_id in (1, 2, 3):
        assert (await user_a.get(f"{TASKS}/98765432{task_id}")).status_code == 404
    assert (await user_a.request("BREW", "/coffee/pot")).status_code == 404

    after = sample("todo_http_requests_total", **missing), sample("todo_http_requests_total", **unmatched)
    assert (after[0] - before[0], after[1] - before[1]) == (3, 1)
    duration_after = sample("todo_http_request_duration_seconds_count", route=missing["route"], method="GET")
    assert duration_after - duration_before == 3


async def test_the_gate_reports_connections_in_use_only_while_held(app: FastAPI) -> None:
    gate = app.state.gate
    before = sample("todo_db_connections_in_use")
    connection = await gate.connect()
    try:
        assert sample("todo_db_connections_in_use") == before + 1
    finally:
        await gate.release(connection)
    assert sample("todo_db_connections_in_use") == before


async def test_a_pool_timeout_is_counted_as_its_cause(postgres_admin: str) -> None:
    app = create_app(
        settings_for(postgres_admin, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=0.05)
    )
    async with app.router.lifespan_context(app):
        held = await app.state.gate.connect()
        try:
            before = sample("todo_unavailable_responses_total", cause="pool_timeout")
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                response = await client.get("/readyz")
            assert response.status_code == 503
            assert sample("todo_unavailable_responses_total", cause="pool_timeout") == before + 1
            assert sample("todo_db_requests_waiting") == 0
        finally:
            await app.state.gate.release(held)


async def test_an_unreachable_database_is_counted_as_its_cause() -> None:
    app = create_app(settings_for(f"postgresql://nobody@127.0.0.1:{free_port()}/todo"))
    async with app.router.lifespan_context(app):
        before = sample("todo_unavailable_responses_total", cause="database")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            assert (await client.get("/readyz")).status_code == 503
    assert sample("todo_unavailable_responses_total", cause="database") == before + 1


async def test_the_token_memo_size_is_reported(app: FastAPI, user_id_factory: object) -> None:
    tokens = app.state.tokens
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get(TASKS, headers=auth(f"memo-{id(tokens)}-{os.getpid()}"))).status_code == 200
    assert sample("todo_verified_tokens") == len(tokens)
    assert sample("todo_verified_tokens_bytes") == tokens.size_bytes > 0


def test_metrics_are_never_served_on_the_api_port() -> None:
    with (
        pytest.raises(MetricsAddressUnusable, match="the API's own port"),
        serving_metrics(("127.0.0.1", 8000), api_port=8000),
    ):
        pass


def test_a_metrics_address_in_use_is_refused_with_the_setting_named() -> None:
    with (
        serving_metrics(("127.0.0.1", port := free_port()), api_port=1),
        pytest.raises(MetricsAddressUnusable, match="METRICS_ADDRESS"),
        serving_metrics(("127.0.0.1", port), api_port=1),
    ):
        pass


WRITER = textwrap.dedent(
    """
    from prometheus_client import Counter, Gauge
    Counter("todo_test_events", "events", ["kind"]).labels("x").inc(3)
    Gauge("todo_test_live", "live", multiprocess_mode="livesum").set(5)
    """
)


def test_a_dead_workers_gauges_are_forgotten_and_its_counts_kept(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):  # two workers that wrote and exited
        subprocess.run([sys.executable, "-c", WRITER], env=env, check=True, cwd=ROOT)

    families = {family.name: family for family in InstanceCollector(str(tmp_path)).collect()}

    assert [s.value for s in families["todo_test_events"].samples if s.name.endswith("_total")] == [6]
    assert "todo_test_live" not in families
    assert not list(tmp_path.glob("gauge_livesum_*.db"))
    pids = {s.labels["pid"] for s in families["process_resident_memory_bytes"].samples}
    assert pids == {str(os.getpid())}


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(url, timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_two_workers_report_exactly_the_requests_they_served(tmp_path: Path) -> None:
    metrics_port = free_port()
    env = {"METRICS_ADDRESS": f"127.0.0.1:{metrics_port}", "TMPDIR": str(tmp_path)}
    with production_server(
        app_env(migrated_sqlite(tmp_path), TEST_SECRET, **env), workers=2, log_path=tmp_path / "server.log"
    ) as server:
        base_url = server.base_url

        def request(path: str) -> int:
            # A connection each, so that both workers take requests.
            return httpx.get(f"{base_url}{path}", headers=auth("metrics-user"), timeout=10).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            paths = [TASKS] * LISTS + [f"{TASKS}/{n}" for n in range(1, MISSING + 1)]
            statuses = list(pool.map(request, paths))
        assert statuses == [200] * LISTS + [404] * MISSING

        samples = _scrape(f"http://127.0.0.1:{metrics_port}/metrics")
        assert httpx.get(f"{base_url}/metrics").status_code == 404  # not on the API's port
        assert len(list(tmp_path.glob("todo-metrics-*"))) == 1

    def count(route: str, status: str) -> float:
        labels = (("method", "GET"), ("route", route), ("status", status))
        return samples[("todo_http_requests_total", labels)]

    assert count("/api/tasks", "2xx") == LISTS
    assert count("/api/tasks/{task_id}", "4xx") == MISSING
    duration = (("method", "GET"), ("route", "/api/tasks"))
    assert samples[("todo_http_request_duration_seconds_count", duration)] == LISTS
    assert samples[("todo_db_connections_in_use", ())] == 0
    # Both workers and the server process, each with its own resource figures.
    memory = [key for key in samples if key[0] == "process_resident_memory_bytes"]
    assert len(memory) == 3
    assert not list(tmp_path.glob("todo-metrics-*"))  # removed when the server stopped
