"""Runs this app's access cases (the shared matrix runs them too) and checks every route is listed."""

from __future__ import annotations

import json

import pytest
from django.urls import get_resolver

from jiceng.api import api
from jiceng.testing import PERSONAS

from .access_cases import CASES


def _call(client, case, url):
    method = getattr(client, case.method)
    if url.startswith("/api/") and case.method != "get":
        return method(url, json.dumps(case.data or {}), content_type="application/json")
    if case.method == "get":
        return method(url)
    return method(url, case.data or {})


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route}")
def test_access_case(case, district, personas, client):
    assert not set(case.allowed) & set(case.denied)
    url = case.url(district)
    for name in (*case.allowed, *case.denied):
        client.force_login(getattr(personas, name))
        status = _call(client, case, url).status_code
        if name in case.denied:
            assert status == 404, f"{name} got {status} on {case.method} {url}"
        else:
            assert status not in (404, 500), f"{name} got {status} on {case.method} {url}"
        client.logout()


def test_anonymous_gets_sign_in_or_401(district, client):
    for case in CASES:
        status = _call(client, case, case.url(district)).status_code
        assert status in (302, 401, 403), (case.route, status)


def test_every_people_route_has_a_case():
    listed = {c.route for c in CASES}
    pages = {
        f"people:{name}" for name in get_resolver().namespace_dict["people"][1].reverse_dict if isinstance(name, str)
    }
    assert pages <= listed, pages - listed
    schema = api.get_openapi_schema()
    operations = {
        f"api:{method.upper()} {path}"
        for path, ops in schema["paths"].items()
        if path.startswith("/api/v1/people")
        for method in ops
    }
    assert operations <= listed, operations - listed


def test_every_persona_is_judged_for_each_route():
    for route in {c.route for c in CASES}:
        judged = set()
        for c in CASES:
            if c.route == route:
                judged |= set(c.allowed) | set(c.denied)
        assert judged == set(PERSONAS), (route, set(PERSONAS) - judged)
