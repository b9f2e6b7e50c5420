"""The generated runtime validates bodies against the contract's schemas with references resolved
once at start-up: the same verdicts and errors as resolving them on every request."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from generated import runtime

BODIES: list[tuple[str, Any]] = [
    (
        "TaskCreate",
        {"title": "Buy milk", "priority": "high", "tags": ["home"], "due_at": "2026-12-01T17:00:00+01:00"},
    ),
    ("TaskCreate", {"title": " ", "priority": "urgent", "tags": ["a", "a"], "due_at": "2026-12-01", "x": 1}),
    ("TaskCreate", {"description": None, "tags": [" padded "] + [f"t{i}" for i in range(20)]}),
    ("TaskReplace", {"title": "t", "completed": 1, "due_at": None}),
    ("TaskPatch", {"title": None, "due_at": "2026-13-01T00:00:00Z", "priority": None}),
    ("TaskPatch", {}),
    ("CompletionUpdate", {"completed": "yes"}),
    ("CompletionUpdate", []),
]


def _errors(validator: Draft202012Validator, body: Any) -> list[tuple[str, str, Any]]:
    return sorted(
        (runtime._pointer(e.path), str(e.validator), e.validator_value) for e in validator.iter_errors(body)
    )


@pytest.mark.parametrize(("schema", "body"), BODIES)
def test_resolved_schemas_judge_bodies_as_the_contract_does(schema: str, body: Any) -> None:
    by_reference = Draft202012Validator(
        {"$ref": runtime.SCHEMA_REF + schema, "components": runtime.CONTRACT["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    assert _errors(runtime._VALIDATORS[schema], body) == _errors(by_reference, body)


def test_a_recursive_schema_is_left_to_reference_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    schemas = {"Node": {"type": "object", "properties": {"next": {"$ref": runtime.SCHEMA_REF + "Node"}}}}
    monkeypatch.setitem(runtime.CONTRACT, "components", {"schemas": schemas})

    validator = runtime._validator("Node")

    assert validator.is_valid({"next": {"next": {}}})
    assert not validator.is_valid({"next": {"next": 1}})
