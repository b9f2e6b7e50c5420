"""Reading server-sent events in tests, with a bound on every wait so a missing event fails, not hangs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

EVENT_DEADLINE_SECONDS = 10


@dataclass
class Event:
    event: str
    id: str | None
    data: dict[str, Any]


class EventReader:
    """The events (and comment lines) of one open stream, in order."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines: AsyncIterator[str] = response.aiter_lines()
        self.comments: list[str] = []

    async def next(self, deadline: float = EVENT_DEADLINE_SECONDS) -> Event | None:
        """The next event, or None when the stream ended; comments are collected on the way."""
        async with asyncio.timeout(deadline):
            fields: dict[str, str] = {}
            async for line in self._lines:
                if line.startswith(":"):
                    self.comments.append(line)
                elif line:
                    name, _, value = line.partition(": ")
                    fields[name] = value
                elif fields:
                    return Event(fields["event"], fields.get("id"), json.loads(fields["data"]))
            return None

    async def next_comment(self, deadline: float = EVENT_DEADLINE_SECONDS) -> str:
        async with asyncio.timeout(deadline):
            async for line in self._lines:
                if line.startswith(":"):
                    return line
        raise AssertionError("the stream ended without a comment")
