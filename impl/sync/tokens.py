"""Sync tokens: a position in one user's change feed, opaque, bound to the user by a MAC, dated.

A token that does not verify (tampered with, issued to someone else, signed with a retired key) is
treated like an expired one: the client must resync, and learns nothing about anyone's activity.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from kit.problems import FieldError, Problem

# seq and task id (unsigned 64-bit), issued at (Unix seconds, unsigned 32-bit), big-endian.
_PAYLOAD = struct.Struct(">QQI")
_MAC_BYTES = 16
TOKEN_BYTES = _PAYLOAD.size + _MAC_BYTES


class ResyncRequired(Problem):
    status = 410
    detail = "The sync token has expired or was not issued to you; sync again without `since`."

    def __init__(self) -> None:
        super().__init__(errors=[FieldError("query/since", "resync without since")])


@dataclass(frozen=True, order=True)
class Position:
    """Every change up to and including (seq, task_id), in feed order, has been delivered."""

    seq: int
    task_id: int


# Before any change: tasks created before the change feed existed carry sequence number 0.
INITIAL = Position(0, 0)


def token_key(secret: str) -> bytes:
    """A key for sync tokens only, derived so it never equals the secret it comes from."""
    return hmac.new(secret.encode(), b"todo-api sync token v1", hashlib.sha256).digest()


class SyncTokens:
    def __init__(self, key: bytes, retention_seconds: float, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self._retention = retention_seconds
        self._clock = clock

    def _mac(self, user_id: str, payload: bytes) -> bytes:
        message = user_id.encode() + b"\x00" + payload
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]

    def issue(self, user_id: str, position: Position) -> str:
        payload = _PAYLOAD.pack(position.seq, position.task_id, int(self._clock()))
        return _encode(payload + self._mac(user_id, payload))

    def read(self, user_id: str, token: str) -> Position:
        """The position `token` stands at, or ResyncRequired."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise ResyncRequired() from None
        # Base64 decoding ignores unused trailing bits: only the one spelling issued is accepted.
        if _encode(raw) != token:
            raise ResyncRequired()
        payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
        if len(raw) != TOKEN_BYTES or not hmac.compare_digest(mac, self._mac(user_id, payload)):
            raise ResyncRequired()
        seq, task_id, issued_at = _PAYLOAD.unpack(payload)
        if issued_at < self._clock() - self._retention:
            raise ResyncRequired()
        return Position(seq, task_id)


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
