"""Opaque keyset cursors: the last row's sort value and id, sealed for the user and query that produced them.

A cursor is a reference to a page, like an id is a reference to a task: one the contract's pattern
rejects is a 400, but a well-formed one this server did not issue for this user and query is a 404.
The value and id are encrypted with AES-GCM under the server's cursor key (Settings.cursor_key), with
the user id and the query's fingerprint as associated data: a title never shows in a `Link` URL, a
log or a referrer, and a cursor issued to another user or for another query fails to open. An
opened cursor is still checked as strictly as any input before it reaches SQL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from impl.contract import MAX_TITLE_LENGTH
from impl.errors import NotFound
from impl.tables import PRIORITY_BY_RANK
from kit.problems import FieldError

SortValue = datetime | str | int | None
MAX_TASK_ID = 2**63 - 1
NONCE_BYTES = 12


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


class CursorCodec:
    """Seals and opens cursors with one key; every worker and instance must share it."""

    def __init__(self, key: bytes) -> None:
        self._cipher = AESGCM(key)

    def encode(self, cursor: Cursor, user_id: str, fingerprint: str) -> str:
        value = cursor.value.isoformat() if isinstance(cursor.value, datetime) else cursor.value
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher.encrypt(
            nonce, orjson.dumps([value, cursor.task_id]), _bound_to(user_id, fingerprint)
        )
        return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()

    def decode(self, token: str, user_id: str, fingerprint: str, value_type: type[Any]) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            opened = self._cipher.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound_to(user_id, fingerprint)
            )
            value, task_id = orjson.loads(opened)
        except (binascii.Error, InvalidTag, ValueError, TypeError):
            raise _unknown() from None
        if type(task_id) is not int or not 0 < task_id <= MAX_TASK_ID:
            raise _unknown()
        return Cursor(_sort_value(value, value_type), task_id)


def _bound_to(user_id: str, fingerprint: str) -> bytes:
    # A JSON array, so no (user, query) pair can be spelled as another.
    return orjson.dumps([user_id, fingerprint])


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
