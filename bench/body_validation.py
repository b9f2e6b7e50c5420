"""What judging a typical create body against the contract costs: in process, µs per call.

    uv run python -m bench.body_validation [--number 20000] [--repeat 7]

Three timings, best of the repeats: the bounded validator alone (`field_errors`, what every body
cost before the compiled accept path), `BodySchema.errors` (the compiled validator, which accepts
it), and the whole of `BodyReader.optional` (media type, JSON parsing, the schema, the TaskCreate
model) on a request whose body was already read.
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request

from generated import models
from impl.contract import CONTRACT
from kit.http import BodyReader
from kit.validation import BodySchema, field_errors

BODY = {"title": "Buy milk", "tags": ["home", "errands"], "due_at": "2026-12-24T18:00:00Z"}
SCOPE = {"type": "http", "method": "POST", "path": "/", "headers": [(b"content-type", b"application/json")]}


def read_body(reader: BodyReader[Any], raw: bytes) -> Any:
    """`reader.optional` run to completion without an event loop: the body is already read."""
    request = Request(SCOPE)
    request._body = raw  # what Starlette caches once it has read the body
    coroutine = reader.optional(request)
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("BodyReader.optional waited for something")


def best_microseconds(call: Callable[[], object], number: int, repeat: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    schema = BodySchema(CONTRACT, "TaskCreate")
    reader, raw = BodyReader(CONTRACT, models.TaskCreate), orjson.dumps(BODY)
    assert schema.errors(BODY) == field_errors(schema.bounded, BODY) == []
    assert read_body(reader, raw) is not None
    timings = {
        "bounded validator (field_errors)": lambda: field_errors(schema.bounded, BODY),
        "BodySchema.errors (compiled accept path)": lambda: schema.errors(BODY),
        "BodyReader.optional (whole)": lambda: read_body(reader, raw),
    }
    print(f"body: {raw.decode()}")
    for name, call in timings.items():
        print(f"{name:42} {best_microseconds(call, args.number, args.repeat):8.1f} µs")


if __name__ == "__main__":
    main()
