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


def test_production_refuses_to_start_with_no_way_to_verify_tokens() -> None:
    with pytest.raises(ValidationError, match=r"BETTER_AUTH_SECRET must be set .* BETTER_AUTH_URL"):
        Settings(_env_file=None, app_env="production")


@pytest.mark.parametrize(
    ("better_auth_url", "jwks_url", "origin"),
    [
        ("https://auth.example.com", "https://auth.example.com/api/auth/jwks", "https://auth.example.com"),
        ("https://auth.example.com/", "https://auth.example.com/api/auth/jwks", "https://auth.example.com"),
        (
            "HTTPS://Auth.Example.com:443",
            "HTTPS://Auth.Example.com:443/api/auth/jwks",
            "https://auth.example.com",
        ),
        ("http://localhost:3000", "http://localhost:3000/api/auth/jwks", "http://localhost:3000"),
        ("https://example.com/custom/auth/", "https://example.com/custom/auth/jwks", "https://example.com"),
        ("http://[::1]:3000", "http://[::1]:3000/api/auth/jwks", "http://[::1]:3000"),
    ],
)
def test_better_auth_url_alone_enables_jwks_with_its_origin_as_issuer_and_audience(
    better_auth_url: str, jwks_url: str, origin: str
) -> None:
    # Better Auth signs iss/aud with `new URL(baseURL).origin` and serves keys under its auth base path.
    settings = Settings(
        _env_file=None, app_env="production", better_auth_url=better_auth_url, cursor_secret="c" * 32
    )
    assert settings.jwks_url == jwks_url
    assert settings.token_issuer == settings.token_audience == origin
    assert settings.hs256_secret is None
    assert settings.jwt_algorithms == ["EdDSA", "ES256", "ES512", "RS256", "PS256"]


def test_explicit_jwks_url_issuer_and_audience_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETTER_AUTH_URL", "https://auth.example.com")
    monkeypatch.setenv("JWT_JWKS_URL", "https://keys.example.com/jwks.json")
    monkeypatch.setenv("JWT_ISSUER", "https://issuer.example.com")
    monkeypatch.setenv("JWT_AUDIENCE", "todo-api")
    monkeypatch.setenv("JWT_ALGORITHMS", "EdDSA, ES256")
    monkeypatch.setenv("BETTER_AUTH_SECRET", "s" * 32)
    settings = Settings(_env_file=None)
    assert settings.jwks_url == "https://keys.example.com/jwks.json"
    assert (settings.token_issuer, settings.token_audience) == ("https://issuer.example.com", "todo-api")
    assert settings.jwt_algorithms == ["EdDSA", "ES256"]
    assert settings.hs256_secret == "s" * 32


def test_a_bare_jwks_url_needs_an_issuer_and_an_audience() -> None:
    with pytest.raises(ValidationError, match="JWT_ISSUER and JWT_AUDIENCE"):
        Settings(_env_file=None, app_env="development", jwt_jwks_url="https://keys.example.com/jwks")
    settings = Settings(
        _env_file=None,
        jwt_jwks_url="https://keys.example.com/jwks",
        jwt_issuer="i",
        jwt_audience="a",
        cursor_secret="c" * 32,
    )
    assert settings.jwks_url == "https://keys.example.com/jwks"


def test_blank_variables_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BETTER_AUTH_URL", "JWT_JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("BETTER_AUTH_SECRET", "s" * 32)
    settings = Settings(_env_file=None)
    assert (settings.jwks_url, settings.token_issuer, settings.token_audience) == (None, None, None)


def test_development_with_only_a_jwks_has_no_built_in_secret() -> None:
    settings = Settings(_env_file=None, app_env="development", better_auth_url="http://localhost:3000")
    assert settings.hs256_secret is None


@pytest.mark.parametrize(
    "values",
    [
        {"better_auth_url": "ftp://auth.example.com"},
        {"better_auth_url": "auth.example.com"},
        {"better_auth_url": "https://auth.example.com:99999"},
        {"jwt_jwks_url": "https://keys.example.com/jwks?x=1", "jwt_issuer": "i", "jwt_audience": "a"},
        {"better_auth_url": "https://auth.example.com", "jwt_algorithms": "HS256"},
        {"better_auth_url": "https://auth.example.com", "jwt_algorithms": ""},
        {"better_auth_url": "https://auth.example.com", "better_auth_secret": "short"},
    ],
)
def test_unusable_token_settings_are_refused(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, app_env="production", **values)  # type: ignore[arg-type]
