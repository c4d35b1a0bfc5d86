"""The cases API fuzzed from its own OpenAPI schema (DESIGN, Testing), with schemathesis.

Every operation under /api/v1/cases and /api/v1/whistles gets a few generated requests (valid and
invalid bodies, paths and queries), sent through Django's WSGI application with a district
administrator's bearer token, so the requests reach the services rather than stopping at scope.
Whatever is generated, the API must answer without a server error, and a JSON answer that the
schema describes must match it. Bounded (a few examples per operation) so it runs in seconds on
SQLite; raise FUZZ_EXAMPLES locally for a longer run."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from jiceng.accounts.api_auth import token_digest, token_new_value
from jiceng.accounts.models import ApiToken
from jiceng.cases.models import DispatchCatalogue

from .test_case_services import make_category, report

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))


def _schema():
    # The schema the API itself serves at /api/v1/openapi.json, built without a request (collection
    # time has no database); requests go through the project's WSGI application.
    from django.urls import reverse

    from jiceng.api import api

    root = reverse("api:api-root")  # loading the URLs mounts the API
    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix=root))
    loaded.app = get_wsgi_application()
    return loaded


@pytest.fixture
def bearer(district, personas) -> dict[str, str]:
    # Something real to act on: a category with a catalogue entry and a registered case.
    category = make_category()
    DispatchCatalogue.objects.create(category=category, area=district.s1, unit=district.department)
    report(personas.community_a, category)
    value = token_new_value()
    ApiToken.objects.create(user=personas.district_admin, name="fuzz", prefix=value[:8], digest=token_digest(value))
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture
def keep_connection():
    """The WSGI handler closes the database connection when a request finishes; inside a test that is
    the test's transaction (on PostgreSQL the next query fails). Django's own test client unhooks the
    same signal handlers for the length of a request; here for the length of the test."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = _schema().include(path_regex=r"^/api/v1/(cases|whistles)(/|$)")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_cases_api_never_fails_on_generated_input(case, bearer, keep_connection):
    response = case.call(headers=bearer)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


# What the fuzzer found, kept as plain tests so they hold whatever the examples drawn next time.

@pytest.mark.parametrize("start, end", [("0001-01-01", "0008-04-01"), ("9999-12-31", "9999-12-31")])
def test_department_statistics_take_any_calendar_day(client, bearer, personas, start, end):
    """A period at the edge of the calendar was a server error (the day after 9999-12-31, or 0001-01-01
    shifted from Shanghai to UTC, does not exist); it is an empty period like any other without whistles."""
    r = client.get("/api/v1/whistles/stats", {"start": start, "end": end}, HTTP_AUTHORIZATION=bearer["Authorization"])
    assert r.status_code == 200 and r.json() == [], r.content
    client.force_login(personas.subdistrict_staff)
    assert client.get("/cases/whistles/stats/", {"start": start, "end": end}).status_code == 200
