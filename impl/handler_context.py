"""How a generated route opens the handler of its operation's tag for one request."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

from starlette.requests import Request

from impl.db import RequestDatabase, request_database

Handler = TypeVar("Handler")
HandlerFactory = Callable[[RequestDatabase, Request], Handler]


class OpenHandler(Generic[Handler]):
    """`async with opened as handler`: the handler built on the request's database, committed when the
    block completes and returned to the pool either way (`request_database`). The generated routes
    render inside the block, so the commit runs before the response is sent.

    A class rather than a generator context manager: it is entered on every request, and a generator
    context costs several more calls each time.
    """

    __slots__ = ("_build", "_database", "_request")

    def __init__(self, build: HandlerFactory[Handler], request: Request) -> None:
        self._build = build
        self._request = request
        self._database: RequestDatabase | None = None

    async def __aenter__(self) -> Handler:
        self._database = request_database(self._request)
        return self._build(await self._database.__aenter__(), self._request)

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self._database is not None, "entered before it is left"
        await self._database.__aexit__(kind, error, trace)


def handler_context(build: HandlerFactory[Handler]) -> Callable[[Request], OpenHandler[Handler]]:
    """What the generated routes call to open a tag's handler for a request, from how to build it."""

    def opened(request: Request) -> OpenHandler[Handler]:
        return OpenHandler(build, request)

    return opened
