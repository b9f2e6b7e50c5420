"""The service's configuration: one validated object built at start-up from the environment."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from impl.db_url import DatabaseUrl, parse_database_url

MIN_SECRET_LENGTH = 32
# Only ever used with APP_ENV=development, which production refuses to run without a real secret.
DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"
DEFAULT_STATEMENT_CACHE_SIZE = 100

# The signing algorithms Better Auth's jwt plugin offers, plus their siblings of the same key types.
AsymmetricAlgorithm = Literal[
    "EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"
]
DEFAULT_JWT_ALGORITHMS: list[AsymmetricAlgorithm] = ["EdDSA", "ES256", "ES512", "RS256", "PS256"]
# Better Auth's default basePath, used when BETTER_AUTH_URL carries no path of its own.
BETTER_AUTH_BASE_PATH = "/api/auth"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    app_env: Literal["development", "production"] = "production"
    database_url: str = "sqlite+aiosqlite:///./todo.db"
    better_auth_secret: SecretStr | None = None
    jwt_leeway_seconds: Annotated[int, Field(ge=0, le=300)] = 30
    cors_origins: Annotated[list[str], NoDecode] = []

    better_auth_url: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_algorithms: Annotated[list[AsymmetricAlgorithm], NoDecode, Field(min_length=1)] = (
        DEFAULT_JWT_ALGORITHMS
    )
    jwks_cache_ttl_seconds: Annotated[float, Field(ge=0)] = 300.0
    jwks_min_refresh_interval_seconds: Annotated[float, Field(ge=0)] = 10.0
    jwks_fetch_timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 2.0

    # Per worker process. Ten connections keep a worker's event loop busy; extra "overflow"
    # connections would be opened and closed under every burst, a PostgreSQL process fork each.
    db_pool_size: Annotated[int, Field(ge=1)] = 10
    db_max_overflow: Annotated[int, Field(ge=0)] = 0
    # Longest wait, in arrival order, for a free connection before a 503: long enough for a burst of
    # 1,000 clients to be served from the queue, far shorter than a client's or proxy's own timeout.
    db_pool_timeout_seconds: Annotated[float, Field(gt=0)] = 5.0
    db_connect_timeout_seconds: Annotated[float, Field(gt=0)] = 1.0
    db_statement_timeout_seconds: Annotated[float, Field(gt=0)] = 5.0
    retry_after_seconds: Annotated[int, Field(ge=0)] = 1
    # A pooled connection idle longer than this is pinged before use; busy ones skip the round trip.
    db_ping_after_idle_seconds: Annotated[float, Field(ge=0)] = 10.0
    # Prepared statements cached per connection; None: 0 behind a transaction-mode pooler (PgBouncer,
    # Neon's "-pooler" endpoints), where a statement prepared on one server connection is gone on the next.
    db_statement_cache_size: Annotated[int | None, Field(ge=0)] = None

    # Writes without If-Match are refused (428) when set: every client must prove what it saw.
    require_if_match: bool = False
    # How long an Idempotency-Key's stored response is replayed; expired keys are purged in batches.
    idempotency_retention_seconds: Annotated[int, Field(ge=1)] = 86_400
    idempotency_purge_interval_seconds: Annotated[float, Field(gt=0)] = 60.0

    @field_validator("cors_origins", "jwt_algorithms", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator(
        "better_auth_secret", "better_auth_url", "jwt_jwks_url", "jwt_issuer", "jwt_audience", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `BETTER_AUTH_URL=` in a .env file means "not configured", not "the empty URL".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("better_auth_url", "jwt_jwks_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        http = parts.scheme.lower() in ("http", "https")
        if not http or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"{value!r} is not an http(s) URL without query or fragment")
        _ = parts.port  # raises ValueError for a malformed port
        return value.strip()

    @model_validator(mode="after")
    def _require_a_way_to_verify_tokens(self) -> Settings:
        secret = self.better_auth_secret.get_secret_value() if self.better_auth_secret else None
        if self.jwks_url is not None and (self.token_issuer is None or self.token_audience is None):
            raise ValueError("JWT_JWKS_URL without BETTER_AUTH_URL needs JWT_ISSUER and JWT_AUDIENCE")
        if self.app_env == "development":
            return self
        if secret is None and self.jwks_url is None:
            raise ValueError(
                f"BETTER_AUTH_SECRET must be set (HS256, at least {MIN_SECRET_LENGTH} characters) and/or "
                "BETTER_AUTH_URL or JWT_JWKS_URL (Better Auth's JWKS), or run with APP_ENV=development"
            )
        if secret is not None and len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"BETTER_AUTH_SECRET must be set to at least {MIN_SECRET_LENGTH} characters")
        return self

    @property
    def hs256_secret(self) -> str | None:
        """The HS256 secret, or None when HS256 tokens are not accepted at all."""
        if self.better_auth_secret is not None:
            return self.better_auth_secret.get_secret_value()
        if self.app_env == "development" and self.jwks_url is None:
            return DEVELOPMENT_SECRET
        return None

    @property
    def jwks_url(self) -> str | None:
        """Where the public keys are published, or None when asymmetric tokens are not accepted."""
        if self.jwt_jwks_url is not None:
            return self.jwt_jwks_url
        if self.better_auth_url is None:
            return None
        # Better Auth treats a base URL with a path as the full auth base, else appends its basePath.
        base = self.better_auth_url.rstrip("/")
        has_path = urlsplit(base).path not in ("", "/")
        return f"{base}/jwks" if has_path else f"{base}{BETTER_AUTH_BASE_PATH}/jwks"

    @property
    def token_issuer(self) -> str | None:
        return self.jwt_issuer or self._better_auth_origin

    @property
    def token_audience(self) -> str | None:
        return self.jwt_audience or self._better_auth_origin

    @property
    def _better_auth_origin(self) -> str | None:
        # Better Auth signs `iss` and `aud` with its base URL's origin, as WHATWG `URL.origin` spells it.
        if self.better_auth_url is None:
            return None
        parts = urlsplit(self.better_auth_url)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        default_port = 443 if scheme == "https" else 80
        return (
            f"{scheme}://{host}" if parts.port in (None, default_port) else f"{scheme}://{host}:{parts.port}"
        )

    @cached_property
    def database(self) -> DatabaseUrl:
        return parse_database_url(self.database_url)

    @property
    def statement_cache_size(self) -> int:
        if self.db_statement_cache_size is not None:
            return self.db_statement_cache_size
        return 0 if self.database.behind_pooler else DEFAULT_STATEMENT_CACHE_SIZE
