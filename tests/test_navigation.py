"""The menu and the search scopes come from the permission predicates, not from lists of their own."""

from __future__ import annotations

import pytest

from supervision import permissions
from supervision.models.org import Role, User
from supervision.search.service import scope_for
from supervision.web import NAVIGATION, navigation_for


def user(role: Role) -> User:
    return User(role=role, active=True, department_id=7)


@pytest.mark.parametrize("role", list(Role))
def test_the_menu_offers_exactly_the_pages_the_role_may_open(app, role):
    offered = {endpoint for endpoint, _ in navigation_for(user(role))}
    for endpoint, _ in NAVIGATION:
        view = app.view_functions[endpoint]
        allowed = getattr(view, "permission", lambda u: True)(user(role))
        assert (endpoint in offered) is allowed, (role, endpoint)


def test_intake_is_offered_the_notices_it_may_read(app):
    assert permissions.can_list_rectification(user(Role.INTAKE))
    assert ("rectification.index", "整改通知") in navigation_for(user(Role.INTAKE))


def test_a_page_added_with_requires_carries_its_predicate(app):
    assert app.view_functions["admin.users"].permission is permissions.can_administer


@pytest.mark.parametrize(("role", "departments", "identity", "kinds"), [
    (Role.SUPERVISOR, None, True, {"matter", "notice", "talk", "clue", "task_item", "task"}),
    (Role.LEADER, None, True, {"matter", "notice", "talk", "clue", "task_item", "task"}),
    (Role.INTAKE, None, True, {"matter", "notice", "clue", "task_item", "task"}),
    (Role.DEPT_HEAD, {7}, False, {"matter", "notice", "task"}),  # never a clue (SPEC §12), never an item: its tasks
])
def test_search_scope_follows_the_permissions(role, departments, identity, kinds):
    scope = scope_for(user(role))
    assert scope.departments == (None if departments is None else frozenset(departments))
    assert scope.include_identity is identity and scope.kinds == frozenset(kinds)


def test_the_administrator_searches_no_case_content():
    assert scope_for(user(Role.ADMIN)) is None
