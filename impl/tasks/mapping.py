"""The single place where the table row and the contract's models meet."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from generated import models
from impl.contract import CONTRACT
from impl.tables import PRIORITY_BY_RANK, PRIORITY_RANK
from impl.tasks.repository import ROW_COLUMNS, TaskRecord
from kit.problems import FieldError, InvalidRequest
from kit.validation import linear_pattern

SURROGATES = range(0xD800, 0xE000)


def _blank_characters(title_pattern: str) -> str:
    """The characters the contract's Title pattern treats as blank: those that cannot be a title alone.

    Read off the pattern itself, so trimming removes exactly what the contract calls white space.
    (Every character the pattern names is in the Basic Multilingual Plane; NUL is refused, not trimmed.)
    """
    matches = linear_pattern(title_pattern).isinstance_python
    return "".join(
        chr(code) for code in range(1, 0x10000) if code not in SURROGATES and not matches(chr(code))
    )


CONTRACT_WHITESPACE = _blank_characters(CONTRACT.schema("Title")["pattern"])


# The row's columns that are Task fields, by position; bookkeeping columns (change_seq) are not.
TASK_FIELDS = tuple(
    (position, name) for position, name in enumerate(ROW_COLUMNS) if name in models.Task.model_fields
)


# The contract's priority names by rank, as the Task model renders its Priority enum.
PRIORITY_NAME_BY_RANK = {rank: priority.value for rank, priority in PRIORITY_BY_RANK.items()}


def task_json(row: TaskRecord) -> dict[str, Any]:
    """A row as the contract's Task JSON object, without building the model: the row's values are
    what the database constraints and the write path already made valid (tests/test_rendering.py)."""
    values = {name: row[position] for position, name in TASK_FIELDS}
    values["priority"] = PRIORITY_NAME_BY_RANK[values["priority"]]
    return values


def _dumps(content: Any) -> bytes:
    # orjson writes an aware UTC date-time with `+00:00`; OPT_UTC_Z spells it `Z`, as pydantic does.
    return orjson.dumps(content, option=orjson.OPT_UTC_Z)


def render_task(row: TaskRecord) -> bytes:
    """What `TypeAdapter(models.Task).dump_json(to_task(row))` renders, at a fraction of the CPU."""
    return _dumps(task_json(row))


def render_tasks(rows: Iterable[TaskRecord]) -> bytes:
    return _dumps([task_json(row) for row in rows])


def to_task(row: TaskRecord) -> models.Task:
    values = {name: row[position] for position, name in TASK_FIELDS}
    values["priority"] = PRIORITY_BY_RANK[values["priority"]]
    return models.Task(**values)


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
