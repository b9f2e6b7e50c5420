"""Route order and the 405 `Allow` table, both from the contract's path templates.

A router tries routes in order, so `/api/tasks/completed` placed after `/api/tasks/{task_id}`
would never be reached. Literal segments therefore come before templated ones, position by
position; two templates of the same shape (`/a/{x}` and `/a/{y}`) can never be told apart and
are refused.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping


class AmbiguousRoutes(ValueError):
    """Two path templates match exactly the same URLs."""


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/")


def _is_template(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _shape(path: str) -> tuple[str | None, ...]:
    return tuple(None if _is_template(segment) else segment for segment in _segments(path))


def _specificity(path: str) -> tuple[tuple[int, str], ...]:
    return tuple((1, "") if _is_template(segment) else (0, segment) for segment in _segments(path))


def route_order(paths: Iterable[str]) -> list[str]:
    """`paths` in the order a router must try them: literal segments before templated ones."""
    ordered = sorted(paths, key=_specificity)
    for before, after in itertools.pairwise(ordered):
        if _shape(before) == _shape(after):
            raise AmbiguousRoutes(f"{before} and {after} match the same requests")
    return ordered


def _matcher(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$")


def shadowed_paths(paths: Iterable[str]) -> list[str]:
    """The paths a template also matches (`/api/tasks/completed` by `/api/tasks/{task_id}`).

    A router that finds no route for a request's method on such a path goes on to the template, where
    the literal segment becomes a bad parameter (400); a route answering 405 for the other methods,
    placed before the template, keeps the answer a 405 with the path's own `Allow`.
    """
    paths = list(paths)
    templates = [(path, _matcher(path)) for path in paths if "{" in path]
    return [path for path in paths if any(other != path and m.match(path) for other, m in templates)]


class AllowTable:
    """The methods a path documents, for the `Allow` header of a 405."""

    def __init__(self, path_methods: Mapping[str, list[str]]) -> None:
        self._table = [(_matcher(path), path_methods[path]) for path in route_order(path_methods)]

    def allowed(self, path: str) -> list[str]:
        return next((methods for matcher, methods in self._table if matcher.match(path)), [])
