"""Opaque keyset cursors: the last row's sort value and id, bound to the query that produced them.

A cursor is a reference to a page, like an id is a reference to a task: one the contract's pattern
rejects is a 400, but a well-formed one this server did not issue for this query is a 404.
Cursors are not signed, so a decoded one is checked as strictly as any input before it reaches SQL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from impl.contract import MAX_TITLE_LENGTH
from impl.errors import NotFound
from impl.tables import PRIORITY_BY_RANK
from kit.problems import FieldError

SortValue = datetime | str | int | None
MAX_TASK_ID = 2**63 - 1


@dataclass(frozen=True)
class Cursor:
    value: SortValue
    task_id: int


def _unknown() -> NotFound:
    return NotFound(
        "No such page: the cursor was not issued for this query.",
        errors=[FieldError("query/cursor", "not a cursor issued for this sort and filter")],
    )


def query_fingerprint(*parts: object) -> str:
    return hashlib.blake2s(repr(parts).encode(), digest_size=6).hexdigest()


def encode_cursor(cursor: Cursor, fingerprint: str) -> str:
    value = cursor.value.isoformat() if isinstance(cursor.value, datetime) else cursor.value
    raw = orjson.dumps([fingerprint, value, cursor.task_id])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(token: str, fingerprint: str, value_type: type[Any]) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        issued_for, value, task_id = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise _unknown() from None
    if issued_for != fingerprint or type(task_id) is not int or not 0 < task_id <= MAX_TASK_ID:
        raise _unknown()
    return Cursor(_sort_value(value, value_type), task_id)


def _sort_value(value: object, value_type: type[Any]) -> SortValue:
    if value is None:
        return None
    if value_type is datetime and isinstance(value, str):
        return _timestamp(value)
    if value_type is str and isinstance(value, str) and _is_title(value):
        return value
    if value_type is int and type(value) is int and value in PRIORITY_BY_RANK:
        return value
    raise _unknown()


def _is_title(value: str) -> bool:
    # What a row can hold in the title column: the contract's Title length, without NUL.
    # PostgreSQL rejects NUL in text, so an unchecked one would be a 500 rather than a 404.
    return len(value) <= MAX_TITLE_LENGTH and "\x00" not in value


def _timestamp(value: str) -> datetime:
    # Only what encode_cursor writes: an aware date-time that stays in range in UTC.
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive date-time")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _unknown() from None
