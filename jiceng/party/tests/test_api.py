from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.accounts.api_auth import token_digest, token_new_value
from jiceng.accounts.models import ApiToken, AuditEvent
from jiceng.party.models import PartyOrg
from jiceng.testing import make_id_number

from .helpers import members, position, residents, today

API = "/api/v1/party"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_list_roots_detail_children(district, personas, login):
    client = login(personas.community_a)
    data = client.get(f"{API}/orgs").json()
    assert {o["code"] for o in data["items"]} == {o.code for o in vars(district.orgs["a"]).values()}
    assert data["count"] == 4
    roots = client.get(f"{API}/orgs", {"roots": "true"}).json()["items"]
    assert [o["id"] for o in roots] == [district.orgs["a"].committee.pk]
    assert roots[0]["children_count"] == 1
    committee = district.orgs["a"].committee
    p = residents(district.a.building, 1)[0]
    position(committee, p, days_left=-1, title="secretary")
    detail = client.get(f"{API}/orgs/{committee.pk}").json()
    assert detail["due_state"] == "overdue"
    assert detail["positions"][0]["person_name"] == p.name
    assert detail["member_count_subtree"] == 1
    kids = client.get(f"{API}/orgs/{committee.pk}/children").json()
    assert [k["id"] for k in kids] == [district.orgs["a"].general.pk]
    positions = client.get(f"{API}/orgs/{committee.pk}/positions").json()
    assert positions[0]["due_state"] == "overdue"
    due = client.get(f"{API}/positions/due").json()
    assert [x["person_id"] for x in due["items"]] == [p.pk]


def test_members_masked_and_filtered(district, personas, login):
    committee = district.orgs["a"].committee
    members(district.orgs["a"].group, residents(district.a.building, 2), category="retired")
    client = login(personas.community_a)
    data = client.get(f"{API}/orgs/{committee.pk}/members", {"category": "retired"}).json()
    assert data["count"] == 2
    assert all(m["phone_masked"].startswith("139****") for m in data["items"])
    assert "13900000100" not in str(client.get(f"{API}/orgs/{committee.pk}/members").content)
    assert client.get(f"{API}/orgs/{committee.pk}/members", {"category": "nonsense"}).status_code == 422


def test_out_of_scope_is_404(district, personas, login):
    client = login(personas.community_b)
    a = district.orgs["a"].committee
    for path in (f"/orgs/{a.pk}", f"/orgs/{a.pk}/children", f"/orgs/{a.pk}/positions", f"/orgs/{a.pk}/members"):
        assert client.get(API + path).status_code == 404, path
    assert client.get(f"{API}/orgs/999999").status_code == 404
    assert login(personas.auditor).get(f"{API}/orgs").status_code == 404


def test_create_org_201_and_422(district, personas, login):
    client = login(personas.community_a)
    parent = district.orgs["a"].committee
    body = {"parent_id": parent.pk, "kind": "group", "code": "P-API", "name": "x", "area_id": district.a.area.pk}
    response = client.post(f"{API}/orgs", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "kind"]
    # An area out of scope reads as not found, like any object out of scope.
    response = client.post(f"{API}/orgs", {**body, "kind": "branch", "area_id": district.b.area.pk},
                           content_type="application/json")
    assert response.status_code == 404
    response = client.post(f"{API}/orgs", {**body, "kind": "branch", "area_id": None},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "area_id"
    response = client.post(f"{API}/orgs", {**body, "kind": "branch", "code": ""}, content_type="application/json")
    assert response.status_code == 422
    by_code = {**body, "kind": "branch", "parent_id": None, "parent_code": parent.code, "area_id": None,
               "area_code": district.a.compound.code}
    response = client.post(f"{API}/orgs", by_code, content_type="application/json")
    assert response.status_code == 201, response.content
    org = PartyOrg.objects.get(code="P-API")
    assert org.area == district.a.compound
    assert response.json()["id"] == org.pk and org.get_parent().pk == parent.pk
    assert AuditEvent.objects.filter(action="party_org.create", object_id=str(org.pk)).exists()
    # B may not hang anything under A's committee: not found.
    response = login(personas.community_b).post(
        f"{API}/orgs", {**body, "kind": "branch", "code": "P-API-B", "area_id": district.b.area.pk},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_assign_and_end_position(district, personas, login):
    client = login(personas.community_a)
    org = district.orgs["a"].branch
    far = today() + timedelta(days=1000)
    body = {"id_number": make_id_number("19800101", 13), "title": "secretary", "term_start": "2024-01-01",
            "term_end": "2023-01-01"}
    response = client.post(f"{API}/orgs/{org.pk}/positions", body, content_type="application/json")
    assert response.status_code == 422
    assert [e["loc"][-1] for e in response.json()["detail"]] == ["term_end"]
    response = client.post(f"{API}/orgs/{org.pk}/positions", {**body, "id_number": "1"},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "id_number"
    response = client.post(f"{API}/orgs/{org.pk}/positions", {**body, "person_id": district.c.resident.pk},
                           content_type="application/json")
    assert response.status_code == 404  # a resident out of scope is not found by id
    response = client.post(f"{API}/orgs/{org.pk}/positions", {**body, "id_number": None},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "person_id"
    response = client.post(f"{API}/orgs/{org.pk}/positions", {**body, "term_end": far.isoformat()},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["person_id"] == district.c.resident.pk and created["due_state"] == "current"
    response = client.post(f"{API}/positions/{created['id']}/end", {"ended_on": "2025-01-01"},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["ended_on"] == "2025-01-01"
    response = client.post(f"{API}/positions/{created['id']}/end", {"ended_on": "2025-01-02"},
                           content_type="application/json")
    assert response.status_code == 422


def test_bearer_token(district, personas, client):
    value = token_new_value()
    ApiToken.objects.create(user=personas.community_a, prefix=value[:8], digest=token_digest(value))
    response = client.get(f"{API}/orgs", HTTP_AUTHORIZATION=f"Bearer {value}")
    assert response.status_code == 200 and response.json()["count"] == 4
    assert client.get(f"{API}/orgs").status_code == 401


def test_api_lists_run_a_fixed_number_of_queries(district, personas, login):
    org = district.orgs["a"].branch
    client = login(personas.community_a)
    people = residents(district.a.building, 30)
    urls = [f"{API}/orgs/{org.pk}/members", f"{API}/positions/due", f"{API}/orgs/{org.pk}/positions",
            f"{API}/orgs/{org.pk}/children", f"{API}/orgs"]

    def grow(batch, start):
        members(org, batch)
        for i, p in enumerate(batch):
            position(org, p, days_left=start + i, is_part_time=True, source_unit=district.property_company)
            PartyOrg.objects.add_child(PartyOrg.objects.get(pk=org.pk), {
                "kind": "group", "name": p.name, "code": f"PG{start + i}", "area": district.a.building,
                "area_path": district.a.building.path})

    def count():
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx))
        return out

    grow(people[:2], 0)
    count()
    few = count()
    grow(people[2:], 2)
    assert count() == few


def test_member_create_and_transfer(district, personas, login):
    from jiceng.party.models import Member

    client = login(personas.community_a)
    org = district.orgs["a"].group
    body = {"id_number": make_id_number("19800101", 12), "category": "mobile", "status": "probationary"}
    response = client.post(f"{API}/orgs/{org.pk}/members", body, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "joined_on"
    response = client.post(f"{API}/orgs/{org.pk}/members", {**body, "joined_on": "2025-07-01"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    member_id = response.json()["id"]
    # Community A cannot transfer the member to B's branch: not found.
    response = client.patch(f"{API}/members/{member_id}", {"org_code": district.orgs["b"].branch.code},
                            content_type="application/json")
    assert response.status_code == 404
    response = client.patch(f"{API}/members/{member_id}", {"status": "full", "full_on": "2025-12-01"},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "full"
    subdistrict = login(personas.subdistrict_staff)
    response = subdistrict.patch(f"{API}/members/{member_id}", {"org_code": district.orgs["b"].branch.code},
                                 content_type="application/json")
    assert response.status_code == 200 and response.json()["org_id"] == district.orgs["b"].branch.pk
    assert Member.objects.get(pk=member_id).area_path == district.orgs["b"].branch.area_path
    response = subdistrict.patch(f"{API}/members/{member_id}", {"full_on": None, "status": "probationary",
                                                                "joined_on": None}, content_type="application/json")
    assert response.status_code == 422
    assert login(personas.community_a).get(f"{API}/orgs/{district.orgs['a'].committee.pk}/members").json()[
        "count"] == 1  # transferred out of A


def test_org_patch(district, personas, login):
    org = district.orgs["a"].branch
    client = login(personas.community_a)
    response = client.patch(f"{API}/orgs/{org.pk}", {"name": "改名支部", "unit_code": "PC-A"},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["name"] == "改名支部"
    assert response.json()["unit_id"] == district.property_company.pk
    response = client.patch(f"{API}/orgs/{org.pk}", {"founded_on": "2999-01-01"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "founded_on"
    response = client.patch(f"{API}/orgs/{org.pk}", {"unit_id": None}, content_type="application/json")
    assert response.status_code == 200 and response.json()["unit_id"] is None
    assert login(personas.grid_worker).patch(
        f"{API}/orgs/{org.pk}", {"name": "x"}, content_type="application/json"
    ).status_code == 404
