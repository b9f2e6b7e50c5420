"""A route reads its parameters into the contract's model; remembering readings never changes one."""

from __future__ import annotations

import itertools
import random

import pytest
from starlette.requests import Request

from generated.routes import ListTasksParameters
from kit.problems import InvalidRequest
from kit.routing import ParameterReader
from tests.support import http_scope

QUERY = ("status", "sort", "q", "tag", "limit", "cursor")
QUERIES = [
    b"",
    b"limit=50",
    b"limit=5",
    b"limit=5&limit=7",
    b"status=pending&sort=due_at",
    b"q=milk&tag=home",
    b"q=%C3%BC",
    b"cursor=" + b"a" * 300,
]
ETAGS = [None, b'"a"', b'W/"b", "c"']


def _reader() -> ParameterReader[ListTasksParameters]:
    return ParameterReader(ListTasksParameters, query=QUERY, header=("if-none-match",))


def _request(query: bytes, etag: bytes | None) -> Request:
    headers = [(b"if-none-match", etag)] if etag is not None else []
    return Request(http_scope("GET", "/api/tasks", headers) | {"query_string": query})


def test_a_remembered_reading_is_the_one_a_fresh_reader_makes() -> None:
    remembering = _reader()
    remembering.MEMO_SIZE = 4  # small, so that readings are also forgotten and made again
    cases = list(itertools.product(QUERIES, ETAGS)) * 3
    random.Random(7).shuffle(cases)
    for query, etag in cases:
        expected = _reader().read(_request(query, etag))
        assert remembering.read(_request(query, etag)) == expected, (query, etag)
    # The same reading twice is the same frozen object.
    assert _reader().read(_request(b"limit=5", None)).limit == 5
    once = remembering.read(_request(b"limit=9", None))
    assert remembering.read(_request(b"limit=9", None)) is once


def test_a_refused_reading_is_refused_every_time() -> None:
    reader = _reader()
    for _ in range(2):
        with pytest.raises(InvalidRequest):
            reader.read(_request(b"limit=0", None))


def test_long_inputs_are_read_but_not_remembered() -> None:
    reader = _reader()
    first = reader.read(_request(b"cursor=" + b"a" * 300, None))
    second = reader.read(_request(b"cursor=" + b"a" * 300, None))
    assert first == second
    assert first is not second
