"""Helpers shared by the tests: real tokens, real migrations, real databases."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import jwt
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = secrets.token_urlsafe(48)
TEST_CURSOR_SECRET = "test-cursor-secret-" + "c" * 32
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def sign_token(
    sub: str | None,
    *,
    secret: str = TEST_SECRET,
    algorithm: str = "HS256",
    expires_in: timedelta = timedelta(minutes=15),
    extra: Mapping[str, Any] | None = None,
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"iat": now, "exp": now + expires_in, **(extra or {})}
    if sub is not None:
        claims["sub"] = sub
    return jwt.encode(claims, secret, algorithm=algorithm)


def auth(user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sign_token(user_id)}"}


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


async def migrate(database_url: str, revision: str = "head") -> None:
    # env.py runs its own event loop, so it must run outside the test's loop.
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), revision)


def postgres_admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_postgres_database(admin_url: str, prefix: str = "todo_test") -> str:
    """A fresh database beside `admin_url`'s, so concurrent test runs never share tables."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    connection = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(admin_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    connection = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def postgres_unreachable_reason(admin_url: str) -> str | None:
    try:
        connection = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        where = make_url(admin_url).render_as_string()
        return f"PostgreSQL not reachable at {where} ({type(exc).__name__}); set TEST_DATABASE_URL"
    await connection.close()
    return None
