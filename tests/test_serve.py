"""The production server command: one worker per core, uvloop and httptools, no access log."""

from __future__ import annotations

import os
from typing import Any

import pytest
import uvicorn

from impl import serve
from impl.observability.log_format import logging_config
from impl.settings import ObservabilitySettings


@pytest.fixture(autouse=True)
def _no_process_wide_side_effects(monkeypatch: pytest.MonkeyPatch) -> None:
    # serve() configures this process's logging and serves metrics; here only its uvicorn call counts.
    monkeypatch.setattr("impl.observability.logging.configure_logging", lambda _: None)
    monkeypatch.setenv("METRICS_ADDRESS", "")


def test_workers_default_to_the_cores_this_process_may_use() -> None:
    assert serve.default_workers({}) == len(os.sched_getaffinity(0))
    assert serve.default_workers({"WEB_CONCURRENCY": "3"}) == 3
    assert serve.default_workers({"WEB_CONCURRENCY": "0"}) == 1


def test_serve_runs_uvicorn_with_the_production_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    monkeypatch.setenv("WEB_CONCURRENCY", "2")

    serve.serve(serve.PRODUCT_APP, ["--port", "9000"])
    serve.serve("bench.ceiling:app", ["--host", "127.0.0.1", "--workers", "1"])

    (app, options), (_, ceiling) = calls
    assert app == "impl.main:app"
    proxy = {"proxy_headers": True, "forwarded_allow_ips": None}
    logs = {"log_config": logging_config(ObservabilitySettings())}
    assert options == serve.server_options("0.0.0.0", 9000, 2) | proxy | logs
    assert (options["workers"], options["loop"], options["http"], options["access_log"]) == (
        2,
        "uvloop",
        "impl.http_protocol:BoundedHttpToolsProtocol",
        False,
    )
    # Hardening (#10, items 5 and 13): no banner, bounded keep-alive and concurrency.
    assert (options["server_header"], options["timeout_keep_alive"], options["limit_concurrency"]) == (
        False,
        5,
        2048,
    )
    assert (ceiling["host"], ceiling["workers"]) == ("127.0.0.1", 1)


def test_the_trusted_proxies_are_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))

    serve.serve(serve.PRODUCT_APP, ["--forwarded-allow-ips", "10.0.0.0/8,192.168.1.5"])
    serve.serve(serve.PRODUCT_APP, [])

    behind_a_proxy, default = calls
    assert (behind_a_proxy["proxy_headers"], behind_a_proxy["forwarded_allow_ips"]) == (
        True,
        "10.0.0.0/8,192.168.1.5",
    )
    # uvicorn then reads FORWARDED_ALLOW_IPS, else trusts loopback only.
    assert default["forwarded_allow_ips"] is None
