"""SQLAlchemy statements compiled once for asyncpg, to run as asyncpg prepared statements.

SQLAlchemy builds the statements (one source for each statement's text, both dialects); running a
prebuilt statement through SQLAlchemy still costs, on every execution, a cache-key lookup, parameter
processing through its generic machinery, the greenlet bridge and a Result of Row objects: more CPU
than PostgreSQL spends on the statement. A `CompiledStatement` keeps what SQLAlchemy's compilation
produced (the SQL text with `$n` placeholders, the parameter order, each parameter's bind processor)
so the same SQL runs straight on the driver connection, with asyncpg's prepared statement cache.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

# The dialect impl/db.py's engine uses for PostgreSQL: its `$n` paramstyle and bind casts.
ASYNCPG = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class CompiledStatement:
    """One statement's asyncpg SQL and how to turn named parameters into its positional arguments."""

    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        """The positional arguments: each named parameter (or the statement's own bound value),
        through the bind processor SQLAlchemy would apply."""
        values = []
        for name in self.names:
            value = parameters[name] if name in parameters else self.defaults[name]
            process = self.processors.get(name)
            values.append(value if process is None else process(value))
        return values


@functools.lru_cache(maxsize=1024)
def compiled_for_asyncpg(statement: ClauseElement) -> CompiledStatement | None:
    """Compiled once per statement object: pass statements built once (module level or cached).

    None for a statement with an expanding parameter (`IN` a list, as If-Match's versions and the
    bulk operations' ids bind): its SQL text varies with the list's length, so SQLAlchemy runs it."""
    compiled = _compiled(statement)
    return None if _expanding(compiled) else _statement(compiled)


def compile_for_asyncpg(statement: ClauseElement) -> CompiledStatement:
    compiled = _compiled(statement)
    expanding = _expanding(compiled)
    assert not expanding, f"expanding parameters vary the SQL text per call: {expanding}"
    return _statement(compiled)


def _compiled(statement: ClauseElement) -> SQLCompiler:
    compiled = statement.compile(dialect=ASYNCPG)
    assert isinstance(compiled, SQLCompiler)
    assert compiled.positiontup is not None, "the asyncpg dialect binds positionally"
    return compiled


def _expanding(compiled: SQLCompiler) -> list[str]:
    return [name for name, bind in compiled.binds.items() if bind.expanding]


def _statement(compiled: SQLCompiler) -> CompiledStatement:
    assert compiled.positiontup is not None
    return CompiledStatement(
        sql=compiled.string,
        names=tuple(compiled.positiontup),
        defaults=compiled.construct_params(_check=False) or {},
        processors=_bind_processors(compiled),
    )


def _bind_processors(compiled: SQLCompiler) -> dict[str, Callable[[Any], Any]]:
    processors: dict[str, Callable[[Any], Any]] = {}
    for name, process in compiled._bind_processors.items():
        # A sequence only for tuple-valued parameters, which no compiled statement has.
        assert callable(process), name
        processors[name] = cast(Callable[[Any], Any], process)
    return processors
