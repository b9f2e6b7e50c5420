"""The contract document: read once from the hand-written YAML file, never pasted into code."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

SCHEMA_REF = "#/components/schemas/"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class Contract:
    """An OpenAPI document and the facts the runtime derives from it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @classmethod
    def load(cls, path: Path) -> Contract:
        # Quoted date-times in examples stay strings: safe_load only resolves unquoted ones.
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    @property
    def title(self) -> str:
        return str(self.document["info"]["title"])

    @property
    def version(self) -> str:
        return str(self.document["info"]["version"])

    def schema(self, name: str) -> dict[str, Any]:
        schema: dict[str, Any] = self.document["components"]["schemas"][name]
        return schema

    @cached_property
    def path_methods(self) -> dict[str, list[str]]:
        """Each path template with the methods it documents, upper case."""
        return {
            path: sorted(key.upper() for key in item if key in HTTP_METHODS)
            for path, item in self.document["paths"].items()
        }

    def inlined(self, node: Any) -> Any:
        """`node` with each `$ref` to a component schema replaced by the schema itself.

        Resolving references is half of jsonschema's work on every request body; the contract's
        schemas are not recursive, so they are resolved once. A `$ref`'s sibling keywords stay
        beside the target in an `allOf`, which reports the same errors as the `$ref` would.
        A recursive schema raises ValueError.
        """
        return _inlined(self.document["components"]["schemas"], node, ())


def _inlined(schemas: dict[str, Any], node: Any, expanding: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inlined(schemas, item, expanding) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if not (isinstance(ref, str) and ref.startswith(SCHEMA_REF)):
        return {key: _inlined(schemas, value, expanding) for key, value in node.items()}
    name = ref.removeprefix(SCHEMA_REF)
    if name in expanding:
        raise ValueError(f"schema {name} is recursive")
    target = _inlined(schemas, schemas[name], (*expanding, name))
    siblings = {key: _inlined(schemas, value, expanding) for key, value in node.items() if key != "$ref"}
    return {"allOf": [target], **siblings} if siblings else target
