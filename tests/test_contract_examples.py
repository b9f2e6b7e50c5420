"""The contract's examples are real payloads: every schema has one, and each is valid where it stands."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.support import ROOT

CONTRACT: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "tasks.yaml").read_text())
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = CONTRACT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _validate(schema: dict[str, Any], instance: object) -> list[str]:
    # The schema is checked inside the whole contract so its `$ref`s resolve; formats are asserted.
    document = {"$ref": "#/$defs/schema", "$defs": {"schema": schema}, "components": CONTRACT["components"]}
    validator = Draft202012Validator(document, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(instance)]


def _schema_examples(schema: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any], object]]:
    """Every `example`/`examples` in `schema` and its subschemas, with the subschema it belongs to."""
    if "example" in schema:
        yield where, schema, schema["example"]
    for index, example in enumerate(schema.get("examples", [])):
        yield f"{where}/examples/{index}", schema, example
    for name, subschema in schema.get("properties", {}).items():
        yield from _schema_examples(subschema, f"{where}/properties/{name}")
    if isinstance(schema.get("items"), dict):
        yield from _schema_examples(schema["items"], f"{where}/items")


def _operations() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for path, item in CONTRACT["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item, item[method]


def _parameters() -> Iterator[tuple[str, dict[str, Any]]]:
    seen = set()
    for label, item, operation in _operations():
        for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
            parameter = _resolve(raw)
            if (parameter["in"], parameter["name"]) not in seen:
                seen.add((parameter["in"], parameter["name"]))
                yield f"{label} {parameter['in']} {parameter['name']}", parameter


def _media_types() -> Iterator[tuple[str, dict[str, Any]]]:
    for label, _, operation in _operations():
        if "requestBody" in operation:
            for media_type, content in _resolve(operation["requestBody"])["content"].items():
                yield f"{label} request {media_type}", content
        for status, response in operation["responses"].items():
            for media_type, content in _resolve(response).get("content", {}).items():
                yield f"{label} {status} {media_type}", content


def _media_examples(content: dict[str, Any]) -> list[object]:
    examples = [_resolve(example)["value"] for example in content.get("examples", {}).values()]
    return [content["example"], *examples] if "example" in content else examples


SCHEMA_EXAMPLES = [
    pytest.param(schema, example, id=where)
    for name, component in CONTRACT["components"]["schemas"].items()
    for where, schema, example in _schema_examples(component, name)
]
PARAMETERS = [pytest.param(parameter, id=label) for label, parameter in _parameters()]
MEDIA_TYPES = [pytest.param(content, id=label) for label, content in _media_types()]
HEADERS = [pytest.param(header, id=name) for name, header in CONTRACT["components"]["headers"].items()]


@pytest.mark.parametrize("name", list(CONTRACT["components"]["schemas"]))
def test_every_schema_has_an_example(name: str) -> None:
    schema = CONTRACT["components"]["schemas"][name]
    assert "example" in schema or schema.get("examples"), f"components/schemas/{name} has no example"


@pytest.mark.parametrize(("schema", "example"), SCHEMA_EXAMPLES)
def test_schema_examples_are_valid(schema: dict[str, Any], example: object) -> None:
    assert _validate(schema, example) == []


@pytest.mark.parametrize("parameter", PARAMETERS)
def test_every_parameter_has_a_valid_example(parameter: dict[str, Any]) -> None:
    schema = _resolve(parameter["schema"])
    example = parameter.get("example", schema.get("example"))
    assert example is not None, "no example on the parameter or its schema"
    assert _validate(parameter["schema"], example) == []


@pytest.mark.parametrize("content", MEDIA_TYPES)
def test_every_payload_has_a_valid_example(content: dict[str, Any]) -> None:
    schema = content["schema"]
    examples = _media_examples(content) or [_resolve(schema).get("example")]
    assert examples != [None], "no example on the media type or its schema"
    for example in examples:
        assert _validate(schema, example) == []


@pytest.mark.parametrize("header", HEADERS)
def test_every_header_has_a_valid_example(header: dict[str, Any]) -> None:
    assert "example" in header
    assert _validate(header["schema"], header["example"]) == []


def test_an_invalid_example_would_be_caught() -> None:
    # The check itself asserts formats and follows references, so it cannot pass vacuously.
    assert _validate({"$ref": "#/components/schemas/DueAt"}, "2026-12-01") != []
    assert _validate({"$ref": "#/components/schemas/Task"}, {"id": 42}) != []
