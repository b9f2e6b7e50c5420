"""The health probes (contract tag `health`): liveness answers from the process, readiness asks the
database."""

from __future__ import annotations

from sqlalchemy import text

from generated import models
from generated.interface import HealthHandler
from impl.db import DatabaseDep, RequestDatabase

OK = models.Health(status=models.Status.ok)


class HealthProbes:
    def __init__(self, database: RequestDatabase) -> None:
        self._database = database

    async def get_health(self) -> models.Health:
        return OK

    async def get_readiness(self) -> models.Health:
        await self._database.execute(text("SELECT 1"))
        return OK


async def health_probes(database: DatabaseDep) -> HealthHandler:
    return HealthProbes(database)
