"""The service's configuration: one validated object built at start-up from the environment."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from impl.db_url import DatabaseUrl, parse_database_url

MIN_SECRET_LENGTH = 32
# Only ever used with APP_ENV=development, which production refuses to run without a real secret.
DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"
DEFAULT_STATEMENT_CACHE_SIZE = 100


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    app_env: Literal["development", "production"] = "production"
    database_url: str = "sqlite+aiosqlite:///./todo.db"
    better_auth_secret: SecretStr | None = None
    jwt_leeway_seconds: Annotated[int, Field(ge=0, le=300)] = 30
    cors_origins: Annotated[list[str], NoDecode] = []

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

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _require_real_secret_outside_development(self) -> Settings:
        if self.app_env == "development":
            return self
        secret = self.better_auth_secret.get_secret_value() if self.better_auth_secret else ""
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"BETTER_AUTH_SECRET must be set to at least {MIN_SECRET_LENGTH} characters "
                "(or run with APP_ENV=development)"
            )
        return self

    @property
    def jwt_secret(self) -> str:
        if self.better_auth_secret is not None:
            return self.better_auth_secret.get_secret_value()
        return DEVELOPMENT_SECRET

    @cached_property
    def database(self) -> DatabaseUrl:
        return parse_database_url(self.database_url)

    @property
    def statement_cache_size(self) -> int:
        if self.db_statement_cache_size is not None:
            return self.db_statement_cache_size
        return 0 if self.database.behind_pooler else DEFAULT_STATEMENT_CACHE_SIZE
