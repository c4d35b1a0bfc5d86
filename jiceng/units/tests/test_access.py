"""Runs this app's access cases (the project-wide matrix runs them too) and checks that every route
of the app has one, and that every persona gets a verdict."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jiceng.testing import PERSONAS
from jiceng.units import urls as units_urls
from jiceng.units.api import router

from .access_cases import CASES


def _request(client, case, url):
    if case.method == "get":
        return client.get(url, case.data or {})
    if case.route.startswith("api:"):
        return getattr(client, case.method)(url, json.dumps(case.data or {}), content_type="application/json")
    return getattr(client, case.method)(url, case.data or {})


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.route}" for c in CASES])
def test_access(case, district, personas):
    assert set(case.allowed).isdisjoint(case.denied)
    assert set(case.allowed) | set(case.denied) == set(PERSONAS), "every persona needs a verdict"
    url = case.url(district)
    failures = []
    for name in (*case.denied, *case.allowed):  # denied first: an allowed write must not change their answer
        client = Client()
        client.force_login(getattr(personas, name))
        status = _request(client, case, url).status_code
        if name in case.denied and status != 404:
            failures.append(f"{name}: expected 404, got {status}")
        if name in case.allowed and (status == 404 or status >= 500):
            failures.append(f"{name}: expected access, got {status}")
    assert not failures, f"{case.method} {url}\n" + "\n".join(failures)


def test_every_route_has_a_case():
    routes = {c.route for c in CASES}
    pages = {f"units:{p.name}" for p in units_urls.urlpatterns}
    api = {
        f"api:{method} /api/v1/units{path}"
        for path, path_view in router.path_operations.items()
        for op in path_view.operations
        for method in op.methods
    }
    assert pages | api == routes
