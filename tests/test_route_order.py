"""Literal path segments are routed before templated ones, so no literal path is ever shadowed."""

from __future__ import annotations

import collections

import pytest
from starlette.routing import Match

from generated.routes import build_routes
from impl.contract import CONTRACT
from kit.paths import AllowTable, AmbiguousRoutes, route_order
from kit.routing import OperationRoute, RouteTable
from tests.support import http_scope

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def test_a_literal_segment_comes_before_a_template_at_the_same_position() -> None:
    paths = ["/api/tasks/{task_id}", "/api/tasks/{task_id}/complete", "/api/tasks/completed", "/api/tasks"]
    ordered = route_order(paths)
    assert ordered.index("/api/tasks/completed") < ordered.index("/api/tasks/{task_id}")
    assert sorted(ordered) == sorted(paths)


def test_two_templates_of_the_same_shape_are_refused() -> None:
    with pytest.raises(AmbiguousRoutes):
        route_order(["/api/tasks/{task_id}", "/api/tasks/{id}"])


def test_the_allow_table_answers_for_the_literal_path_not_the_template() -> None:
    table = AllowTable({"/api/tasks/{task_id}": ["GET", "DELETE"], "/api/tasks/completed": ["DELETE"]})
    assert table.allowed("/api/tasks/completed") == ["DELETE"]
    assert table.allowed("/api/tasks/7") == ["GET", "DELETE"]
    assert table.allowed("/nowhere") == []


def test_the_generated_route_table_lists_routes_in_route_order() -> None:
    routes = build_routes(contract=CONTRACT, tasks=object, sync=object, health=object, current_user=object)  # type: ignore[arg-type]
    registered = list(dict.fromkeys(getattr(route, "path", None) for route in routes))
    assert registered == route_order(CONTRACT.path_methods)


def _linear_choice(routes: list[OperationRoute], scope: dict[str, object]) -> tuple[Match, object]:
    """What a router trying every route in turn picks: the first full match, else the first partial."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return match, route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return (Match.PARTIAL, partial) if partial is not None else (Match.NONE, None)


def test_the_route_table_picks_what_trying_every_route_in_turn_would_pick() -> None:
    routes = build_routes(contract=CONTRACT, tasks=object, sync=object, health=object, current_user=object)  # type: ignore[arg-type]
    table = RouteTable(routes)
    concrete = {path.replace("{task_id}", "7") for path in CONTRACT.path_methods}
    odd = {"/", "/api", "/api/tasks/", "/api/tasks/7/", "/api/tasks/x/complete", "/nowhere"}
    paths = sorted(concrete | odd)
    cases = [(path, method, root) for path in paths for method in METHODS for root in ("", "/prefix")]
    decided: collections.Counter[Match] = collections.Counter()
    for path, method, root_path in cases:
        scope = http_scope(method, root_path + path, []) | {"root_path": root_path}
        expected, expected_route = _linear_choice(routes, scope)
        match, child_scope = table.matches(scope)
        assert (match, child_scope.get("route")) == (expected, expected_route), (method, root_path, path)
        decided[match] += 1
    # Every kind of decision was compared, not only misses.
    assert set(decided) == {Match.FULL, Match.PARTIAL, Match.NONE}, decided
