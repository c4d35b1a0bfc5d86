import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.accounts.models import AuditEvent
from jiceng.testing import make_id_number
from jiceng.units import services
from jiceng.units.models import Unit

API = "/api/v1/units"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_list_detail_contacts(district, personas, login):
    unit = district.property_company
    services.contact_add(actor=None, unit=unit, name="王经理", phone="13912345678")
    client = login(personas.community_a)
    data = client.get(API, {"kind": "property_company"}).json()
    assert [u["code"] for u in data["items"]] == ["PC-A"] and data["items"][0]["contacts_count"] == 1
    detail = client.get(f"{API}/{unit.pk}").json()
    assert detail["home_area"]["code"] == district.a.compound.code
    assert detail["contacts"] == [{"id": detail["contacts"][0]["id"], "name": "王经理", "title": "",
                                   "phone_masked": "139****5678"}]
    contacts = client.get(f"{API}/{unit.pk}/contacts")
    assert "13912345678" not in contacts.content.decode()
    dept = client.get(f"{API}/{district.department.pk}").json()
    assert [a["code"] for a in dept["areas_served"]] == [district.s1.code]


def test_out_of_scope_404(district, personas, login):
    client = login(personas.community_b)
    unit = district.property_company
    for path in (f"/{unit.pk}", f"/{unit.pk}/contacts"):
        assert client.get(API + path).status_code == 404
    assert "PC-A" not in client.get(API).content.decode()
    assert login(personas.member).get(API).status_code == 404


def test_create_unit_201_422_404(district, personas, login):
    client = login(personas.community_a)
    body = {"kind": "enterprise", "name": "鼓楼科技", "code": "PC-A", "home_area_code": district.a.area.code,
            "areas_served_codes": [district.a.grid.code]}
    response = client.post(API, body, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "code"
    response = client.post(API, {**body, "kind": "club"}, content_type="application/json")
    assert response.status_code == 422
    response = client.post(API, {**body, "code": "T-1", "areas_served_codes": [district.b.area.code]},
                           content_type="application/json")
    assert response.status_code == 404  # an area out of scope is not found
    response = client.post(API, {**body, "code": "T-1"}, content_type="application/json")
    assert response.status_code == 201, response.content
    unit = Unit.objects.get(code="T-1")
    assert response.json()["areas_served"] == [{"id": district.a.grid.pk, "code": district.a.grid.code,
                                                "name": district.a.grid.name}]
    assert AuditEvent.objects.filter(action="unit.create", object_id=str(unit.pk)).exists()


def test_add_contact_and_post(district, personas, login):
    client = login(personas.community_a)
    unit = district.property_company
    response = client.post(f"{API}/{unit.pk}/contacts", {"name": "张三", "phone": "555"},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "phone"
    response = client.post(f"{API}/{unit.pk}/contacts", {"name": "张三", "phone": "0086 13912345678"},
                           content_type="application/json")
    assert response.status_code == 201 and response.json()["phone_masked"] == "139****5678"
    response = client.post(f"{API}/{unit.pk}/posts", {"id_number": make_id_number("19800101", 11), "title": "经理"},
                           content_type="application/json")
    assert response.status_code == 201 and response.json()["person_id"] == district.a.resident.pk
    response = client.post(f"{API}/{unit.pk}/posts", {"person_id": district.a.resident.pk, "title": "经理"},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "person_id"
    assert login(personas.department).post(
        f"{API}/{unit.pk}/contacts", {"name": "x"}, content_type="application/json"
    ).status_code == 404


def test_list_runs_a_fixed_number_of_queries(district, personas, login):
    client = login(personas.district_admin)
    areas = [district.a.area, district.b.area, district.c.area]

    def grow(start, stop):
        for i in range(start, stop):
            unit = services.unit_create(actor=None, kind="enterprise", name=f"企业{i:02d}", code=f"E{i:02d}",
                                        home_area=district.a.area, areas_served=areas[: i % 3 + 1])
            services.contact_add(actor=None, unit=unit, name="x")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(API, {"size": 50}).status_code == 200
        return len(ctx)

    grow(0, 2)
    count()
    few = count()
    grow(2, 30)
    assert count() == few


def test_unit_patch(district, personas, login):
    unit = district.property_company
    client = login(personas.community_a)
    response = client.patch(f"{API}/{unit.pk}", {"address": "鼓东路1号", "areas_served_codes": [district.a.grid.code]},
                            content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["address"] == "鼓东路1号"
    assert [a["code"] for a in response.json()["areas_served"]] == [district.a.grid.code]
    response = client.patch(f"{API}/{unit.pk}", {"code": "DEPT-CG"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "code"
    response = client.patch(f"{API}/{unit.pk}", {"home_area_code": district.b.area.code},
                            content_type="application/json")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="unit.update", object_id=str(unit.pk)).count() == 1
