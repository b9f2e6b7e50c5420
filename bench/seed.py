"""Seed a fresh PostgreSQL database with USERS x TASKS realistic tasks, by COPY, in seconds to minutes.

Task ids are laid out so the load scripts can address any user's tasks without a lookup:
user `u` (0-based) owns ids `u * tasks + 1 … (u + 1) * tasks`. The first `STABLE_TASKS` of each
user are read and updated; the rest are consumed, in order, by the delete runs.

    python -m bench.seed --database-url postgresql://postgres@127.0.0.1:5432/todo_bench --users 10000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from sqlalchemy.engine import make_url

from impl.tasks.repository import ROW_COLUMNS
from tests.support import asyncpg_dsn, migrate_blocking

STABLE_TASKS = 60
COLUMNS = ROW_COLUMNS  # COPY writes whole rows in the table's own column order
VERBS = ["Buy", "Call", "Email", "Fix", "Book", "Review", "Plan", "Clean", "Pay", "Write", "Order", "Renew"]
OBJECTS = [
    "milk",
    "the plumber",
    "dentist appointment",
    "quarterly report",
    "car insurance",
    "birthday present for Sam",
    "train tickets",
    "the kitchen sink",
    "electricity bill",
    "blog post draft",
    "passport",
    "team offsite agenda",
    "groceries for the week",
    "gym membership",
    "pull request #1234",
]
DESCRIPTIONS = [
    "Two litres, semi-skimmed",
    "Before Friday, ask about the discount",
    "See the email thread from last week",
    "Needs the receipt from the drawer",
    "Call back if nobody answers",
]
TAGS = ["home", "work", "errands", "groceries", "finance", "health", "family", "urgent", "someday", "travel"]
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def user_id(index: int) -> str:
    """The deterministic 32-character id of bench user `index`, shared with the token writer."""
    return hashlib.blake2s(f"bench-user-{index}".encode(), digest_size=16).hexdigest()


def task_records(users: int, tasks: int, seed: int = 1) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    for u in range(users):
        owner = user_id(u)
        for k in range(tasks):
            created = NOW - timedelta(seconds=rng.randrange(365 * 86400))
            updated = created + timedelta(seconds=rng.randrange(3 * 86400))
            completed = rng.random() < 0.4
            due = NOW + timedelta(days=rng.randrange(-60, 90), hours=rng.randrange(24))
            yield (
                u * tasks + k + 1,
                owner,
                f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}",
                rng.choice(DESCRIPTIONS) if rng.random() < 0.5 else None,
                completed,
                updated if completed else None,
                due if rng.random() < 0.6 else None,
                rng.choices((1, 2, 3), weights=(3, 5, 2))[0],
                orjson.dumps(rng.sample(TAGS, rng.choice((0, 1, 1, 2, 2, 3)))).decode(),
                created,
                updated,
                1,  # version
                k + 1,  # change_seq: the user's k-th change
            )


async def recreate_database(database_url: str) -> None:
    url = make_url(database_url)
    admin = await asyncpg.connect(asyncpg_dsn(url.set(database="postgres").render_as_string(False)))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{url.database}"')
    finally:
        await admin.close()


async def load(database_url: str, users: int, tasks: int) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # Loading into an unindexed table and building each index once is several times faster.
        indexes = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tasks' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        for index in indexes:
            await connection.execute(f'DROP INDEX "{index["indexname"]}"')
        await connection.copy_records_to_table("tasks", records=task_records(users, tasks), columns=COLUMNS)
        await connection.execute("SET maintenance_work_mem = '256MB'")
        for index in indexes:
            await connection.execute(index["indexdef"])
        await connection.execute("SELECT setval('tasks_id_seq', (SELECT max(id) FROM tasks))")
        # Each user's change counter where its seeded changes left it (impl/sync/sequence.py).
        await connection.execute(
            "INSERT INTO change_sequences (user_id, last_seq) "
            "SELECT user_id, max(change_seq) FROM tasks GROUP BY user_id"
        )
        # Fresh statistics and visibility map, as a long-running database would have.
        await connection.execute("VACUUM ANALYZE tasks")
    finally:
        await connection.close()


def seed(database_url: str, users: int, tasks: int) -> float:
    started = time.monotonic()
    asyncio.run(recreate_database(database_url))
    migrate_blocking(database_url)
    asyncio.run(load(database_url, users, tasks))
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=100)
    args = parser.parse_args()
    elapsed = seed(args.database_url, args.users, args.tasks)
    print(f"seeded {args.users * args.tasks:,} tasks for {args.users:,} users in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
