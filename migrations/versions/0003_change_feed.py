"""The change feed: each task's change sequence number, the per-user sequences, and tombstones.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from impl.tables import TaskId, UTCDateTime

revision = "0003"
# The lead re-chains this after 0002 (conditional requests) when both are merged.
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing tasks start at sequence 0: a full sync (position 0, id 0) still returns every one.
    op.add_column("tasks", sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index("ix_tasks_user_change", "tasks", ["user_id", "change_seq", "id"])
    op.create_table(
        "change_sequences",
        sa.Column("user_id", sa.String(255), primary_key=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("purged_seq", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "task_tombstones",
        sa.Column("user_id", sa.String(255), primary_key=True),
        sa.Column("task_id", TaskId, primary_key=True, autoincrement=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_tombstones_user_change", "task_tombstones", ["user_id", "change_seq", "task_id"])
    op.create_index("ix_tombstones_deleted_at", "task_tombstones", ["deleted_at"])


def downgrade() -> None:
    op.drop_index("ix_tombstones_deleted_at", table_name="task_tombstones")
    op.drop_index("ix_tombstones_user_change", table_name="task_tombstones")
    op.drop_table("task_tombstones")
    op.drop_table("change_sequences")
    op.drop_index("ix_tasks_user_change", table_name="tasks")
    op.drop_column("tasks", "change_seq")
