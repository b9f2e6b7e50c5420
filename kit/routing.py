"""Routes of contract operations without a framework's per-request machinery.

A generated route is one plain async function per operation: it reads the operation's path, query
and header parameters into the model generated from the contract's parameter schemas (one pydantic
validation, with the same rules and messages a framework would apply to each parameter), calls the
handler and renders its answer. Nothing is solved per request: what each operation reads was
decided when the route table was generated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as ModelError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from kit.problems import FieldError, InvalidRequest

PARAMETERS_MISMATCH = "The request parameters do not match the contract."
Parameters = TypeVar("Parameters", bound=BaseModel)


class ParameterReader(Generic[Parameters]):
    """Reads one operation's parameters from a request into its generated model, or raises a 400
    naming each parameter that breaks the contract (`query/limit`, `header/if-match`, `path/task_id`).

    Names are the contract's (headers lower-cased); the model's fields carry them as aliases. An
    absent parameter is left out, so the model's default (the contract's) applies; a repeated query
    parameter counts with its last value.
    """

    def __init__(
        self,
        model: type[Parameters],
        *,
        path: tuple[str, ...] = (),
        query: tuple[str, ...] = (),
        header: tuple[str, ...] = (),
    ) -> None:
        self._model = model
        self._path, self._query, self._header = path, query, header
        self._locations = {
            name: location
            for location, names in (("path", path), ("query", query), ("header", header))
            for name in names
        }

    def read(self, request: Request) -> Parameters:
        values: dict[str, Any] = {}
        if self._path:
            path_params = request.path_params
            values.update((name, path_params[name]) for name in self._path if name in path_params)
        if self._query:
            query_params = request.query_params
            values.update((name, query_params[name]) for name in self._query if name in query_params)
        if self._header:
            headers = request.headers
            values.update((name, headers[name]) for name in self._header if name in headers)
        try:
            return self._model.model_validate(values)
        except ModelError as exc:
            raise InvalidRequest(PARAMETERS_MISMATCH, self._field_errors(exc)) from None

    def _field_errors(self, exc: ModelError) -> list[FieldError]:
        errors = []
        for error in exc.errors(include_input=False, include_url=False):
            name = str(error["loc"][0])
            errors.append(FieldError(f"{self._locations[name]}/{name}", error["msg"]))
        return errors


class OperationRoute(Route):
    """A route of the contract's paths: exactly its methods (no implicit HEAD, which the contract
    does not document), and itself in the scope as `route`, where logs, metrics and traces read its
    path template."""

    def __init__(
        self, path: str, endpoint: Callable[[Request], Awaitable[Response]], *, methods: list[str]
    ) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.methods = set(methods)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope
