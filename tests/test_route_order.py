"""Literal path segments are routed before templated ones, so no literal path is ever shadowed."""

from __future__ import annotations

import pytest

from generated.routes import build_routes
from impl.contract import CONTRACT
from kit.paths import AllowTable, AmbiguousRoutes, route_order


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
