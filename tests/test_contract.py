"""The server serves the hand-written contract itself, and its docs."""

from __future__ import annotations

import httpx
import yaml

from impl.app import create_app
from tests.support import ROOT, settings_for


async def test_openapi_json_is_exactly_the_contract(anonymous: httpx.AsyncClient) -> None:
    contract = yaml.safe_load((ROOT / "openapi" / "tasks.yaml").read_text())
    response = await anonymous.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == contract


async def test_swagger_ui_is_served_when_enabled(database_url: str) -> None:
    # Off in production by default (#10, item 12; tests/test_hardening.py), on with DOCS_ENABLED.
    app = create_app(settings_for(database_url, docs_enabled=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as anonymous:
        response = await anonymous.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text
