"""Request bodies judged against the contract's JSON Schema, in work linear in the body's size.

jsonschema as it comes has two costs that grow faster than the input: `pattern` runs Python's
backtracking `re` (a 40 KB title took 8 s), and `uniqueItems` compares all pairs of items once
their types are mixed (an 8,000-item array took 34 s). Here `pattern` runs on a regex engine
without backtracking (pydantic-core's Rust `regex`, linear in the text) and `uniqueItems` hashes
each item once. Nesting is bounded before any keyword runs, so no body can exhaust the stack.

That bounded validator costs tens of µs for a typical body, so `BodySchema` asks a compiled one
first (jsonschema-rs, the Rust `jsonschema` crate, built once from the same resolved schema): a body
it accepts is valid, and only a body it refuses reaches the bounded validator, which alone decides
and words the errors. That is safe because the compiled validator never accepts more: it runs
`pattern` on the same linear Rust `regex` crate (it refuses at start-up a pattern that would need
backtracking, as `linear_pattern` does), and each `format` through jsonschema's own checker, so
the two differ at most where the compiled one refuses more (tests/test_body_validation_agreement.py
proves it). Its `uniqueItems` and `maxItems` run in Rust, linear in the array.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache, partial
from typing import Any

import jsonschema_rs
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
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
BoundedValidator = validators.extend(
    Draft202012Validator, {"pattern": _pattern, "uniqueItems": _unique_items, "items": _items}
)


def resolved_schema(contract: Contract, schema_name: str) -> dict[str, Any]:
    """The component schema `schema_name` with its references resolved once: what both validators judge."""
    schema: dict[str, Any] = {"$ref": SCHEMA_REF + schema_name}
    try:
        return dict(contract.inlined(schema))
    except ValueError:
        # A recursive schema keeps its references, resolved against the contract's components.
        return {**schema, "components": contract.document["components"]}


def body_validator(contract: Contract, schema_name: str) -> Any:
    """A bounded validator for the component schema `schema_name`, with its references resolved once."""
    return bounded_validator(resolved_schema(contract, schema_name))


def bounded_validator(schema: dict[str, Any]) -> Any:
    validator = BoundedValidator(schema, format_checker=FORMAT_CHECKER)
    for pattern in _patterns(schema):
        linear_pattern(pattern)  # compile now: a pattern the engine refuses fails at start-up
    return validator


def compiled_validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A jsonschema-rs validator for `schema` that accepts nothing the bounded validator refuses.

    Its `pattern` runs on the Rust `regex` crate, not its default `fancy-regex` (which backtracks),
    so a pattern that needs backtracking raises `jsonschema_rs.ValidationError` here, at start-up.
    Each `format` is jsonschema's own check: jsonschema-rs's `date-time` admits leap seconds and
    year 0, which jsonschema refuses. Nothing is fetched: a schema names no remote document.
    """
    return jsonschema_rs.Draft202012Validator(
        schema,
        formats={name: partial(FORMAT_CHECKER.conforms, format=name) for name in _formats(schema)},
        validate_formats=True,
        pattern_options=jsonschema_rs.RegexOptions(),
        offline=True,
    )


class BodySchema:
    """One component schema's verdict on request bodies: the compiled validator accepts the valid
    ones cheaply; only a body it refuses is judged (and its errors worded) by the bounded validator.
    """

    def __init__(self, contract: Contract, schema_name: str) -> None:
        schema = resolved_schema(contract, schema_name)
        self.bounded = bounded_validator(schema)
        self.compiled = compiled_validator(schema)

    def errors(self, instance: Any) -> list[FieldError]:
        """What `field_errors` says of `instance`: none when the compiled validator accepts it."""
        if self._accepted(instance):
            return []
        return field_errors(self.bounded, instance)

    def _accepted(self, instance: Any) -> bool:
        try:
            return self.compiled.is_valid(instance)
        except ValueError:
            # A value it cannot read as JSON (a lone surrogate in a string): the bounded validator judges.
            return False


def _patterns(node: Any) -> Iterator[str]:
    yield from _keyword_values(node, "pattern")


def _formats(node: Any) -> set[str]:
    return set(_keyword_values(node, "format"))


def _keyword_values(node: Any, keyword: str) -> Iterator[str]:
    """Every string value of `keyword` in the schema (or in a property named so: harmless extra work)."""
    if isinstance(node, list):
        for item in node:
            yield from _keyword_values(item, keyword)
    elif isinstance(node, dict):
        if isinstance(node.get(keyword), str):
            yield node[keyword]
        for value in node.values():
            yield from _keyword_values(value, keyword)


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
