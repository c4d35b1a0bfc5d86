"""Runs this app's access cases (the project-wide matrix runs them too) and checks that every
route of the app has a case."""

from __future__ import annotations

import json

import pytest

from jiceng.areas import urls as area_urls
from jiceng.areas.api import router
from jiceng.testing import PERSONAS

from .access_cases import CASES


def _request(client, case, url):
    method = getattr(client, case.method)
    if case.method == "get":
        return method(url)
    if case.route.startswith("api:"):
        return method(url, json.dumps(case.data or {}), content_type="application/json")
    return method(url, case.data or {})


@pytest.mark.parametrize("case", CASES, ids=[c.route for c in CASES])
def test_access(case, district, personas, client):
    assert set(case.allowed).isdisjoint(case.denied)
    assert set(case.allowed) | set(case.denied) == set(PERSONAS), "every persona needs a verdict"
    url = case.url(district)
    for name in PERSONAS:
        client.force_login(getattr(personas, name))
        status = _request(client, case, url).status_code
        if name in case.denied:
            assert status == 404, f"{name} should get 404 from {url}, got {status}"
        else:
            assert status != 404 and status < 500, f"{name} should reach {url}, got {status}"


def test_every_route_has_a_case():
    routes = {c.route for c in CASES}
    pages = {f"areas:{p.name}" for p in area_urls.urlpatterns}
    api = {
        f"api:{method} /api/v1/areas{path}"
        for path, path_view in router.path_operations.items()
        for op in path_view.operations
        for method in op.methods
    }
    assert pages | api == routes
