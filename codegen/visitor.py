"""fastapi-code-generator visitor: adds what the stock context drops, read from the raw contract.

The stock operation context lacks resolved parameter schemas (enum defaults, constraints as plain
keyword arguments), request-body details, response headers and the contract itself; the templates
need all of them to emit typed, self-validating routes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi_code_generator.parser import OpenAPIParser

from kit.paths import route_order, shadowed_paths

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
CONSTRAINTS = {
    "minimum": "ge",
    "maximum": "le",
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
}
PYTHON_TYPES = {"integer": "int", "string": "str", "boolean": "bool", "number": "float"}
# A response of this media type is a stream the handler produces (kit.http.EventStream), not a model.
EVENT_STREAM = "text/event-stream"


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Follow local `$ref`s; return the last referenced schema name and the resolved node."""
    name = None
    while "$ref" in node:
        pointer = node["$ref"].removeprefix("#/").split("/")
        name = pointer[-1]
        node = spec
        for part in pointer:
            node = node[part]
    return name, node


def _python_name(param: dict[str, Any]) -> str:
    """A parameter's Python name: a header's is its name lower-cased, `-` as `_` (`if_match`)."""
    name: str = param["name"]
    python_name = name.lower().replace("-", "_") if param["in"] == "header" else name
    if not python_name.isidentifier():
        raise ValueError(f"parameter {name!r} has no Python name")
    return python_name


def _wire_name(param: dict[str, Any]) -> str:
    """The name a request carries it under, as kit.routing.ParameterReader looks it up and reports it:
    header names are case-insensitive, so lower-cased."""
    name: str = param["name"]
    return name.lower() if param["in"] == "header" else name


def _parameter(spec: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    _, param = _resolve(spec, raw)
    ref_name, schema = _resolve(spec, param["schema"])
    is_enum = "enum" in schema
    py_type = f"models.{ref_name}" if is_enum else PYTHON_TYPES[schema["type"]]
    required = param.get("required", False)
    if "default" in schema:
        default = f"{py_type}({schema['default']!r})" if is_enum else repr(schema["default"])
    elif required:
        default = None
    else:
        default, py_type = "None", f"{py_type} | None"
    constraints = {keyword: repr(schema[key]) for key, keyword in CONSTRAINTS.items() if key in schema}
    name, wire_name = _python_name(param), _wire_name(param)
    return {
        "name": name,
        "wire_name": wire_name,
        "alias": wire_name if wire_name != name else None,
        "location": param["in"],
        "type": py_type,
        "default": default,
        "constraints": constraints,
    }


def _locations(parameters: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The wire names of an operation's parameters by where they are read from."""
    locations: dict[str, list[str]] = {}
    for parameter in parameters:
        locations.setdefault(parameter["location"], []).append(parameter["wire_name"])
    return locations


def _body(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    if "requestBody" not in operation:
        return None
    _, request_body = _resolve(spec, operation["requestBody"])
    schema = request_body["content"]["application/json"]["schema"]
    model, _ = _resolve(spec, schema)
    return {"model": model, "ref": schema["$ref"], "required": request_body.get("required", False)}


def _success(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    status, response = next((s, r) for s, r in operation["responses"].items() if s.startswith("2"))
    _, response = _resolve(spec, response)
    content = response.get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        returns = "None"
    elif schema.get("type") == "array":
        returns = f"list[models.{_resolve(spec, schema['items'])[0]}]"
    else:
        returns = f"models.{_resolve(spec, schema)[0]}"
    # The representation the route produces, so it can refuse (406) an Accept header that rules it out.
    media_type = next(iter(content), None)
    streams = media_type == EVENT_STREAM
    if streams:
        returns = "EventStream"
    # Only an operation that documents response headers gets the `Response` to set them on; headers
    # marked `x-request-policy` are set by impl/policies.py around every handler, not by the handler.
    headers = [_resolve(spec, header)[1] for header in response.get("headers", {}).values()]
    sets_headers = any(not header.get("x-request-policy") for header in headers)
    return {
        "status": int(status),
        "returns": returns,
        "media_type": media_type,
        "sets_headers": sets_headers,
        "streams": streams,
    }


def _answers(operation: dict[str, Any], returns: str) -> dict[str, Any]:
    """What a handler may answer besides its success model.

    An operation that documents 304 may answer `NotModified` (no body). One that has a body may
    answer `Rendered` bytes: a stored response replayed as it was first sent (`Idempotency-Key`), or
    rows rendered straight to the contract's JSON (impl/tasks/mapping.py, proven equal to the
    model's rendering by tests/test_rendering.py).
    """
    not_modified = "304" in operation["responses"]
    replays = returns not in ("None", "EventStream")
    union = [returns, *(["NotModified"] if not_modified else []), *(["Rendered"] if replays else [])]
    return {"not_modified": not_modified, "replays": replays, "answer": " | ".join(union)}


def _class_name(tag: str) -> str:
    return "".join(part.capitalize() for part in tag.replace("-", "_").split("_")) + "Handler"


def _argument_name(tag: str) -> str:
    return tag.replace("-", "_").lower()


def _operation_extras(spec: dict[str, Any], path_item: dict[str, Any], method: str) -> dict[str, Any]:
    operation = path_item[method]
    raw_params = [*path_item.get("parameters", []), *operation.get("parameters", [])]
    security = operation.get("security", spec.get("security", []))
    tag = operation["tags"][0]
    parameters = [_parameter(spec, raw) for raw in raw_params]
    success = _success(spec, operation)
    return {
        "tag": tag,
        "handler_class": _class_name(tag),
        "handler_argument": _argument_name(tag),
        "parameters": parameters,
        "parameters_model": operation["operationId"][0].upper() + operation["operationId"][1:] + "Parameters",
        "locations": _locations(parameters),
        "body": _body(spec, operation),
        "secured": bool(security),
        **success,
        **_answers(operation, success["returns"]),
        "summary": operation.get("summary", ""),
    }


def _handlers(spec: dict[str, Any], extras: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """One handler Protocol per contract tag that has operations, in the contract's tag order."""
    used = {extra["tag"] for extra in extras.values()}
    return [
        {"tag": tag["name"], "class": _class_name(tag["name"]), "argument": _argument_name(tag["name"])}
        for tag in spec.get("tags", [])
        if tag["name"] in used
    ]


def get_contract(parser: OpenAPIParser, model_path: Path) -> dict[str, object]:
    spec: dict[str, Any] = parser.raw_obj
    extras = {
        path_item[method]["operationId"]: _operation_extras(spec, path_item, method)
        for path_item in spec["paths"].values()
        for method in HTTP_METHODS
        if method in path_item
    }
    # Routes are emitted literal segments first, so a literal path is never shadowed by a template.
    routes = [
        path_item[method]["operationId"]
        for path in route_order(spec["paths"])
        for path_item in [spec["paths"][path]]
        for method in HTTP_METHODS
        if method in path_item
    ]
    handlers = _handlers(spec, extras)
    if {h["tag"] for h in handlers} != {e["tag"] for e in extras.values()}:
        raise ValueError("every operation's first tag must be declared in the contract's `tags`")
    # For each literal path a template also matches: the methods it does not document (405s).
    shadowed = {
        path: [m.upper() for m in HTTP_METHODS if m not in spec["paths"][path]]
        for path in shadowed_paths(spec["paths"])
    }
    return {"extras": extras, "route_order": routes, "handlers": handlers, "shadowed": shadowed}


visit = get_contract
