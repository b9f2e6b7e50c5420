"""The service's configuration: one validated object built at start-up from the environment."""

from __future__ import annotations

import hmac
import ipaddress
import math
import re
import secrets
from collections import Counter
from functools import cached_property
from typing import Annotated, Literal
from urllib.parse import SplitResult, urlsplit

from limits import parse
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from impl.db_url import DatabaseUrl, parse_database_url

MIN_SECRET_LENGTH = 32
# What `openssl rand -base64 32` gives (256 bits); the estimate below credits it with about 200.
MIN_SECRET_ENTROPY_BITS = 128
GENERATE_A_SECRET = "generate one with `openssl rand -base64 32`"
# Only ever used with APP_ENV=development, which production refuses to run without a real secret.
DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"
# Words that mark a value someone typed or copied from an example, not one a generator produced.
# Six letters or more, so that a random base64 secret contains one by chance about once in 10^7.
PLACEHOLDER_WORDS = (
    "changeme",
    "replaceme",
    "secret",
    "password",
    "example",
    "placeholder",
    "development",
    "insecure",
)
LOOPBACK_HOSTNAMES = frozenset({"localhost"})
DEFAULT_STATEMENT_CACHE_SIZE = 100
# Derivation label of the cursor key: a key derived from BETTER_AUTH_SECRET is not the secret itself.
CURSOR_KEY_LABEL = b"todo-api/list-cursor/v1"
RATE_LIMIT_STORAGE_SCHEMES = frozenset({"memory", "redis", "rediss"})

# The signing algorithms Better Auth's jwt plugin offers, plus their siblings of the same key types.
AsymmetricAlgorithm = Literal[
    "EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"
]
DEFAULT_JWT_ALGORITHMS: list[AsymmetricAlgorithm] = ["EdDSA", "ES256", "ES512", "RS256", "PS256"]
# Better Auth's default basePath, used when BETTER_AUTH_URL carries no path of its own.
BETTER_AUTH_BASE_PATH = "/api/auth"


def web_origin(value: str) -> str:
    """An allowed CORS origin, spelled as browsers send the `Origin` header: `scheme://host[:port]`.

    Starlette compares origins as exact strings, so `http://127.0.0.1:8101/` would never match the
    browser's `http://127.0.0.1:8101`: a trailing slash, upper case and a default port are normalised
    away, and anything that cannot be an origin is refused at start-up rather than answered with 400s.
    """
    if value == "*":  # Starlette's "any origin"
        return value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"CORS_ORIGINS entry {value!r} is not an origin: {exc}") from exc
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    problem = _why_not_an_origin(value, parts)
    if problem is not None:
        raise ValueError(
            f"CORS_ORIGINS entry {value!r} is not an origin ({problem}); "
            "write it as the browser sends it, e.g. https://app.example.com or http://localhost:3000"
        )
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" if port in (None, default_port) else f"{scheme}://{host}:{port}"


def _why_not_an_origin(value: str, parts: SplitResult) -> str | None:
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "it does not start with http:// or https:// and a host"
    if parts.path not in ("", "/"):
        return "it has a path"
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        return "it has a query or fragment"
    if parts.username is not None or parts.password is not None:
        return "it has user information"
    return None


def secret_entropy_bits(secret: str) -> float:
    """A pessimistic estimate of a secret's randomness, in bits.

    The Shannon entropy of the secret's own character frequencies, times its length, counted over
    its shortest repeating unit only (`abab…` is worth `ab`). Generated secrets score close to their
    true strength; repeated characters, short alphabets and repeated phrases score low.
    """
    unit = secret[: _period(secret)]
    counts = Counter(unit).values()
    return -sum(n * math.log2(n / len(unit)) for n in counts)


def _period(text: str) -> int:
    # The prefix function (Knuth-Morris-Pratt) in O(n): text is a repetition of its first p characters.
    border = [0] * len(text)
    for i in range(1, len(text)):
        k = border[i - 1]
        while k and text[i] != text[k]:
            k = border[k - 1]
        border[i] = k + (text[i] == text[k])
    period = len(text) - (border[-1] if text else 0)
    return period if period and len(text) % period == 0 else len(text)


def secret_weakness(secret: str) -> str | None:
    """Why production must not sign with `secret`, or None. The message never quotes the secret."""
    if len(secret) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    letters = re.sub(r"[^a-z]", "", secret.lower())
    if secret == DEVELOPMENT_SECRET or any(word in letters for word in PLACEHOLDER_WORDS):
        return "is a placeholder, not a secret"
    if secret_entropy_bits(secret) < MIN_SECRET_ENTROPY_BITS:
        return f"is too predictable (estimated under {MIN_SECRET_ENTROPY_BITS} bits of randomness)"
    return None


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in LOOPBACK_HOSTNAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_endpoint(value: str) -> tuple[str, int] | None:
    """METRICS_ADDRESS as (host, port), `host:port` or `[v6]:port`; None when empty (metrics off)."""
    value = value.strip()
    if not value:
        return None
    host, separator, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("METRICS_ADDRESS must be host:port (e.g. 127.0.0.1:9464), or empty for no metrics")
    return host, int(port)


class ObservabilitySettings(BaseSettings):
    """What the server process itself needs (log format, metrics address) before any worker starts,
    readable without the token settings that only the application checks."""

    # Start-up errors are printed and logged: they must name the setting, never repeat its value.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, hide_input_in_errors=True)

    app_env: Literal["development", "production"] = "production"
    # json: one JSON object per line; console: aligned, readable text. None: console in development.
    log_format: Literal["json", "console"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Keys the hash that stands for a user id in logs; unset: derived from BETTER_AUTH_SECRET.
    log_user_hash_key: SecretStr | None = None
    # Where the server process serves /metrics; empty: no metrics endpoint. Never the API's port.
    metrics_address: str = "127.0.0.1:9464"

    @field_validator("log_format", "log_user_hash_key", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("metrics_address")
    @classmethod
    def _metrics_address(cls, value: str) -> str:
        metrics_endpoint(value)
        return value.strip()

    @property
    def rendered_log_format(self) -> Literal["json", "console"]:
        if self.log_format is not None:
            return self.log_format
        return "console" if self.app_env == "development" else "json"

    @property
    def metrics(self) -> tuple[str, int] | None:
        return metrics_endpoint(self.metrics_address)


class ServerLimits(ObservabilitySettings):
    """What the server process bounds on the socket, before the app sees a request (impl/serve.py).

    Apart from Settings because the server reads them in processes that never build the app.
    """

    # A request's header block, in bytes; larger is 431. nginx's default buffers allow 4 x 8 KiB.
    max_header_bytes: Annotated[int, Field(ge=1024)] = 16 * 1024
    # From a connection's first byte (or its opening) to the end of a request's headers; a client
    # slower than this (slowloris) is closed with 408.
    header_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    # An idle keep-alive connection is closed after this.
    keep_alive_timeout_seconds: Annotated[int, Field(ge=1)] = 5
    # Connections plus requests in progress per worker before new requests get 503.
    limit_concurrency: Annotated[int, Field(ge=1)] = 2048


class Settings(ServerLimits):
    database_url: str = "sqlite+aiosqlite:///./todo.db"
    better_auth_secret: SecretStr | None = None
    jwt_leeway_seconds: Annotated[int, Field(ge=0, le=300)] = 30
    cors_origins: Annotated[list[str], NoDecode] = []

    better_auth_url: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    # Longest accepted token lifetime (`exp` - `iat`, or `exp` - now without `iat`); None: no bound.
    jwt_max_lifetime_seconds: Annotated[int | None, Field(gt=0)] = None
    jwt_algorithms: Annotated[list[AsymmetricAlgorithm], NoDecode, Field(min_length=1)] = (
        DEFAULT_JWT_ALGORITHMS
    )
    jwks_cache_ttl_seconds: Annotated[float, Field(ge=0)] = 300.0
    jwks_min_refresh_interval_seconds: Annotated[float, Field(ge=0)] = 10.0
    jwks_fetch_timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 2.0
    # Production fetches keys over https (or from loopback): over plain http an on-path attacker
    # can publish their own key. This opt-in exists for private networks and is logged at start-up.
    jwks_allow_insecure_http: bool = False

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
    # On SIGTERM, /readyz answers 503 this long while requests are still served, so load balancers stop
    # sending new connections before the server stops accepting them (impl/shutdown.py).
    shutdown_drain_seconds: Annotated[float, Field(ge=0)] = 5.0
    # Prepared statements cached per connection; None: 0 behind a transaction-mode pooler (PgBouncer,
    # Neon's "-pooler" endpoints), where a statement prepared on one server connection is gone on the next.
    db_statement_cache_size: Annotated[int | None, Field(ge=0)] = None
    # How long a SQLite writer waits for SQLite's one write lock before its request gets a 503.
    # SQLite's busy handler polls rather than queues, so under many concurrent writers one can wait
    # several seconds behind the others (seen: 5 s ran out with 8 writers in one process under the
    # test suite's load). At most 600: no client waits longer, and a value meant in milliseconds is refused.
    sqlite_busy_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0

    # Exposure and request limits (README "Hardening"; the header limits are in ServerLimits).
    # A task is a few KB; a Better Auth JWT ~1 KB.
    # None: Swagger UI at /docs in development only. It loads pinned assets from a CDN (impl/docs.py).
    docs_enabled: bool | None = None
    max_body_bytes: Annotated[int, Field(ge=1024)] = 64 * 1024
    # The key that seals list cursors; shared by every worker and instance. Unset: derived from
    # BETTER_AUTH_SECRET, or a random per-process key in development (cursors die with the process).
    cursor_secret: SecretStr | None = None

    # Rate limits (impl/ratelimit.py), in the `limits` notation ("600/minute", "10 per second").
    # memory:// counts per worker process; redis://host:6379 is shared by every worker and instance.
    rate_limit_storage_url: str = "memory://"
    rate_limit_storage_timeout_seconds: Annotated[float, Field(gt=0, le=10)] = 0.5
    rate_limit_per_user: str = "600/minute"
    rate_limit_writes_per_user: str = "120/minute"
    rate_limit_failed_auth_per_address: str = "60/minute"
    # Stored tasks per user: creating one more is a 409 (impl/tasks/repository.py).
    max_tasks_per_user: Annotated[int, Field(ge=1)] = 10_000

    # Keeping clients in sync (impl/sync/). LISTEN needs a session of its own: behind a transaction-mode
    # pooler, point this at the direct (non-pooler) endpoint. Unset: DATABASE_URL.
    database_direct_url: str | None = None
    # Keys the MAC of sync tokens; unset: derived from BETTER_AUTH_SECRET (see sync_token_secret_value).
    sync_token_secret: SecretStr | None = None
    # How long tombstones (and so sync tokens) are kept; an older token gets 410 and a full resync.
    sync_retention_days: Annotated[float, Field(gt=0)] = 30.0
    sync_purge_interval_seconds: Annotated[float, Field(gt=0)] = 3600.0
    # Comment lines on idle event streams, so proxies do not close them.
    sync_heartbeat_seconds: Annotated[float, Field(gt=0)] = 15.0
    # A stream ends after this long; the client reconnects (with a fresh token) and resumes.
    sync_stream_max_seconds: Annotated[float, Field(gt=0)] = 900.0
    # Open event streams: per user (per worker process), and in total per worker process.
    sync_streams_per_user: Annotated[int, Field(ge=1)] = 10
    sync_streams_total: Annotated[int, Field(ge=1)] = 2000
    # The LISTEN connection is pinged this often; a dead one is replaced and streams told to resync.
    sync_listener_ping_seconds: Annotated[float, Field(gt=0)] = 10.0

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

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        return [web_origin(value) for value in values]

    @field_validator("cursor_secret", mode="before")
    @classmethod
    def _cursor_secret_blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator(
        "rate_limit_per_user", "rate_limit_writes_per_user", "rate_limit_failed_auth_per_address"
    )
    @classmethod
    def _rate(cls, value: str, info: ValidationInfo) -> str:
        try:
            amount = parse(value).amount
        except ValueError:
            amount = 0
        if amount < 1:
            name = (info.field_name or "").upper()
            raise ValueError(f'{name} is not a rate of at least 1 such as "600/minute" or "10 per second"')
        return value

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _rate_limit_storage(cls, value: str) -> str:
        # Not quoted: a Redis URL may carry a password.
        scheme = value.strip().removeprefix("async+").partition("://")[0].lower()
        if scheme not in RATE_LIMIT_STORAGE_SCHEMES:
            raise ValueError("RATE_LIMIT_STORAGE_URL must start with memory://, redis:// or rediss://")
        return value.strip()

    @field_validator(
        "better_auth_secret",
        "better_auth_url",
        "jwt_jwks_url",
        "jwt_issuer",
        "jwt_audience",
        "database_direct_url",
        "sync_token_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `BETTER_AUTH_URL=` in a .env file means "not configured", not "the empty URL".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("better_auth_url", "jwt_jwks_url")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        # The value is not quoted: a URL may carry credentials.
        refusal = f"{(info.field_name or '').upper()} is not an http(s) URL without query or fragment"
        parts = urlsplit(value.strip())
        http = parts.scheme.lower() in ("http", "https")
        if not http or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(refusal)
        try:
            _ = parts.port
        except ValueError:
            raise ValueError(refusal) from None
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
                f"BETTER_AUTH_SECRET must be set (HS256, at least {MIN_SECRET_LENGTH} random characters: "
                f"{GENERATE_A_SECRET}) and/or BETTER_AUTH_URL or JWT_JWKS_URL (Better Auth's JWKS), "
                "or run with APP_ENV=development"
            )
        weakness = secret_weakness(secret) if secret is not None else None
        if weakness is not None:
            raise ValueError(f"BETTER_AUTH_SECRET {weakness}; {GENERATE_A_SECRET}")
        if self.jwks_url is not None and self.jwks_fetched_insecurely and not self.jwks_allow_insecure_http:
            raise ValueError(
                "the JWKS URL must use https in production (plain http is allowed for loopback hosts, "
                "or with JWKS_ALLOW_INSECURE_HTTP=true on a network no one else can reach)"
            )
        return self

    @model_validator(mode="after")
    def _require_a_shared_cursor_key(self) -> Settings:
        cursor_secret = self.cursor_secret.get_secret_value() if self.cursor_secret else None
        if cursor_secret is not None and len(cursor_secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"CURSOR_SECRET must have at least {MIN_SECRET_LENGTH} characters")
        if cursor_secret is None and self.better_auth_secret is None and self.app_env == "production":
            # A per-process key would make page 2 a 404 whenever another worker serves it.
            raise ValueError(
                "CURSOR_SECRET must be set when BETTER_AUTH_SECRET is not (e.g. `openssl rand -base64 32`)"
            )
        return self

    @property
    def jwks_fetched_insecurely(self) -> bool:
        """Whether the keys travel over plain http to a host other than this machine."""
        url = self.jwks_url
        return url is not None and urlsplit(url).scheme.lower() == "http" and not is_loopback(url)

    @property
    def hs256_secret(self) -> str | None:
        """The HS256 secret, or None when HS256 tokens are not accepted at all."""
        if self.better_auth_secret is not None:
            return self.better_auth_secret.get_secret_value()
        if self.app_env == "development" and self.jwks_url is None:
            return DEVELOPMENT_SECRET
        return None

    @property
    def docs_served(self) -> bool:
        return self.docs_enabled if self.docs_enabled is not None else self.app_env == "development"

    @cached_property
    def cursor_key(self) -> bytes:
        """32 bytes for the cursor cipher; derived, so the cursor key reveals nothing of its source."""
        source = self.cursor_secret or self.better_auth_secret
        if source is None:
            return secrets.token_bytes(32)  # development only, see _require_a_shared_cursor_key
        return hmac.digest(source.get_secret_value().encode(), CURSOR_KEY_LABEL, "sha256")

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

    @cached_property
    def direct_database(self) -> DatabaseUrl:
        """Where the change listener connects: a session connection, never a transaction pooler."""
        return parse_database_url(self.database_direct_url or self.database_url)

    @property
    def sync_token_secret_value(self) -> str:
        """The secret sync tokens are keyed with: SYNC_TOKEN_SECRET, else BETTER_AUTH_SECRET (or the
        development secret). With neither (JWKS-only), a fixed value: tokens then stay bound to their
        user but are forgeable by that user, which exposes nothing, since every read is scoped to the
        caller; set SYNC_TOKEN_SECRET to keep them unforgeable."""
        if self.sync_token_secret is not None:
            return self.sync_token_secret.get_secret_value()
        return self.hs256_secret or "todo-api sync tokens without a configured secret"

    @property
    def statement_cache_size(self) -> int:
        if self.db_statement_cache_size is not None:
            return self.db_statement_cache_size
        return 0 if self.database.behind_pooler else DEFAULT_STATEMENT_CACHE_SIZE
