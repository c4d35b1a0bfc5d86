import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.accounts.models import AuditEvent, AuditKind
from jiceng.core.excel import XLSX
from jiceng.party.models import PartyOrg, Position

from .helpers import members, position, residents


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_tree_page_shows_roots_with_lazy_children(district, personas, login):
    client = login(personas.community_a)
    body = client.get(reverse("party:tree")).content.decode()
    assert district.orgs["a"].committee.name in body
    assert reverse("party:children", args=[district.orgs["a"].committee.pk]) in body
    assert district.orgs["b"].committee.name not in body
    partial = client.get(reverse("party:children", args=[district.orgs["a"].committee.pk])).content.decode()
    assert district.orgs["a"].general.name in partial
    assert "<html" not in partial


def test_tree_search_and_export(district, personas, login):
    client = login(personas.subdistrict_staff)
    body = client.get(reverse("party:tree"), {"kind": "branch"}).content.decode()
    assert district.orgs["a"].branch.name in body and district.orgs["b"].branch.name in body
    assert district.orgs["a"].group.name not in body
    response = client.get(reverse("party:tree"), {"q": "A社区", "format": "xlsx"})
    assert response["Content-Type"] == XLSX
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    codes = {r[0] for r in rows[1:]}
    assert district.orgs["a"].group.code in codes and district.orgs["b"].group.code not in codes
    group_row = next(r for r in rows if r[0] == district.orgs["a"].group.code)
    assert group_row[3] == district.orgs["a"].branch.code  # parent code
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, action="party_org.export", actor=personas.subdistrict_staff)


def test_detail_shows_positions_due_badge_and_part_time(district, personas, login):
    org = district.orgs["a"].committee
    p1, p2 = residents(district.a.building, 2)
    position(org, p1, days_left=-3, title="secretary")
    position(org, p2, days_left=500, is_part_time=True, source_unit=district.property_company)
    body = login(personas.community_a).get(reverse("party:detail", args=[org.pk])).content.decode()
    assert p1.name in body and p2.name in body
    assert "Re-election overdue" in body
    assert district.property_company.name in body
    assert reverse("party:create_child", args=[org.pk]) in body  # staff may change
    body = login(personas.department).get(reverse("party:detail", args=[org.pk])).content.decode()
    assert reverse("party:create_child", args=[org.pk]) not in body  # a department only looks


def test_members_page_masked_filtered_exported(district, personas, login):
    org = district.orgs["a"].committee
    people = residents(district.a.building, 3)
    members(district.orgs["a"].group, people, category="retired")
    client = login(personas.community_a)
    body = client.get(reverse("party:members", args=[org.pk]), {"category": "retired"}).content.decode()
    assert all(p.name in body for p in people)
    assert district.a.resident.name not in body  # in-service, filtered out
    assert "139****0100" in body and "13900000100" not in body
    response = client.get(reverse("party:members", args=[org.pk]), {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert len(rows) == 1 + 4
    assert all("****" in (r[1] or "****") for r in rows[1:])
    assert "13900000100" not in str(rows)
    # A grid worker may look but not export.
    grid = login(personas.grid_worker)
    general_members = reverse("party:members", args=[district.orgs["a"].general.pk])
    assert grid.get(general_members).status_code == 200
    assert grid.get(general_members, {"format": "xlsx"}).status_code == 404


def test_due_page(district, personas, login):
    p = residents(district.a.building, 1)[0]
    position(district.orgs["a"].branch, p, days_left=10)
    client = login(personas.community_a)
    body = client.get(reverse("party:due")).content.decode()
    assert p.name in body and "Re-election due within 90 days" in body
    assert p.name not in login(personas.community_b).get(reverse("party:due")).content.decode()
    assert client.get(reverse("party:due"), {"format": "xlsx"})["Content-Type"] == XLSX


def test_create_child_form(district, personas, login):
    parent = district.orgs["a"].general
    client = login(personas.community_a)
    url = reverse("party:create_child", args=[parent.pk])
    form = client.get(url).content.decode()
    assert 'value="branch"' in form and 'value="group"' not in form  # only kinds allowed under a general branch
    data = {"kind": "branch", "name": "新支部", "code": district.orgs["b"].branch.code, "area": district.a.compound.pk}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    # An area outside the user's scope is not even offered.
    response = client.post(url, {**data, "code": "P-NEW", "area": district.b.compound.pk})
    assert response.status_code == 200 and not PartyOrg.objects.filter(code="P-NEW").exists()
    response = client.post(url, {**data, "code": "P-NEW", "founded_on": "2020-05-04"})
    org = PartyOrg.objects.get(code="P-NEW")
    assert response.status_code == 302 and response["Location"] == reverse("party:detail", args=[org.pk])
    assert org.get_parent().pk == parent.pk and org.founded_on == date(2020, 5, 4)


def test_position_assign_and_end_forms(district, personas, login):
    from jiceng.testing import make_id_number

    org = district.orgs["a"].branch
    client = login(personas.community_a)
    url = reverse("party:position_assign", args=[org.pk])
    data = {"id_number": make_id_number("19800101", 12), "title": "secretary", "term_start": "2024-01-01",
            "term_end": "2023-01-01"}
    body = client.post(url, data).content.decode()
    assert "The term must end after it starts." in body
    body = client.post(url, {**data, "id_number": "350102198001010000"}).content.decode()
    assert "check digit" in body
    response = client.post(url, {**data, "term_end": "2027-01-01", "is_part_time": "on",
                                 "source_unit": district.property_company.pk})
    assert response.status_code == 302
    pos = Position.objects.get(org=org)
    assert pos.person == district.b.resident and pos.is_part_time  # found by exact ID number
    response = client.post(reverse("party:position_end", args=[pos.pk]), {"ended_on": "2025-02-01"})
    assert response.status_code == 302
    pos.refresh_from_db()
    assert pos.ended_on == date(2025, 2, 1)
    assert login(personas.community_b).post(
        reverse("party:position_end", args=[pos.pk]), {"ended_on": "2025-02-01"}
    ).status_code == 404


def test_anonymous_is_sent_to_login(district, client):
    response = client.get(reverse("party:detail", args=[district.orgs["a"].committee.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_lists_run_a_fixed_number_of_queries(district, personas, login):
    """2 rows and 30 rows cost the same number of queries on every Party list page."""
    org = district.orgs["a"].branch
    client = login(personas.community_a)
    people = residents(district.a.building, 30)
    members(org, people[:2])
    for i, p in enumerate(people[:2]):
        position(org, p, days_left=i + 1, is_part_time=True, source_unit=district.property_company)
    for i in range(2):
        PartyOrg.objects.add_child(PartyOrg.objects.get(pk=org.pk), {
            "kind": "group", "name": f"g{i}", "code": f"PG{i}", "area": district.a.building,
            "area_path": district.a.building.path})
    urls = [
        reverse("party:members", args=[org.pk]),
        reverse("party:due"),
        reverse("party:detail", args=[org.pk]),
        reverse("party:children", args=[org.pk]),
        reverse("party:tree") + "?kind=group",
    ]
    _queries(client, urls[0])  # warm the session
    few = [_queries(client, url) for url in urls]
    members(org, people[2:])
    for i, p in enumerate(people[2:]):
        position(org, p, days_left=i + 3, is_part_time=True, source_unit=district.property_company)
    for i in range(2, 30):
        PartyOrg.objects.add_child(PartyOrg.objects.get(pk=org.pk), {
            "kind": "group", "name": f"g{i}", "code": f"PG{i}", "area": district.a.building,
            "area_path": district.a.building.path})
    many = [_queries(client, url) for url in urls]
    assert few == many


def test_member_add_form(district, personas, login):
    from jiceng.party.models import Member
    from jiceng.testing import make_id_number

    org = district.orgs["a"].group
    client = login(personas.community_a)
    url = reverse("party:member_add", args=[org.pk])
    assert url in client.get(reverse("party:members", args=[org.pk])).content.decode()
    data = {"id_number": make_id_number("19800101", 12), "category": "retired", "status": "probationary",
            "full_on": "2024-01-01"}
    body = client.post(url, data).content.decode()
    assert "A probationary member has no full membership date yet." in body
    assert "A probationary member needs the date they joined." in body
    response = client.post(url, {**data, "full_on": "", "joined_on": "2025-07-01"})
    assert response.status_code == 302
    member = Member.objects.get(person=district.b.resident)
    assert member.org == org and member.area_path == org.area_path
    body = client.post(url, {**data, "full_on": "", "joined_on": "2025-07-01"}).content.decode()
    assert "already a Party member" in body


def test_edit_form(district, personas, login):
    org = district.orgs["a"].branch
    client = login(personas.community_a)
    url = reverse("party:edit", args=[org.pk])
    assert url in client.get(reverse("party:detail", args=[org.pk])).content.decode()
    body = client.post(url, {"name": "新名称", "founded_on": "2999-01-01"}).content.decode()
    assert "The founding date cannot be in the future." in body
    response = client.post(url, {"name": "新名称", "unit": district.property_company.pk, "founded_on": "2001-07-01"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.unit, str(org.founded_on)) == ("新名称", district.property_company, "2001-07-01")
    event = AuditEvent.objects.get(action="party_org.update", object_id=str(org.pk))
    assert event.changes["unit"] == ["", district.property_company.code]
