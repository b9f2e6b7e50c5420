"""Configuration: database URLs as users paste them, and secrets production will not run without."""

from __future__ import annotations

import base64
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from impl.app import create_app
from impl.db_url import parse_database_url
from impl.devserver import cors_summary
from impl.settings import DEVELOPMENT_SECRET, Settings
from tests.support import ROOT, TEST_CURSOR_SECRET

STRONG_SECRET = secrets.token_urlsafe(32)


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


SHIPPED_PLACEHOLDER = "change-me-to-a-random-string-of-32-or-more-characters"
WEAK_SECRETS = {
    "placeholder of the old .env.example": SHIPPED_PLACEHOLDER,
    "any change-me": "Change_Me_" + secrets.token_urlsafe(32),
    "the development secret": DEVELOPMENT_SECRET,
    "the word secret": "my-jwt-secret-" + secrets.token_urlsafe(32),
    "the word password": "PASSWORD" + secrets.token_urlsafe(32),
    "one repeated character": "a" * 32,
    "one repeated character, long": "z" * 200,
    "two alternating characters": "ab" * 32,
    "a repeated phrase": "k8#Qz!" * 8,
    "a repeated 16-character block": "0123456789abcdef" * 4,
    "128-bit hex, too short to show it": secrets.token_hex(16),
    "31 random characters": secrets.token_urlsafe(32)[:31],
}


@pytest.mark.parametrize("case", WEAK_SECRETS)
def test_production_refuses_placeholder_and_predictable_secrets(case: str) -> None:
    secret = WEAK_SECRETS[case]
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, app_env="production", better_auth_secret=secret)
    message = str(refused.value)
    assert "BETTER_AUTH_SECRET" in message
    assert "openssl rand -base64 32" in message
    assert secret not in message


@pytest.mark.parametrize(
    "generate",
    [
        lambda: base64.b64encode(secrets.token_bytes(32)).decode(),  # what `openssl rand -base64 32` prints
        lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_hex(32),
    ],
    ids=["base64 of 32 random bytes", "token_urlsafe(32)", "token_hex(32)"],
)
def test_production_accepts_generated_secrets(generate: object) -> None:
    assert callable(generate)
    for _ in range(200):
        secret = generate()
        assert Settings(_env_file=None, better_auth_secret=secret).hs256_secret == secret


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl binary on this machine")
def test_production_accepts_what_the_error_message_suggests() -> None:
    secret = subprocess.run(
        ["openssl", "rand", "-base64", "32"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert Settings(_env_file=None, better_auth_secret=secret).hs256_secret == secret


def test_development_still_accepts_a_weak_secret() -> None:
    assert Settings(_env_file=None, app_env="development", better_auth_secret="d" * 40).hs256_secret


def test_the_shipped_env_example_does_not_start_production(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Copied as the README says, with nothing else configured: no HS256 secret anyone can know.
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError, match="BETTER_AUTH_SECRET must be set"):
        Settings()
    env = (tmp_path / ".env").read_text()
    assert "APP_ENV=production" in env.splitlines()
    assert "BETTER_AUTH_SECRET=" in env.splitlines()
    assert "openssl rand -base64 32" in env


SECRET_TAIL = "Qx7-tail-of-the-secret"


@pytest.mark.parametrize(
    "values",
    [
        {"better_auth_secret": "short-" + SECRET_TAIL[-10:]},
        {"better_auth_secret": "a" * 40 + SECRET_TAIL},
        {"better_auth_url": f"ftp://admin:{SECRET_TAIL}@auth.example.com"},
        {"better_auth_url": f"https://admin:{SECRET_TAIL}@auth.example.com:99999"},
        {"jwt_jwks_url": f"https://admin:{SECRET_TAIL}@keys.example.com/jwks?k=1"},
    ],
    ids=["too short", "too predictable", "bad scheme", "bad port", "query"],
)
def test_start_up_errors_never_echo_setting_values(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, app_env="production", jwt_issuer="i", jwt_audience="a", **values)  # type: ignore[arg-type]
    # What a failed start-up prints; `.errors()` keeps the input for programs that ask for it.
    for rendering in (str(refused.value), repr(refused.value)):
        assert SECRET_TAIL[-10:] not in rendering
        assert "input_value" not in rendering


@pytest.mark.parametrize(
    "url",
    [
        "http://auth.example.com",
        "http://10.0.0.7:3000",
        "http://127.0.0.1.nip.io:3000",
    ],
)
def test_production_refuses_jwks_over_plain_http(url: str) -> None:
    with pytest.raises(ValidationError, match="must use https"):
        Settings(_env_file=None, better_auth_url=url)
    with pytest.raises(ValidationError, match="must use https"):
        Settings(_env_file=None, jwt_jwks_url=f"{url}/jwks", jwt_issuer="i", jwt_audience="a")


@pytest.mark.parametrize(
    "url", ["https://auth.example.com", "http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"]
)
def test_production_fetches_keys_over_https_or_from_loopback(url: str) -> None:
    settings = Settings(_env_file=None, better_auth_url=url, cursor_secret=TEST_CURSOR_SECRET)
    assert settings.jwks_url is not None
    assert not settings.jwks_fetched_insecurely


def test_plain_http_keys_need_an_explicit_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWKS_ALLOW_INSECURE_HTTP", "true")
    settings = Settings(
        _env_file=None, better_auth_url="http://auth.internal:3000", cursor_secret=TEST_CURSOR_SECRET
    )
    assert settings.jwks_fetched_insecurely
    assert Settings(_env_file=None, app_env="development", better_auth_url="http://auth.internal:3000")


def test_development_falls_back_to_the_development_secret() -> None:
    settings = Settings(_env_file=None, app_env="development")
    assert settings.hs256_secret == DEVELOPMENT_SECRET


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", STRONG_SECRET)
    monkeypatch.setenv("CORS_ORIGINS", "http://localhost:3000, https://app.example.com")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/d")
    settings = Settings(_env_file=None)
    assert settings.app_env == "production"
    assert settings.hs256_secret == STRONG_SECRET
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
    monkeypatch.setenv("BETTER_AUTH_SECRET", STRONG_SECRET)
    settings = Settings(_env_file=None)
    assert settings.jwks_url == "https://keys.example.com/jwks.json"
    assert (settings.token_issuer, settings.token_audience) == ("https://issuer.example.com", "todo-api")
    assert settings.jwt_algorithms == ["EdDSA", "ES256"]
    assert settings.hs256_secret == STRONG_SECRET


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
    monkeypatch.setenv("BETTER_AUTH_SECRET", STRONG_SECRET)
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


@pytest.mark.parametrize(
    ("configured", "origin"),
    [
        ("http://127.0.0.1:8101/", "http://127.0.0.1:8101"),
        ("HTTPS://App.Example.com", "https://app.example.com"),
        ("https://app.example.com:443/", "https://app.example.com"),
        ("http://localhost:80", "http://localhost"),
        ("http://[::1]:3000", "http://[::1]:3000"),
        ("http://localhost:3000", "http://localhost:3000"),
    ],
)
def test_cors_origins_are_spelled_as_browsers_send_them(configured: str, origin: str) -> None:
    assert Settings(_env_file=None, app_env="development", cors_origins=configured).cors_origins == [origin]


@pytest.mark.parametrize(
    ("configured", "reason"),
    [
        ("localhost:3000", "does not start with http:// or https://"),
        ("app.example.com", "does not start with http:// or https://"),
        ("ftp://app.example.com", "does not start with http:// or https://"),
        ("https://app.example.com/app", "has a path"),
        ("https://app.example.com/?x=1", "has a query or fragment"),
        ("https://app.example.com#top", "has a query or fragment"),
        ("https://user@app.example.com", "has user information"),
        ("http://localhost:99999", "Port out of range"),
    ],
)
def test_what_cannot_be_an_origin_is_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch, configured: str, reason: str
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", f"http://localhost:3000,{configured}")
    with pytest.raises(ValidationError, match=f"CORS_ORIGINS entry '{re.escape(configured)}'.*{reason}"):
        Settings(_env_file=None, app_env="development")


async def test_a_preflight_from_an_origin_configured_with_a_trailing_slash_is_allowed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "http://127.0.0.1:8101/")
    settings = Settings(
        _env_file=None, app_env="development", database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db"
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.options(
            "/api/tasks",
            headers={
                "Origin": "http://127.0.0.1:8101",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:8101"


def test_make_run_prints_the_allowed_origins() -> None:
    assert cors_summary(["http://localhost:3000", "https://app.example.com"]) == (
        "CORS: browser apps allowed from http://localhost:3000, https://app.example.com"
    )
    assert "no browser origins allowed" in cors_summary([])
