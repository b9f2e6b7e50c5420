"""Routes of contract operations without a framework's per-request machinery.

A generated route is one plain async function per operation: it reads the operation's path, query
and header parameters into the model generated from the contract's parameter schemas (one pydantic
validation, with the same rules and messages a framework would apply to each parameter), calls the
handler and renders its answer. Nothing is solved per request: what each operation reads was
decided when the route table was generated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as ModelError
from starlette._utils import is_async_callable
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send

from kit.problems import FieldError, InvalidRequest

PARAMETERS_MISMATCH = "The request parameters do not match the contract."
Parameters = TypeVar("Parameters", bound=BaseModel)


class ParameterReader(Generic[Parameters]):
    """Reads one operation's parameters from a request into its generated model, or raises a 400
    naming each parameter that breaks the contract (`query/limit`, `header/if-match`, `path/task_id`).

    Names are the contract's (headers lower-cased); the model's fields carry them as aliases. An
    absent parameter is left out, so the model's default (the contract's) applies; a repeated query
    parameter counts with its last value.

    The models are frozen, and the reading of a request's raw parameters (its path parameters, query
    string and the named headers, as sent) is remembered: clients send the same few parameter sets
    over and over (`?limit=50`), and validating one costs more than looking it up. Only short inputs
    are remembered, at most `MEMO_SIZE` of them per operation, the oldest forgotten first; a refusal
    is never remembered.
    """

    MEMO_SIZE = 256
    MEMO_MAX_INPUT_BYTES = 256

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
        self._header_names = frozenset(name.encode("latin-1") for name in header)
        self._memo: dict[tuple[Any, ...], Parameters] = {}

    def read(self, request: Request) -> Parameters:
        key = self._raw(request.scope)
        remembered = self._memo.get(key) if key is not None else None
        if remembered is not None:
            return remembered
        parameters = self._validated(request)
        if key is not None:
            if len(self._memo) >= self.MEMO_SIZE:
                del self._memo[next(iter(self._memo))]
            self._memo[key] = parameters
        return parameters

    def _raw(self, scope: Scope) -> tuple[Any, ...] | None:
        """What the parameters are read from, as sent; None when it is too long to remember."""
        path_params = scope.get("path_params", {})
        path = tuple(path_params.get(name) for name in self._path)
        query: bytes = scope["query_string"] if self._query else b""
        headers = tuple((name, value) for name, value in scope["headers"] if name in self._header_names)
        size = len(query) + sum(len(str(value)) for value in path) + sum(len(value) for _, value in headers)
        return (path, query, headers) if size <= self.MEMO_MAX_INPUT_BYTES else None

    def _validated(self, request: Request) -> Parameters:
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
    path template.

    It calls its endpoint and sends the response it returns; an exception goes to the application's
    error handlers (Starlette's exception middleware, which the whole router runs inside), without
    a second copy of that wrapper around every route.
    """

    def __init__(
        self, path: str, endpoint: Callable[[Request], Awaitable[Response]], *, methods: list[str]
    ) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.methods = set(methods)
        self.app = self._respond

    async def _respond(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.endpoint(Request(scope, receive, send))
        await response(scope, receive, send)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


class RouteTable(BaseRoute):
    """The operation routes as one route of the application's router, trying for each request only
    the routes that can match its path: those of exactly that literal path and the templated ones,
    in their order (`kit.paths.route_order`). The first that matches path and method wins, else the
    first that matches the path (a 405), as a router trying every route in turn would decide.
    """

    def __init__(self, routes: Iterable[OperationRoute]) -> None:
        self.routes = tuple(routes)
        self._templated = tuple(route for route in self.routes if route.param_convertors)
        self._by_literal_path = {
            route.path: tuple(
                candidate
                for candidate in self.routes
                if candidate.path == route.path or candidate in self._templated
            )
            for route in self.routes
            if not route.param_convertors
        }

    def _candidates(self, scope: Scope) -> tuple[OperationRoute, ...]:
        if scope.get("root_path"):
            # Mounted under a prefix, the routes see the path without it: every route is tried.
            return self.routes
        return self._by_literal_path.get(scope["path"], self._templated)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        partial: tuple[Match, Scope] | None = None
        for route in self._candidates(scope):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return match, child_scope
            if match is Match.PARTIAL and partial is None:
                partial = match, child_scope
        return partial or (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The matched route put itself in the scope (OperationRoute.matches).
        route: OperationRoute = scope["route"]
        await route.handle(scope, receive, send)


class RouteDispatch:
    """The operation routes' answer to an HTTP request, with the application's exception handlers.

    For a request that one of `table`'s routes matches fully, it does in one call what Starlette's
    exception middleware, router, route table and route would do in six nested ones (each of them
    resumed again at every database round trip of the request): the route's endpoint is called and
    its response sent; an exception is rendered by the handler of its class (or, for an
    HTTPException, of its status), and one raised after the response started is an error. Any other
    request (a 404, a 405, a route outside the table) goes through `fallback`, the application's
    router, inside Starlette's own exception middleware with the same handlers.
    """

    def __init__(
        self, table: RouteTable, fallback: ASGIApp, handlers: Mapping[Any, ExceptionHandler]
    ) -> None:
        self._table = table
        self._fallback = ExceptionMiddleware(fallback, handlers)
        # The very tables Starlette's middleware looks up (its own HTTPException default included).
        self._by_class = self._fallback._exception_handlers
        self._by_status = self._fallback._status_handlers
        synchronous = [handler for handler in handlers.values() if not is_async_callable(handler)]
        if synchronous:
            raise TypeError(f"exception handlers must be async: {synchronous}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match, child_scope = self._table.matches(scope)
        if match is not Match.FULL:
            await self._fallback(scope, receive, send)
            return
        scope.update(child_scope)
        route: OperationRoute = child_scope["route"]
        started = False

        async def sender(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            response = await route.endpoint(Request(scope, receive, sender))
            await response(scope, receive, sender)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            if started:
                raise RuntimeError("Caught handled exception, but response already started.") from exc
            # Starlette's handler type admits sync and WebSocket handlers; __init__ admitted async ones only.
            answer = await handler(Request(scope, receive, sender), exc)  # type: ignore[arg-type, misc]
            if answer is not None:
                await answer(scope, receive, sender)
            # A reused exception instance would collect the tracebacks of every request it ended.
            exc.__traceback__ = None

    def _handler(self, exc: Exception) -> ExceptionHandler | None:
        if isinstance(exc, HTTPException) and exc.status_code in self._by_status:
            return self._by_status[exc.status_code]
        return next((self._by_class[cls] for cls in type(exc).__mro__ if cls in self._by_class), None)
