"""Alembic environment: runs migrations on the application's own async engine settings."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import impl.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from impl.db_url import parse_database_url
from impl.settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name)


def _database_url() -> str:
    # Tests pass their database explicitly; everyone else uses DATABASE_URL via the settings.
    url = config.attributes.get("database_url")
    return url if isinstance(url, str) else Settings().database_url


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run() -> None:
    database = parse_database_url(_database_url())
    engine = create_async_engine(database.url, connect_args=database.connect_args)
    async with engine.connect() as connection:
        await connection.run_sync(_migrate)
    await engine.dispose()


asyncio.run(_run())
