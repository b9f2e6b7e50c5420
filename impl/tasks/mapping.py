"""The single place where the table row and the contract's models meet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from generated import models
from generated.runtime import FieldError, InvalidRequest
from impl.tasks.repository import TaskRecord

PRIORITY_RANK = {models.Priority.low: 1, models.Priority.medium: 2, models.Priority.high: 3}
PRIORITY_BY_RANK = {rank: priority for priority, rank in PRIORITY_RANK.items()}
# Exactly the white space the contract's Title pattern treats as blank.
CONTRACT_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    chr(code) for code in range(0x2000, 0x200B)
)


def to_task(row: TaskRecord) -> models.Task:
    # By position, in ROW_COLUMNS order: a page of 50 rows read by attribute name costs as much
    # CPU as validating the 50 models.
    id_, user_id, title, description, completed, completed_at, due_at, priority, tags, created, updated = row
    return models.Task(
        id=id_,
        user_id=user_id,
        title=title,
        description=description,
        completed=completed,
        completed_at=completed_at,
        due_at=due_at,
        priority=PRIORITY_BY_RANK[priority],
        tags=tags,
        created_at=created,
        updated_at=updated,
    )


def _utc(value: datetime | None, pointer: str) -> datetime | None:
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidRequest(
            "The request body does not match the contract.",
            [FieldError(pointer, "date-time is out of range once converted to UTC")],
        ) from None


def editable_values(body: models.TaskCreate | models.TaskReplace | models.TaskPatch) -> dict[str, Any]:
    """Column values for the body's editable fields; a PATCH yields only the fields it carries."""
    values = body.model_dump(exclude_unset=isinstance(body, models.TaskPatch))
    if values.get("title") is not None:
        values["title"] = values["title"].strip(CONTRACT_WHITESPACE)
    if "due_at" in values:
        values["due_at"] = _utc(values["due_at"], "/due_at")
    if "priority" in values:
        values["priority"] = PRIORITY_RANK[values["priority"]]
    return values
