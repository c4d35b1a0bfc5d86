"""The people API: search by body, detail, create with 422 field errors, patch, reveal, me."""

from __future__ import annotations

import pytest

from jiceng.accounts.models import AuditEvent, AuditKind
from jiceng.people.models import Person
from jiceng.people.services import person_create
from jiceng.testing import make_id_number

BASE = "/api/v1/people"
PHONE = "13912340004"
ID_NUMBER = make_id_number("19700202", 246)


@pytest.fixture
def resident(district):
    return person_create(actor=None, name="陈建国", phone=PHONE, id_number=ID_NUMBER, home=district.a.building)


def _json(client, method: str, url: str, body=None, **extra):
    return getattr(client, method)(url, body, content_type="application/json", **extra)


def test_search_by_phone_in_the_body(login, personas, resident):
    client = login(personas.community_a)
    response = _json(client, "post", f"{BASE}/search", {"phone": "+86 139-1234-0004"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1 and data["items"][0]["id"] == resident.pk
    assert data["items"][0]["phone_masked"] == "139****0004"
    assert PHONE not in response.content.decode() and ID_NUMBER not in response.content.decode()
    data = _json(client, "post", f"{BASE}/search", {"id_number": ID_NUMBER}).json()
    assert [i["id"] for i in data["items"]] == [resident.pk]
    assert _json(login(personas.community_b), "post", f"{BASE}/search", {"phone": PHONE}).json()["count"] == 0


def test_search_by_name_is_paginated(login, personas, district):
    for n in range(7):
        person_create(actor=None, name=f"接口{n}", home=district.a.building)
    client = login(personas.community_a)
    data = _json(client, "post", f"{BASE}/search?limit=3&offset=3", {"name": "接口"}).json()
    assert data["count"] == 7 and [i["name"] for i in data["items"]] == ["接口3", "接口4", "接口5"]


def test_bad_number_in_search_is_422_with_field_message(login, personas):
    response = _json(
        login(personas.community_a), "post", f"{BASE}/search", {"phone": "12345"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"][-1] == "phone" and "11 digits" in detail[0]["msg"]
    assert "12345" not in response.content.decode()


def test_detail_and_out_of_scope(login, personas, resident):
    data = login(personas.community_a).get(f"{BASE}/{resident.pk}").json()
    assert data["name"] == "陈建国" and data["id_masked"] == resident.id_masked
    assert [a["kind"] for a in data["home_chain"]] == [
        "district",
        "subdistrict",
        "community",
        "grid",
        "compound",
        "building",
    ]
    assert data["sensitive_tags"] == []
    assert login(personas.subdistrict_staff).get(f"{BASE}/{resident.pk}").json()["sensitive_tags"] is None
    assert login(personas.community_b).get(f"{BASE}/{resident.pk}").status_code == 404
    assert AuditEvent.objects.filter(kind=AuditKind.SECURITY, object_id=str(resident.pk)).exists()


def test_create_with_field_errors_then_success(login, personas, district):
    client = login(personas.community_a)
    response = _json(
        client,
        "post",
        f"{BASE}/",
        {"name": "", "phone": "0591-87654321", "id_number": "35010219900101", "home_id": district.a.building.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    fields = {e["loc"][-1]: e["msg"] for e in response.json()["detail"]}
    assert set(fields) == {"name", "phone", "id_number"}
    assert "18" in fields["id_number"]
    assert not Person.objects.filter(home=district.a.building).exclude(pk=district.a.resident.pk).exists()

    response = _json(
        client,
        "post",
        f"{BASE}/",
        {
            "name": "周敏",
            "phone": "13912340005",
            "id_number": make_id_number("19920808", 888),
            "home_id": district.a.building.pk,
            "room": "1201",
        },
    )
    assert response.status_code == 201
    data = response.json()
    assert data["phone_masked"] == "139****0005" and data["birth_year"] == 1992 and data["gender"] == "female"


def test_create_outside_scope_reads_as_unknown_building(login, personas, district):
    response = _json(
        login(personas.community_b), "post", f"{BASE}/", {"name": "越界", "home_id": district.a.building.pk}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "home_id"


def test_patch(login, personas, resident):
    client = login(personas.community_a)
    response = _json(client, "patch", f"{BASE}/{resident.pk}", {"phone": "13912349999", "room": "12"})
    assert response.status_code == 200 and response.json()["phone_masked"] == "139****9999"
    response = _json(client, "patch", f"{BASE}/{resident.pk}", {"id_number": "123"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "id_number"
    resident.refresh_from_db()
    assert resident.room == "12" and resident.id_masked
    assert _json(login(personas.grid_worker), "patch", f"{BASE}/{resident.pk}", {"room": "1"}).status_code == 404


def test_reveal(login, personas, resident):
    client = login(personas.community_a)
    response = _json(client, "post", f"{BASE}/{resident.pk}/reveal", {"field": "id_number"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "reason"
    response = _json(client, "post", f"{BASE}/{resident.pk}/reveal", {"field": "id_number", "reason": "办理证明"})
    assert response.status_code == 200 and response.json() == {"field": "id_number", "value": ID_NUMBER}
    event = AuditEvent.objects.get(kind=AuditKind.REVEAL)
    assert event.reason == "办理证明" and ID_NUMBER not in str(event.changes)
    response = _json(
        login(personas.grid_worker), "post", f"{BASE}/{resident.pk}/reveal", {"field": "phone", "reason": "办理证明"}
    )
    assert response.status_code == 404


def test_me(login, personas, district):
    data = login(personas.member).get(f"{BASE}/me").json()
    assert data["id"] == district.a.resident.pk
    assert data["member"]["org_name"] == district.orgs["a"].branch.name
    assert data["member"]["category"] == "in_service"
    assert data["sensitive_tags"] is None
    assert login(personas.community_a).get(f"{BASE}/me").status_code == 404


def test_bearer_token(client, personas, resident):
    from jiceng.accounts.api_auth import token_digest, token_new_value
    from jiceng.accounts.models import ApiToken

    value = token_new_value()
    ApiToken.objects.create(user=personas.community_a, prefix=value[:8], digest=token_digest(value))
    response = client.post(
        f"{BASE}/search", {"phone": PHONE}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {value}"
    )
    assert response.status_code == 200 and response.json()["count"] == 1
    assert client.post(f"{BASE}/search", {"phone": PHONE}, content_type="application/json").status_code == 401
