"""The global access matrix: every page and API endpoint of every app, for every persona.

Each app lists its routes in jiceng/<app>/tests/access_cases.py (CASES of jiceng.testing.AccessCase).
For each case, every denied persona must get 404 (out of scope and lacking permission read alike)
and every allowed persona an answer that is neither 404 nor a server error. A coverage test walks the
project's URL patterns and API operations and fails, naming them, for any that no case covers.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import jiceng
from jiceng.testing import PERSONAS, AccessCase

# Named routes that are no page of the platform: the sign-in itself, the language switch, the health check
# and the API's schema and docs.
SKIP_ROUTES = {
    "accounts:login",
    "accounts:logout",
    "set_language",
    "healthz",
    "api:openapi-json",
    "api:openapi-view",
    "api:api-root",
}
SKIP_PREFIXES = ("djdt:", "static", "admin:")


def collect_cases() -> list[AccessCase]:
    cases: list[AccessCase] = []
    for path in sorted(Path(jiceng.__file__).parent.glob("*/tests/access_cases*.py")):
        module = importlib.import_module(f"jiceng.{path.parent.parent.name}.tests.{path.stem}")
        cases.extend(module.CASES)
    return cases


CASES = collect_cases()


def _case_id(case: AccessCase) -> str:
    return f"{case.method.upper()} {case.route}"


def _request(client: Client, case: AccessCase, url: str):
    method = case.method.lower()
    if case.route.startswith("api:") and method in {"post", "put", "patch", "delete"}:
        return getattr(client, method)(url, data=json.dumps(case.data or {}), content_type="application/json")
    if method == "get":
        return client.get(url, case.data or {})
    return getattr(client, method)(url, case.data or {})


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_access(case: AccessCase, district, personas):
    url = case.url(district)
    login_url = reverse("accounts:login")
    failures: list[str] = []
    # Denied first: an allowed persona's write must not change what a denied one would meet.
    for persona in (*case.denied, *case.allowed):
        client = Client()
        client.force_login(getattr(personas, persona))
        response = _request(client, case, url)
        status = response.status_code
        if persona in case.denied:
            if status != 404:
                failures.append(f"{persona}: expected 404, got {status}")
        elif status == 404 or status >= 500:
            failures.append(f"{persona}: expected access, got {status}")
        elif status in (301, 302) and response["Location"].startswith(login_url):
            failures.append(f"{persona}: sent to sign in ({response['Location']})")
    assert not failures, f"{case.method.upper()} {url}:\n" + "\n".join(failures)


def test_anonymous_visitors_are_sent_to_sign_in_or_refused(district, personas, client):
    """Without an account (a resident), every page sends to sign-in and every API call is refused,
    except the public routes (marked `public`), which must answer."""
    wrong = []
    for case in CASES:
        response = _request(client, case, case.url(district))
        status = response.status_code
        if case.public:
            to_login = status == 302 and response["Location"].startswith(reverse("accounts:login"))
            if status == 404 or status >= 500 or to_login:
                wrong.append(f"{_case_id(case)} (public): {status}")
        elif status not in (302, 401, 403):
            wrong.append(f"{_case_id(case)}: {status}")
    assert not wrong, "\n".join(wrong)


def test_cases_name_known_personas():
    for case in CASES:
        unknown = (set(case.allowed) | set(case.denied)) - set(PERSONAS)
        assert not unknown, (case.route, unknown)
        assert not set(case.allowed) & set(case.denied), case.route


def test_every_case_judges_every_persona():
    """A case that forgets a persona would let that persona's access go untested."""
    missing = [
        f"{case.method.upper()} {case.route}: {sorted(set(PERSONAS) - set(case.allowed) - set(case.denied))}"
        for case in CASES
        if set(case.allowed) | set(case.denied) != set(PERSONAS)
    ]
    assert not missing, "cases without a verdict for some personas:\n" + "\n".join(missing)


# --- coverage --------------------------------------------------------------------------------------


def _named_routes(patterns, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            if ns == "api":
                continue  # the API is walked operation by operation below
            full = f"{namespace}{ns}:" if ns else namespace
            names |= _named_routes(p.url_patterns, full)
        elif isinstance(p, URLPattern) and p.name:
            names.add(f"{namespace}{p.name}")
    return names


def project_routes() -> set[str]:
    return {
        r for r in _named_routes(get_resolver().url_patterns)
        if r not in SKIP_ROUTES and not r.startswith(SKIP_PREFIXES)
    }


def _plain(route: str) -> str:
    """"/x/{int:id}", "/x/{id}" and "/x/{id}/" are the same route."""
    route = re.sub(r"\{\w+:(\w+)\}", r"{\1}", route)
    return route.rstrip("/") if route.startswith("api:") else route


def api_operations() -> set[str]:
    """Every operation of every router mounted on the project's NinjaAPI, as "api:METHOD /api/v1/...".
    (Walks the routers rather than the OpenAPI schema, so operations hidden from the schema count too.)"""
    from jiceng.api import api

    root = reverse("api:api-root")  # loading the URLs mounts the API, which binds its routers
    ops = set()
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            full = re.sub(r"/+", "/", f"{root}/{prefix}/{path}")
            for operation in view.operations:
                for method in operation.methods:
                    ops.add(_plain(f"api:{method.upper()} {full}"))
    return ops


def _covered() -> set[str]:
    return {_plain(c.route) if c.route.startswith("api:") else c.route for c in CASES}


def uncovered() -> list[str]:
    return sorted((project_routes() | api_operations()) - _covered())


def test_every_route_and_api_operation_has_an_access_case(db):
    missing = uncovered()
    assert not missing, "No access case covers:\n  " + "\n  ".join(missing)


def test_accounts_routes_are_all_covered(db):
    """The part of the coverage this app answers for, so it holds while other apps are unfinished."""
    missing = [r for r in uncovered() if r.startswith("accounts:") or " /api/v1/accounts/" in r]
    assert not missing, "No access case covers:\n  " + "\n  ".join(missing)


def test_cases_name_real_routes(db):
    """A case for a route that does not exist (a typo) would cover nothing."""
    known = project_routes() | api_operations() | SKIP_ROUTES
    stray = sorted(r for r in _covered() if r not in known)
    assert not stray, "Access cases for unknown routes:\n  " + "\n  ".join(stray)
