"""Configuration: database URLs as users paste them, and secrets production will not run without."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from impl.db_url import parse_database_url
from impl.settings import DEVELOPMENT_SECRET, Settings


@pytest.mark.parametrize(
    ("raw", "url", "connect_args"),
    [
        (
            "postgresql://u:p@ep-x.neon.tech/db?sslmode=require&channel_binding=require",
            "postgresql+asyncpg://u:p@ep-x.neon.tech/db",
            {"ssl": "require"},
        ),
        ("postgres://u:p@host:5433/db", "postgresql+asyncpg://u:p@host:5433/db", {}),
        ("postgresql+asyncpg://u@host/db", "postgresql+asyncpg://u@host/db", {}),
        ("postgresql://u@host/db?sslmode=disable", "postgresql+asyncpg://u@host/db", {}),
        ("sqlite:///./todo.db", "sqlite+aiosqlite:///./todo.db", {}),
    ],
)
def test_database_urls_are_normalised_for_the_async_drivers(
    raw: str, url: str, connect_args: dict[str, str]
) -> None:
    database = parse_database_url(raw)
    assert database.url.render_as_string(hide_password=False) == url
    assert database.connect_args == connect_args


def test_unsupported_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        parse_database_url("mysql://u@host/db")


@pytest.mark.parametrize("secret", [None, "", "short-secret"])
def test_production_refuses_a_missing_or_short_secret(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="BETTER_AUTH_SECRET"):
        Settings(_env_file=None, app_env="production", better_auth_secret=secret)


def test_development_falls_back_to_the_development_secret() -> None:
    settings = Settings(_env_file=None, app_env="development")
    assert settings.hs256_secret == DEVELOPMENT_SECRET


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", "s" * 32)
    monkeypatch.setenv("CORS_ORIGINS", "http://localhost:3000, https://app.example.com")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/d")
    settings = Settings(_env_file=None)
    assert settings.app_env == "production"
    assert settings.hs256_secret == "s" * 32
    assert settings.cors_origins == ["http://localhost:3000", "https://app.example.com"]
    assert settings.database.dialect == "postgresql"
