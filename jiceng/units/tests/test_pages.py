import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.accounts.models import AuditEvent, AuditKind
from jiceng.core.excel import XLSX
from jiceng.party.tests.helpers import residents
from jiceng.testing import make_id_number
from jiceng.units import services
from jiceng.units.models import Contact, Unit, UnitRole


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_list_filter_and_export(district, personas, login):
    client = login(personas.community_a)
    body = client.get(reverse("units:list")).content.decode()
    assert district.property_company.name in body and district.department.name in body
    body = client.get(reverse("units:list"), {"kind": "department"}).content.decode()
    assert district.property_company.name not in body and district.department.name in body
    response = client.get(reverse("units:list"), {"q": "物业", "format": "xlsx"})
    assert response["Content-Type"] == XLSX
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert [r[2] for r in rows[1:]] == ["PC-A"]
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, action="unit.export").exists()
    assert login(personas.grid_worker).get(reverse("units:list"), {"format": "xlsx"}).status_code == 404


def test_detail_masked_contacts_and_b_sees_nothing(district, personas, login):
    unit = district.property_company
    services.contact_add(actor=None, unit=unit, name="王经理", phone="13912345678")
    body = login(personas.community_a).get(reverse("units:detail", args=[unit.pk])).content.decode()
    assert "139****5678" in body and "13912345678" not in body
    assert reverse("units:contact_add", args=[unit.pk]) in body
    assert login(personas.community_b).get(reverse("units:detail", args=[unit.pk])).status_code == 404
    assert district.property_company.name not in login(personas.community_b).get(reverse("units:list")).content.decode()


def test_create_form(district, personas, login):
    client = login(personas.community_a)
    url = reverse("units:create")
    data = {"kind": "resident_unit", "name": "鼓楼医院", "code": "PC-A", "home_area": district.a.area.pk,
            "areas_served": [district.a.grid.pk]}
    response = client.post(url, data)
    assert response.status_code == 200 and "already exists" in response.content.decode()
    response = client.post(url, {**data, "code": "H-1", "areas_served": [district.b.area.pk]})
    assert response.status_code == 200 and not Unit.objects.filter(code="H-1").exists()  # B is not offered
    response = client.post(url, {**data, "code": "H-1"})
    unit = Unit.objects.get(code="H-1")
    assert response.status_code == 302 and response["Location"] == reverse("units:detail", args=[unit.pk])
    assert list(unit.areas_served.all()) == [district.a.grid]


def test_contact_and_post_forms(district, personas, login):
    unit = district.property_company
    client = login(personas.community_a)
    response = client.post(reverse("units:contact_add", args=[unit.pk]), {"name": "张三", "phone": "1234"})
    assert response.status_code == 200 and "valid mobile phone" in response.content.decode()
    assert not Contact.objects.exists()
    response = client.post(reverse("units:contact_add", args=[unit.pk]), {"name": "张三", "phone": "13912345678"})
    assert response.status_code == 302 and Contact.objects.get().phone_masked == "139****5678"
    response = client.post(
        reverse("units:role_assign", args=[unit.pk]), {"id_number": make_id_number("19800101", 11), "title": "经理"}
    )
    assert response.status_code == 302
    assert UnitRole.objects.get().person == district.a.resident
    response = client.post(reverse("units:role_assign", args=[unit.pk]), {"id_number": "1", "title": "经理"})
    assert response.status_code == 200 and "18 characters" in response.content.decode()
    role = UnitRole.objects.get()
    end_url = reverse("units:role_end", args=[role.pk])
    assert end_url in client.get(reverse("units:detail", args=[unit.pk])).content.decode()
    assert login(personas.community_b).post(end_url, {"ended_on": "2025-01-01"}).status_code == 404
    client = login(personas.community_a)
    response = client.post(reverse("units:role_end", args=[role.pk]), {"ended_on": "2025-01-01"})
    assert response.status_code == 302
    role.refresh_from_db()
    assert str(role.ended_on) == "2025-01-01"


def test_list_and_detail_run_a_fixed_number_of_queries(district, personas, login):
    client = login(personas.subdistrict_staff)
    people = residents(district.a.building, 30)
    areas = [district.a.area, district.a.grid, district.b.area]

    def grow(start, stop):
        for i in range(start, stop):
            unit = services.unit_create(
                actor=None, kind="enterprise", name=f"企业{i:02d}", code=f"E{i:02d}", home_area=district.a.area,
                areas_served=areas[: i % 3 + 1],
            )
            services.contact_add(actor=None, unit=district.property_company, name=f"联系人{i}")
            services.unit_role_assign(actor=None, unit=district.property_company, person=people[i], title="职员")
            services.contact_add(actor=None, unit=unit, name="x")

    def count():
        out = []
        for url in (reverse("units:list"), reverse("units:detail", args=[district.property_company.pk])):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx))
        return out

    grow(0, 2)
    count()
    few = count()
    grow(2, 30)
    assert count() == few


def test_edit_form(district, personas, login):
    unit = services.unit_create(
        actor=None, kind="social_org", name="协会", code="SO-1", home_area=district.a.area,
        areas_served=[district.a.grid, district.b.area],
    )
    client = login(personas.community_a)
    url = reverse("units:edit", args=[unit.pk])
    form = client.get(url).content.decode()
    assert 'value="SO-1"' in form
    data = {"kind": "social_org", "name": "协会（改）", "code": "SO-1", "home_area": district.a.area.pk,
            "areas_served": [district.a.compound.pk]}
    response = client.post(url, {**data, "code": "PC-A"})
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert client.post(url, data).status_code == 302
    unit.refresh_from_db()
    assert unit.name == "协会（改）"
    assert set(unit.areas_served.all()) == {district.a.compound, district.b.area}  # B's kept
