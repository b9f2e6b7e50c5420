"""Request bodies judged against the contract's JSON Schema, in work linear in the body's size.

jsonschema as it comes has two costs that grow faster than the input: `pattern` runs Python's
backtracking `re` (a 40 KB title took 8 s), and `uniqueItems` compares all pairs of items once
their types are mixed (an 8,000-item array took 34 s). Here `pattern` runs on a regex engine
without backtracking (pydantic-core's Rust `regex`, linear in the text) and `uniqueItems` hashes
each item once. Nesting is bounded before any keyword runs, so no body can exhaust the stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError as SchemaError
from pydantic_core import SchemaValidator, core_schema

from kit.contract import SCHEMA_REF, Contract
from kit.problems import FieldError

# Deeper than any schema of the contract needs; deep enough to judge, shallow enough to walk.
MAX_DEPTH = 32
# A form shows a handful of field errors; a body with thousands of bad items gets the first ones.
MAX_FIELD_ERRORS = 20
# Which of several broken rules a field reports: the first in this order.
KEYWORD_PRECEDENCE = (
    "type",
    "required",
    "additionalProperties",
    "enum",
    "format",
    "minLength",
    "maxLength",
    "pattern",
    "maxItems",
    "uniqueItems",
    "not",
)
# A schema may name the message a keyword's failure shows, e.g. `x-messages: {pattern: "…"}`.
MESSAGES_EXTENSION = "x-messages"


@cache
def linear_pattern(pattern: str) -> SchemaValidator:
    """A matcher for `pattern` (search semantics, as JSON Schema says) that cannot backtrack.

    The Rust engine refuses what it cannot run in linear time (backreferences, lookaround), so a
    contract pattern that needs backtracking fails at start-up rather than under attack.
    """
    return SchemaValidator(core_schema.str_schema(pattern=pattern), config={"regex_engine": "rust-regex"})


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[SchemaError]:
    if validator.is_type(instance, "string") and not linear_pattern(pattern).isinstance_python(instance):
        yield SchemaError(f"does not match {pattern!r}")


def _identity(value: Any) -> Any:
    """A hashable value equal for exactly the JSON values JSON Schema calls equal (1 == 1.0, true != 1)."""
    if isinstance(value, bool) or value is None:
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, list):
        return ("array", tuple(_identity(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((key, _identity(item)) for key, item in value.items()))
    return ("string", value)


def _unique_items(
    validator: Any, unique: bool, instance: Any, schema: dict[str, Any]
) -> Iterator[SchemaError]:
    if not (unique and validator.is_type(instance, "array")):
        return
    max_items = schema.get("maxItems")
    if max_items is not None and len(instance) > max_items:
        return  # maxItems reports it; judging distinctness of an over-long array is wasted work
    seen: set[Any] = set()
    for item in instance:
        identity = _identity(item)
        if identity in seen:
            yield SchemaError("has non-unique elements")
            return
        seen.add(identity)


def _items(validator: Any, items: Any, instance: Any, schema: dict[str, Any]) -> Iterator[SchemaError]:
    max_items = schema.get("maxItems")
    if validator.is_type(instance, "array") and max_items is not None and len(instance) > max_items:
        return  # maxItems reports it; judging each item of an over-long array is wasted work
    yield from _DRAFT_ITEMS(validator, items, instance, schema)


_DRAFT_ITEMS = Draft202012Validator.VALIDATORS["items"]
BoundedValidator = validators.extend(
    Draft202012Validator, {"pattern": _pattern, "uniqueItems": _unique_items, "items": _items}
)


def body_validator(contract: Contract, schema_name: str) -> Any:
    """A validator for the component schema `schema_name`, with its references resolved once."""
    schema: dict[str, Any] = {"$ref": SCHEMA_REF + schema_name}
    try:
        schema = contract.inlined(schema)
    except ValueError:
        # A recursive schema keeps its references, resolved against the contract's components.
        schema["components"] = contract.document["components"]
    validator = BoundedValidator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for pattern in _patterns(schema):
        linear_pattern(pattern)  # compile now: a pattern the engine refuses fails at start-up
    return validator


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _patterns(item)
    elif isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than `limit`: level by level, so any depth is safe to ask."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        children: list[Any] = []
        for node in level:
            items = node.values() if isinstance(node, dict) else node
            children += [child for child in items if isinstance(child, dict | list)]
        level = children
    return False


def field_errors(validator: Any, instance: Any) -> list[FieldError]:
    """One plain-English error per field (JSON pointer), the most basic rule broken first.

    At most MAX_FIELD_ERRORS fields are reported, and the search stops there: thousands of bad
    items cost no more than a few.
    """
    by_pointer: dict[str, tuple[int, FieldError]] = {}
    for error in validator.iter_errors(instance):
        rank = _rank(str(error.validator))
        for field_error in _describe(error):
            known = by_pointer.get(field_error.pointer)
            if known is None and len(by_pointer) == MAX_FIELD_ERRORS:
                return _in_order(by_pointer)
            if known is None or rank < known[0]:
                by_pointer[field_error.pointer] = (rank, field_error)
    return _in_order(by_pointer)


def _in_order(by_pointer: dict[str, tuple[int, FieldError]]) -> list[FieldError]:
    return [error for _, error in sorted(by_pointer.values(), key=lambda item: item[1].pointer)]


def _rank(keyword: str) -> int:
    return KEYWORD_PRECEDENCE.index(keyword) if keyword in KEYWORD_PRECEDENCE else len(KEYWORD_PRECEDENCE)


def pointer(path: Any) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in path) if path else "/"


def _describe(error: SchemaError) -> list[FieldError]:
    # jsonschema's own messages quote the offending value, which may be huge or sensitive.
    schema = error.schema if isinstance(error.schema, dict) else {}
    keyword = str(error.validator)
    here = pointer(error.path)
    base = "" if here == "/" else here
    if keyword == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [FieldError(f"{base}/{name}", "is required") for name in missing[:1]]
    if keyword == "additionalProperties":
        known = schema.get("properties", {})
        return [
            FieldError(f"{base}/{name}", "is not a known property")
            for name in error.instance
            if name not in known
        ]
    custom = schema.get(MESSAGES_EXTENSION, {}).get(keyword)
    return [FieldError(here, custom if isinstance(custom, str) else _standard_message(keyword, schema))]


def _plural(count: object, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _standard_message(keyword: str, schema: dict[str, Any]) -> str:
    limit = schema.get(keyword)
    match keyword:
        case "type":
            return "must be " + " or ".join(_article(kind) for kind in _as_list(limit))
        case "minLength":
            return f"must have at least {_plural(limit, 'character')}"
        case "maxLength":
            return f"must have at most {_plural(limit, 'character')}"
        case "enum":
            return "must be one of " + ", ".join(_as_list(limit))
        case "maxItems":
            return f"must have at most {_plural(limit, 'item')}"
        case "uniqueItems":
            return "must not repeat an item"
        case "format":
            return (
                f"must be a valid {limit} (RFC 3339 with an offset)"
                if limit == "date-time"
                else f"must be a valid {limit}"
            )
        case "pattern":
            return "has characters or a form the contract does not allow"
        case "not":
            return "is a value the contract excludes (see its description)"
    return f"does not satisfy {keyword}"


def _article(kind: str) -> str:
    return {"null": "null", "array": "an array", "object": "an object", "integer": "an integer"}.get(
        kind, f"a {kind}"
    )
