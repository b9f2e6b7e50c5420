"""The health probes (contract tag `health`): liveness answers from the process; readiness says whether
this instance should get traffic: not while it shuts down, and only with a writable database."""

from __future__ import annotations

from starlette.requests import Request

from generated import models
from generated.interface import HealthHandler
from impl.db import RequestDatabase
from impl.errors import ServiceUnavailable
from impl.handler_context import handler_context
from impl.shutdown import ShutdownDrain

OK = models.Health(status=models.Status.ok)


class HealthProbes:
    def __init__(self, database: RequestDatabase, drain: ShutdownDrain) -> None:
        self._database = database
        self._drain = drain

    async def get_health(self) -> models.Health:
        return OK

    async def get_readiness(self) -> models.Health:
        if self._drain.draining:
            raise ServiceUnavailable("The server is shutting down.")
        # Ready means able to take writes, which a standby (an old primary after a failover) is not.
        if await self._database.read_only():
            raise ServiceUnavailable("The database is read-only; retry later.")
        return OK


def _health_probes(database: RequestDatabase, request: Request) -> HealthHandler:
    return HealthProbes(database, request.app.state.drain)


health_probes = handler_context(_health_probes)
