"""No query per row: list pages, API pages and a person's page run a fixed number of queries."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiceng.party.models import Member, Position, PositionTitle
from jiceng.people.services import person_create
from jiceng.units.models import UnitRole


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _residents(district, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        person_create(actor=None, name=f"计数{i:03d}", phone=f"139{i:08d}", home=district.a.building, room=str(i))


def test_search_page_queries_do_not_grow_with_rows(login, personas, district):
    client = login(personas.community_a)
    url = reverse("people:search")
    _residents(district, 2)
    client.get(url)  # warm the session
    small = _count(lambda: client.get(url, {"name": "计数", "size": 100}))
    _residents(district, 28, start=2)
    large = _count(lambda: client.get(url, {"name": "计数", "size": 100}))
    assert small == large
    assert large <= 12


def test_export_queries_do_not_grow_with_rows(login, personas, district):
    client = login(personas.community_a)
    url = reverse("people:search")
    _residents(district, 2)
    client.get(url)
    small = _count(lambda: client.get(url, {"name": "计数", "format": "xlsx"}))
    _residents(district, 28, start=2)
    assert _count(lambda: client.get(url, {"name": "计数", "format": "xlsx"})) == small


def test_api_search_queries_do_not_grow_with_rows(login, personas, district):
    client = login(personas.subdistrict_staff)
    url = "/api/v1/people/search?limit=100"

    def call():
        return client.post(url, {"name": "计数"}, content_type="application/json")

    _residents(district, 2)
    call()
    small = _count(call)
    _residents(district, 28, start=2)
    assert _count(call) == small


def test_person_page_queries_do_not_grow_with_posts(login, personas, district):
    person = district.b.resident  # not yet a member
    client = login(personas.community_b)
    url = reverse("people:detail", args=[person.pk])
    api_url = f"/api/v1/people/{person.pk}"
    client.get(url)
    small_page, small_api = _count(lambda: client.get(url)), _count(lambda: client.get(api_url))
    today = date.today()
    Member.objects.create(person=person, org=district.orgs["a"].branch, area_path="x", category="retired")
    for n in range(10):
        Position.objects.create(
            org=district.orgs["a"].group if n % 2 else district.orgs["b"].branch,
            person=person,
            title=PositionTitle.COMMITTEE_MEMBER,
            is_part_time=bool(n % 3),
            source_unit=district.property_company if n % 3 else None,
            term_start=today,
            term_end=today + timedelta(days=365 + n),
        )
        UnitRole.objects.create(unit=district.property_company, person=person, title=f"职务{n}")
    assert _count(lambda: client.get(url)) == small_page
    assert _count(lambda: client.get(api_url)) == small_api
