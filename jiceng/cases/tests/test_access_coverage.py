"""The cases app's part of the scope matrix, checked mechanically against its URL conf and state machine.

The global matrix (accounts/tests/test_access_matrix.py) fails for a named route with no case. This goes
further for the routes of this app (/cases/, /r/, /open311/v2/ and /api/v1/cases, /api/v1/whistles):
- every URL pattern, named or not, has an access case;
- every case that is not public names at least one persona who must get 404, so no route is tested
  only with the people who may see it;
- every route whose view accepts POST has a POST case (the write is tested, not only the page);
- every transition of the workflow is tried, on the page route and on the API route, by its case.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from jiceng.accounts.tests.test_access_matrix import CASES, _plain, api_operations
from jiceng.cases import workflow

NAMESPACES = ("cases", "resident", "open311")
API_PREFIXES = ("/api/v1/cases", "/api/v1/whistles")


def _patterns(patterns, namespace: str = "", prefix: str = ""):
    """(route name or None, full regex, view) for every pattern, walking includes."""
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            yield from _patterns(p.url_patterns, ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if p.name else None
            yield namespace, name, prefix + str(p.pattern), p.callback


def app_patterns():
    return [(name, regex, view) for ns, name, regex, view in _patterns(get_resolver().url_patterns)
            if ns in NAMESPACES]


def _accepts_post(view) -> bool:
    """Django's require_POST / require_http_methods leave the allowed methods in the closure; a view with
    no such decorator may take either, and says so by reading request.method."""
    import inspect

    seen = view
    while seen is not None:
        for cell in getattr(seen, "__closure__", None) or ():
            contents = cell.cell_contents
            if isinstance(contents, (list, tuple, set, frozenset)) and contents and all(
                    isinstance(m, str) and m.isupper() for m in contents):
                return "POST" in contents
        seen = getattr(seen, "__wrapped__", None)
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return False
    return 'method == "POST"' in source or "request.POST" in source or "request.FILES" in source


def test_every_url_pattern_of_the_app_is_named_and_has_an_access_case(db):
    covered = {c.route for c in CASES}
    unnamed = sorted(regex for name, regex, _view in app_patterns() if name is None)
    missing = sorted(name for name, _regex, _view in app_patterns() if name and name not in covered)
    assert not unnamed, "URL patterns without a name escape the access matrix:\n  " + "\n  ".join(unnamed)
    assert not missing, "No access case covers:\n  " + "\n  ".join(missing)


def test_every_api_operation_of_the_app_has_an_access_case(db):
    covered = {_plain(c.route) for c in CASES if c.route.startswith("api:")}
    ours = {op for op in api_operations() if op.split(" ", 1)[1].startswith(API_PREFIXES)}
    assert ours, "the walk found no operation of the app"
    missing = sorted(ours - covered)
    assert not missing, "No access case covers:\n  " + "\n  ".join(missing)


def _app_cases():
    names = {name for name, _r, _v in app_patterns()}
    return [c for c in CASES if c.route in names
            or (c.route.startswith("api:") and c.route.split(" ", 1)[1].startswith(API_PREFIXES))]


def test_every_case_names_someone_who_must_not_see_it(db):
    lonely = sorted({f"{c.method.upper()} {c.route}" for c in _app_cases() if not c.public and not c.denied})
    assert not lonely, "Cases that deny no persona:\n  " + "\n  ".join(lonely)


def test_every_route_that_takes_a_post_has_a_post_case(db):
    posted = {c.route for c in CASES if c.method.lower() == "post"}
    missing = sorted(name for name, _r, view in app_patterns() if _accepts_post(view) and name not in posted)
    assert not missing, "Routes that accept POST with no POST access case:\n  " + "\n  ".join(missing)


@pytest.mark.parametrize("route, pattern", [
    ("cases:case_act", r"/cases/GL\d{13}/(?P<action>[a-z]+)/$"),
    ("api:POST /api/v1/cases/items/{number}/{action}", r"/api/v1/cases/items/GL\d{13}/(?P<action>[a-z_]+)$"),
])
def test_every_transition_has_an_access_case_on_each_route(route, pattern, district, personas):
    tried = set()
    for case in CASES:
        if case.route == route:
            match = re.search(pattern, case.url(district))
            assert match, (route, case.url(district))
            tried.add(match["action"])
    missing = sorted(set(workflow.ACTIONS) - tried)
    assert not missing, f"{route}: transitions with no access case: {missing}"


def test_transition_cases_start_from_the_state_and_version_they_claim(district, personas):
    """Otherwise an allowed persona's 'access' would only be a conflict message, not the action."""
    from jiceng.cases.models import Case

    from .access_cases_actions import MATRIX, VERSION, case_at

    for action, state, _allowed in MATRIX:
        case = Case.objects.get(number=case_at(district, state))
        assert (case.state, case.version) == (state, VERSION[state]), action
        assert workflow.next_state(state, action), (state, action)
