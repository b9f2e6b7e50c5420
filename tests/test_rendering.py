"""The fast path renders a stored row exactly as the generated Task model would, and as the contract says.

impl/tasks/mapping.py's render_task / render_tasks turn rows straight into JSON with orjson, skipping
`models.Task` (validation) and its TypeAdapter (serialisation). For any row the table can hold, the
two renderings must be the same JSON, and both must satisfy the contract's Task schema.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import TypeAdapter

from generated import models
from impl.contract import CONTRACT
from impl.tables import PRIORITY_BY_RANK
from impl.tasks.mapping import render_task, render_tasks, to_task
from impl.tasks.repository import ROW_COLUMNS

TASK_JSON = TypeAdapter(models.Task)
TASKS_JSON = TypeAdapter(list[models.Task])
TASK_SCHEMA = CONTRACT.inlined(CONTRACT.schema("Task"))
VALIDATOR = Draft202012Validator(TASK_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)

# What PostgreSQL's timestamptz and asyncpg hand back (aware UTC, microseconds), SQLite's column too
# (impl/tables.py UTCDateTime): from the first to the last representable instant.
instants = st.datetimes(
    min_value=datetime(1, 1, 1) + timedelta(days=1),
    max_value=datetime(9999, 12, 31) - timedelta(days=1),
    timezones=st.just(UTC),
)
# Any text PostgreSQL stores (no NUL), including characters JSON must escape and astral ones.
texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
COLUMN_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": st.integers(1, 2**63 - 1),
    "user_id": st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
        min_size=1,
        max_size=255,
    ),
    "title": texts,
    "description": st.none() | texts,
    "completed": st.booleans(),
    "completed_at": st.none() | instants,
    "due_at": st.none() | instants,
    "priority": st.sampled_from(sorted(PRIORITY_BY_RANK)),
    "tags": st.lists(texts, max_size=20),
    "created_at": instants,
    "updated_at": instants,
    "version": st.integers(1, 2**31 - 1),
    "change_seq": st.integers(0, 2**63 - 1),
}
rows = st.tuples(*(COLUMN_VALUES[name] for name in ROW_COLUMNS))


def test_every_column_of_a_row_is_generated() -> None:
    assert set(COLUMN_VALUES) == set(ROW_COLUMNS)


@settings(max_examples=400, deadline=None)
@given(rows)
def test_a_row_renders_as_the_task_model_renders_it(row: tuple[Any, ...]) -> None:
    fast = orjson.loads(render_task(row))
    assert fast == orjson.loads(TASK_JSON.dump_json(to_task(row)))
    VALIDATOR.validate(fast)


@settings(max_examples=100, deadline=None)
@given(st.lists(rows, max_size=5))
def test_a_page_renders_as_the_task_models_render_it(page: list[tuple[Any, ...]]) -> None:
    fast = orjson.loads(render_tasks(page))
    assert fast == orjson.loads(TASKS_JSON.dump_json([to_task(row) for row in page]))
    for task in fast:
        VALIDATOR.validate(task)


def test_date_times_are_utc_with_z_and_microseconds_only_when_there_are_some() -> None:
    whole, fraction = (
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 500, tzinfo=UTC),
    )
    row = dict.fromkeys(ROW_COLUMNS) | {
        "id": 1,
        "user_id": "u",
        "title": "t",
        "completed": False,
        "priority": 2,
        "tags": [],
        "created_at": whole,
        "updated_at": fraction,
        "version": 1,
        "change_seq": 1,
    }
    rendered = orjson.loads(render_task(tuple(row[name] for name in ROW_COLUMNS)))
    assert (rendered["created_at"], rendered["updated_at"]) == (
        "2026-01-02T03:04:05Z",
        "2026-01-02T03:04:05.000500Z",
    )
    assert rendered["priority"] == "medium"
