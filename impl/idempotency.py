"""Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): a keyed unsafe request runs at most once.

`IdempotencyKeys.run_once` claims the key by inserting its row first in a transaction, runs the
write, and records the response in the same row before the commit. Hence:

- a key never commits without its write's response, nor a write without its key;
- a concurrent request with the same key waits at the claim (PostgreSQL makes an INSERT of a unique
  key wait for the uncommitted transaction holding it; SQLite runs one writer at a time), then finds
  the committed row and replays it, or claims the key if the first request rolled back;
- an error (any exception: 404, 412, 5xx) rolls the transaction back, key included, so errors are
  never stored and the request can be retried with its key.

Keys are per user (the primary key is user id + key). An expired key is taken over by the next
request with it, and every worker purges expired keys in bounded batches (`purge_expired_keys`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from starlette.responses import Response

from impl.db import ConnectionGate, RequestDatabase
from impl.errors import IdempotencyKeyReused
from impl.tables import IdempotencyKeyRow

logger = logging.getLogger(__name__)

KEYS: Table = IdempotencyKeyRow.__table__  # type: ignore[attr-defined]
COLUMNS = KEYS.c
REPLAYED_HEADER = "Idempotent-Replayed"
# The response headers that describe the outcome, repeated by a replay.
STORED_HEADERS = ("Location", "ETag", "Link")
PURGE_BATCH = 1000

_AT = bindparam("at", type_=COLUMNS.expires_at.type)
_THIS_KEY = and_(COLUMNS.user_id == bindparam("owner"), COLUMNS.key == bindparam("idempotency_key"))
SELECT_KEY = select(COLUMNS.fingerprint, COLUMNS.body, COLUMNS.headers).where(_THIS_KEY)
# (Parameter names differ from column names, which UPDATE reserves for its SET clause.)
RECORD_RESPONSE = (
    update(KEYS)
    .where(_THIS_KEY)
    .values(
        status=bindparam("outcome_status", type_=COLUMNS.status.type),
        body=bindparam("outcome_body", type_=COLUMNS.body.type),
        headers=bindparam("outcome_headers", type_=COLUMNS.headers.type),
    )
)
# The DELETE re-checks expiry on each row it removes, so a key taken over meanwhile is kept.
PURGE_EXPIRED = delete(KEYS).where(
    COLUMNS.expires_at < _AT,
    tuple_(COLUMNS.user_id, COLUMNS.key).in_(
        select(COLUMNS.user_id, COLUMNS.key)
        .where(COLUMNS.expires_at < _AT)
        .order_by(COLUMNS.expires_at)
        .limit(PURGE_BATCH)
    ),
)


def _claim_statement(insert: Any) -> Any:
    """INSERT the key, or take over its row if expired; RETURNING a row only when the key is ours."""
    statement = insert(KEYS).values(
        user_id=bindparam("owner", type_=COLUMNS.user_id.type),
        key=bindparam("idempotency_key", type_=COLUMNS.key.type),
        fingerprint=bindparam("request_fingerprint", type_=COLUMNS.fingerprint.type),
        expires_at=bindparam("expires", type_=COLUMNS.expires_at.type),
    )
    taken_over = {"fingerprint": statement.excluded.fingerprint, "expires_at": statement.excluded.expires_at}
    return statement.on_conflict_do_update(
        index_elements=[COLUMNS.user_id, COLUMNS.key],
        set_={**taken_over, "status": None, "body": None, "headers": None},
        where=COLUMNS.expires_at < _AT,
    ).returning(COLUMNS.key)


CLAIM_KEY = {"postgresql": _claim_statement(postgresql.insert), "sqlite": _claim_statement(sqlite.insert)}


def now() -> datetime:
    return datetime.now(UTC)


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """What a retry must repeat exactly: the method, the path and the body."""
    return hashlib.sha256(b"%s %s\n%s" % (method.encode(), path.encode(), body)).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyedRequest:
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class StoredResponse:
    body: bytes | None
    headers: dict[str, str]


class IdempotencyKeys:
    """One user's keys on the request's database."""

    def __init__(self, database: RequestDatabase, user_id: str, retention: timedelta) -> None:
        self._database = database
        self._user_id = user_id
        self._retention = retention

    async def run_once(
        self,
        request: KeyedRequest,
        response: Response,
        status: int,
        execute: Callable[[], Awaitable[bytes | None]],
    ) -> bytes | None:
        """The body `execute` renders (it sets its headers on `response`), committed with the key; or,
        for a key used before by the same request, that request's stored body and headers, marked replayed.
        """
        async with self._database.transaction():
            stored = await self._claim(request)
            if stored is not None:
                response.headers.update(stored.headers)
                response.headers[REPLAYED_HEADER] = "true"
                return stored.body
            body = await execute()
            headers = {name: response.headers[name] for name in STORED_HEADERS if name in response.headers}
            outcome = {"outcome_status": status, "outcome_body": body, "outcome_headers": headers}
            await self._database.execute(RECORD_RESPONSE, {**self._this_key(request.key), **outcome})
            return body

    def _this_key(self, key: str) -> dict[str, Any]:
        return {"owner": self._user_id, "idempotency_key": key}

    async def _claim(self, request: KeyedRequest) -> StoredResponse | None:
        """None when the key is now this request's; else the stored response of the key's request."""
        at = now()
        claim = {
            **self._this_key(request.key),
            "request_fingerprint": request.fingerprint,
            "expires": at + self._retention,
            "at": at,
        }
        if (await self._database.execute(CLAIM_KEY[self._database.dialect], claim)).first() is not None:
            return None
        # The row is committed (the claim waited for it) and locked by the claim until this transaction ends.
        row = (await self._database.execute(SELECT_KEY, self._this_key(request.key))).one()
        if row.fingerprint != request.fingerprint:
            raise IdempotencyKeyReused()
        return StoredResponse(row.body, row.headers or {})


async def purge_expired_keys(gate: ConnectionGate, at: datetime | None = None) -> int:
    """Deletes up to PURGE_BATCH keys expired at `at` (default: now); returns how many.

    Safe in every worker and instance at once: concurrent purges may pick the same rows, and each row
    is deleted once (the other purge skips a row already gone); no lock or leader is needed.
    """
    async with gate.borrowed() as connection:
        result = await connection.execute(PURGE_EXPIRED, {"at": at or now()})
        await connection.commit()
    return int(result.rowcount)


async def purge_periodically(gate: ConnectionGate, interval_seconds: float) -> None:
    """Each worker's purge loop: a batch every interval, more batches while they come back full."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            while await purge_expired_keys(gate) == PURGE_BATCH:
                pass
        except Exception:
            # The database being briefly away must not end the loop; the next tick retries.
            logger.warning("purging expired idempotency keys failed", exc_info=True)
