"""Create the tasks table and the indexes of the hot queries (user + sort key + id).

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from impl.tables import Tags, TaskId, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SORT_INDEXES = {
    "ix_tasks_user_created": ["user_id", "created_at", "id"],
    "ix_tasks_user_updated": ["user_id", "updated_at", "id"],
    "ix_tasks_user_title": ["user_id", "title", "id"],
    "ix_tasks_user_due": ["user_id", "due_at", "id"],
    "ix_tasks_user_priority": ["user_id", "priority", "id"],
    "ix_tasks_user_completed": ["user_id", "completed", "created_at", "id"],
}


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", TaskId, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("tags", Tags, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    for name, columns in SORT_INDEXES.items():
        op.create_index(name, "tasks", columns)


def downgrade() -> None:
    for name in SORT_INDEXES:
        op.drop_index(name, table_name="tasks")
    op.drop_table("tasks")
