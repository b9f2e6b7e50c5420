"""The kit judges request bodies as the contract's JSON Schema does, in work linear in their size."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from pydantic_core import SchemaError

from impl.contract import CONTRACT
from kit.contract import SCHEMA_REF
from kit.problems import FieldError
from kit.validation import MAX_DEPTH, MAX_FIELD_ERRORS, body_validator, field_errors, linear_pattern, too_deep
from tests.support import TASKS

BODIES: list[tuple[str, Any]] = [
    (
        "TaskCreate",
        {"title": "Buy milk", "priority": "high", "tags": ["home"], "due_at": "2026-12-01T17:00:00+01:00"},
    ),
    ("TaskCreate", {"title": " ", "priority": "urgent", "tags": ["a", "a"], "due_at": "2026-12-01", "x": 1}),
    ("TaskCreate", {"description": None, "tags": [" padded "] + [f"t{i}" for i in range(20)]}),
    ("TaskCreate", {"title": "x", "tags": [1, 1.0]}),
    ("TaskCreate", {"title": "x", "tags": [True, 1]}),
    ("TaskCreate", {"title": "x", "tags": [{"a": [1]}, {"a": [1.0]}]}),
    ("TaskCreate", {"title": "x", "tags": [[1, "a"], [1, "b"]]}),
    ("TaskReplace", {"title": "t", "completed": 1, "due_at": None}),
    ("TaskPatch", {"title": None, "due_at": "2026-13-01T00:00:00Z", "priority": None}),
    ("TaskPatch", {}),
    ("CompletionUpdate", {"completed": "yes"}),
    ("CompletionUpdate", []),
]
TITLE_MESSAGE = CONTRACT.schema("Title")["x-messages"]["pattern"]
TAG_MESSAGE = CONTRACT.schema("Tag")["x-messages"]["pattern"]


def _verdicts(validator: Any, body: Any) -> list[tuple[str, str]]:
    return sorted((str(list(e.path)), str(e.validator)) for e in validator.iter_errors(body))


@pytest.mark.parametrize(("schema", "body"), BODIES)
def test_bodies_are_judged_as_by_reference_json_schema(schema: str, body: Any) -> None:
    # The same verdict and only errors the reference raises too; within the limits, the very same errors.
    reference = Draft202012Validator(
        {"$ref": SCHEMA_REF + schema, "components": CONTRACT.document["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    ours, theirs = _verdicts(body_validator(CONTRACT, schema), body), _verdicts(reference, body)
    assert bool(ours) == bool(theirs)
    assert set(ours) <= set(theirs)
    if ("[]", "maxItems") not in theirs and ("['tags']", "maxItems") not in theirs:
        assert ours == theirs


def test_items_of_an_array_already_over_its_item_limit_are_not_judged() -> None:
    # 8,000 mixed items once cost 34 s of pairwise comparisons; maxItems alone decides now, so
    # neither distinctness nor each item's type and pattern are computed.
    tags: list[Any] = ["a", *range(8_000), "a"]
    raised = {
        str(e.validator)
        for e in body_validator(CONTRACT, "TaskCreate").iter_errors({"title": "x", "tags": tags})
    }
    assert raised == {"maxItems"}


def test_at_most_a_form_full_of_field_errors_is_reported() -> None:
    body = {"title": 1, **{f"extra{i}": i for i in range(5_000)}}
    errors = field_errors(body_validator(CONTRACT, "TaskCreate"), body)
    assert len(errors) == MAX_FIELD_ERRORS


def test_every_contract_pattern_runs_on_an_engine_that_cannot_backtrack() -> None:
    with pytest.raises(SchemaError):
        linear_pattern(r"^(a+)+\1$")  # a backreference needs backtracking: the engine refuses it
    patterns = list(_patterns(CONTRACT.document))
    assert len(patterns) >= 5, "the contract's patterns were not found"
    for pattern in patterns:
        linear_pattern(pattern)


def _patterns(node: Any) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


def test_nesting_depth_is_measured_without_recursion() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert too_deep(deep)
    assert not too_deep({"a": [[{"b": 1}]]})
    shallow: Any = 1
    for _ in range(MAX_DEPTH):
        shallow = [shallow]
    assert not too_deep(shallow)
    assert too_deep([shallow])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"title": ""}, [FieldError("/title", "must have at least 1 character")]),
        ({"title": "x" * 201}, [FieldError("/title", "must have at most 200 characters")]),
        (
            {"title": " "},
            [FieldError("/title", TITLE_MESSAGE)],
        ),
        (
            {"title": "x", "tags": ["a "]},
            [FieldError("/tags/0", TAG_MESSAGE)],
        ),
        ({"title": "x", "tags": ["a", "a"]}, [FieldError("/tags", "must not repeat an item")]),
        ({}, [FieldError("/title", "is required")]),
        (
            {"title": "x", "done": 1, "id": 2},
            [FieldError("/done", "is not a known property"), FieldError("/id", "is not a known property")],
        ),
        ({"title": 5}, [FieldError("/title", "must be a string")]),
        (
            {"title": "x", "due_at": "0001-01-01T00:00:00Z"},
            [FieldError("/due_at", "must not fall on 0001-01-01 or 9999-12-31")],
        ),
    ],
)
def test_each_field_gets_one_plain_english_error(body: dict[str, Any], errors: list[FieldError]) -> None:
    assert field_errors(body_validator(CONTRACT, "TaskCreate"), body) == errors


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 1_023])
async def test_deeply_nested_json_is_a_400_not_a_500(user_a: httpx.AsyncClient, depth: int) -> None:
    raw = b'{"title": "x", "tags": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    response = await user_a.post(TASKS, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "deep" in response.json()["detail"]


async def test_a_huge_mixed_tag_list_is_refused_by_its_length(user_a: httpx.AsyncClient) -> None:
    response = await user_a.post(TASKS, json={"title": "x", "tags": ["a", *range(1, 8_000)]})
    assert response.status_code == 400
    assert {"pointer": "/tags", "detail": "must have at most 20 items"} in response.json()["errors"]
