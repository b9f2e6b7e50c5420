"""The one hand-written data shape: the `tasks` table, the one place its columns and their order are
written. Its limits come from the contract; it is mapped to the contract's models in impl/tasks/mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from generated import models
from impl.contract import MAX_IDEMPOTENCY_KEY_LENGTH, MAX_TITLE_LENGTH, MAX_USER_ID_LENGTH

# Priorities are stored as ranks, so they sort low < medium < high: the contract's enum order.
PRIORITY_RANK = {priority: rank for rank, priority in enumerate(models.Priority, start=1)}
PRIORITY_BY_RANK = {rank: priority for priority, rank in PRIORITY_RANK.items()}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones, so it stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        # asyncpg already returns timestamptz as aware UTC datetimes: no per-value call for PostgreSQL.
        if dialect.name == "postgresql":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
TaskId = BigInteger().with_variant(Integer(), "sqlite")
Tags = JSON().with_variant(JSONB(), "postgresql")


class TaskRow(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_user_created", "user_id", "created_at", "id"),
        Index("ix_tasks_user_updated", "user_id", "updated_at", "id"),
        Index("ix_tasks_user_title", "user_id", "title", "id"),
        Index("ix_tasks_user_due", "user_id", "due_at", "id"),
        Index("ix_tasks_user_priority", "user_id", "priority", "id"),
        Index("ix_tasks_user_completed", "user_id", "completed", "created_at", "id"),
        Index("ix_tasks_user_change", "user_id", "change_seq", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(TaskId, primary_key=True, autoincrement=True))
    user_id: str = Field(sa_column=Column(String(MAX_USER_ID_LENGTH), nullable=False))
    title: str = Field(sa_column=Column(String(MAX_TITLE_LENGTH), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    completed: bool = False
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    priority: int = Field(sa_column=Column(SmallInteger, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(Tags, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # 1 on insert, +1 by every statement that modifies the row: the ETag is made of it.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    # The owner's change sequence number of the task's last change (impl/sync/sequence.py); not a
    # field of the contract's Task.
    change_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        values: dict[str, Any] = {"id": self.id, "user_id": self.user_id}
        return f"TaskRow({values})"


class IdempotencyKeyRow(SQLModel, table=True):
    """One user's Idempotency-Key and the response it produced (impl/idempotency.py).

    Inserted in the same transaction as the write it guards, so a key never exists without its
    write's outcome, nor a write without its key; `status` is NULL only inside that transaction.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)

    user_id: str = Field(sa_column=Column(String(MAX_USER_ID_LENGTH), primary_key=True))
    key: str = Field(sa_column=Column(String(MAX_IDEMPOTENCY_KEY_LENGTH), primary_key=True))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    status: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    headers: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ChangeSequenceRow(SQLModel, table=True):
    """Per user: the last change sequence number taken, and up to which tombstones were purged.

    Every write of a user's tasks advances `last_seq` in the same statement (or transaction), so the
    row lock orders one user's writes: they commit in the order of their sequence numbers.
    """

    __tablename__ = "change_sequences"

    user_id: str = Field(sa_column=Column(String(MAX_USER_ID_LENGTH), primary_key=True))
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    purged_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class TombstoneRow(SQLModel, table=True):
    """A deleted task, kept for the sync retention so clients holding a token learn of the deletion."""

    __tablename__ = "task_tombstones"
    __table_args__ = (
        Index("ix_tombstones_user_change", "user_id", "change_seq", "task_id"),
        Index("ix_tombstones_deleted_at", "deleted_at"),
    )

    user_id: str = Field(sa_column=Column(String(MAX_USER_ID_LENGTH), primary_key=True))
    task_id: int = Field(sa_column=Column(TaskId, primary_key=True, autoincrement=False))
    deleted_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    change_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
