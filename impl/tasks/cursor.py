"""Opaque keyset cursors: the last row's sort value and id, bound to the query that produced them."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from generated.runtime import FieldError, InvalidRequest

SortValue = datetime | str | int | None


@dataclass(frozen=True)
class Cursor:
    value: SortValue
    task_id: int


def _invalid() -> InvalidRequest:
    return InvalidRequest(
        "The cursor is not valid for this query.",
        [FieldError("query/cursor", "not a cursor issued for this sort and filter")],
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
        raise _invalid() from None
    if issued_for != fingerprint or type(task_id) is not int or not 0 < task_id < 2**63:
        raise _invalid()
    return Cursor(_sort_value(value, value_type), task_id)


def _sort_value(value: object, value_type: type[Any]) -> SortValue:
    if value is None:
        return None
    if value_type is datetime and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise _invalid() from None
    if type(value) is value_type:
        return value  # type: ignore[return-value]
    raise _invalid()
