"""The case API: report, inbox (fixed queries), detail, actions with 409 on conflict, 422 on bad input,
404 out of scope; the catalogue endpoints."""

from __future__ import annotations

import json

import pytest

from jiceng.cases import case_services as svc
from jiceng.cases.models import Case, CaseState, DispatchCatalogue

from .test_case_services import OUTSIDE, POINT_A, cat, report  # noqa: F401

pytestmark = pytest.mark.django_db
API = "/api/v1/cases"


def post(client, url: str, data: dict):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_report_and_detail(login, personas, district, cat):  # noqa: F811
    client = login(personas.community_a)
    r = post(client, f"{API}/reports", {"channel": "hotline_12345", "category_id": cat.pk, "description": "噪音扰民",
                                         "lat": POINT_A[0], "lng": POINT_A[1], "source_ref": "HL-20261122-1",
                                         "reporter_phone": "13812345678"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "registered" and body["reporter_phone"] == "138****5678"
    assert body["actions"] == ["dispatch"] and body["events"][0]["transition"] == "report"
    r = client.get(f"{API}/items/{body['number']}")
    assert r.status_code == 200 and r.json()["source_ref"] == "HL-20261122-1"
    assert login(personas.community_b).get(f"{API}/items/{body['number']}").status_code == 404


def test_report_field_errors(login, personas, district, cat):  # noqa: F811
    client = login(personas.community_a)
    r = post(client, f"{API}/reports", {"category_id": cat.pk, "description": "x", "reporter_phone": "12",
                                         "lat": POINT_A[0], "lng": POINT_A[1]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "reporter_phone"
    r = post(client, f"{API}/reports", {"category_id": 999999, "description": "x"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "category_id"
    r = post(client, f"{API}/reports", {"category_id": cat.pk, "description": "x", "lat": 91, "lng": 0})
    assert r.status_code == 422
    assert post(login(personas.department), f"{API}/reports",
                {"category_id": cat.pk, "description": "x", "lat": POINT_A[0], "lng": POINT_A[1]}).status_code == 404
    assert Case.objects.count() == 0


def test_triage_report_by_district_admin(login, personas, district, cat):  # noqa: F811
    r = post(login(personas.district_admin), f"{API}/reports",
             {"category_id": cat.pk, "description": "外地", "lat": OUTSIDE[0], "lng": OUTSIDE[1]})
    assert r.status_code == 201 and r.json()["state"] == "triage" and r.json()["triage_reason"]


def test_actions_conflict_and_scope(login, personas, district, cat):  # noqa: F811
    c = report(personas.community_a, cat)
    client = login(personas.community_a)
    url = f"{API}/items/{c.number}"
    r = post(client, f"{url}/dispatch", {"expected_version": 1, "unit_id": district.department.pk})
    assert r.status_code == 200 and r.json()["state"] == "dispatched" and r.json()["version"] == 2
    r = post(client, f"{url}/dispatch", {"expected_version": 1, "unit_id": district.department.pk})
    assert r.status_code == 409 and r.json()["detail"] == str(svc.ConflictError()) and r.json()["version"] == 2
    # Community staff may not accept; the department may, and handle; the handler may not verify.
    assert post(client, f"{url}/accept", {"expected_version": 2}).status_code == 404
    dept = login(personas.department)
    assert post(dept, f"{url}/accept", {"expected_version": 2}).status_code == 200
    r = post(dept, f"{url}/handle", {"expected_version": 3})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "note"
    assert post(dept, f"{url}/handle", {"expected_version": 3, "note": "已处理"}).status_code == 200
    client = login(personas.community_a)
    assert post(client, f"{url}/close", {"expected_version": 4}).status_code == 409
    assert post(client, f"{url}/verify", {"expected_version": 4}).status_code == 200
    r = post(client, f"{url}/close", {"expected_version": 5})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert [e["transition"] for e in r.json()["events"]] == ["report", "dispatch", "accept", "handle", "verify",
                                                              "close"]
    assert post(client, f"{url}/fly", {"expected_version": 6}).status_code == 404
    assert post(login(personas.community_b), f"{url}/reopen", {"expected_version": 6, "note": "x"}).status_code == 404


def test_return_reason_field(login, personas, district, cat):  # noqa: F811
    c = report(personas.community_a, cat)
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=1)
    dept = login(personas.department)
    r = post(dept, f"{API}/items/{c.number}/return", {"expected_version": 2})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "reason"
    r = post(dept, f"{API}/items/{c.number}/return", {"expected_version": 2, "reason": "不属本部门"})
    assert r.status_code == 200 and r.json()["state"] == CaseState.RETURNED


def test_inbox_fixed_queries_and_filters(login, personas, district, cat, django_assert_max_num_queries):  # noqa: F811
    report(personas.community_a, cat)
    client = login(personas.subdistrict_staff)
    client.get(f"{API}/items")
    with django_assert_max_num_queries(20) as few:
        client.get(f"{API}/items")
    for _ in range(10):
        report(personas.community_a, cat)
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = client.get(f"{API}/items", {"size": 50})
    assert r.json()["count"] == 11
    assert client.get(f"{API}/items", {"state": "closed"}).json()["count"] == 0
    assert client.get(f"{API}/items", {"overdue": True}).json()["count"] == 0
    assert login(personas.community_b).get(f"{API}/items").json()["count"] == 0
    assert login(personas.department).get(f"{API}/items").json()["count"] == 0


def test_catalogue_api(login, personas, district, cat):  # noqa: F811
    admin = login(personas.district_admin)
    r = post(admin, f"{API}/catalogue", {"category_id": cat.pk, "area_id": district.c.area.pk,
                                          "unit_id": district.department.pk})
    assert r.status_code == 201 and r.json()["area_name"] == district.c.area.name
    assert len(admin.get(f"{API}/catalogue").json()) == 2
    entry = r.json()["id"]
    body = {"category_id": cat.pk, "area_id": district.a.area.pk, "unit_id": district.department.pk}
    assert post(login(personas.community_a), f"{API}/catalogue", body).status_code == 404
    assert login(personas.district_admin).delete(f"{API}/catalogue/{entry}").status_code == 204
    assert not DispatchCatalogue.objects.filter(pk=entry).exists()


def test_detail_fixed_queries(login, personas, district, cat, django_assert_max_num_queries):  # noqa: F811
    short, long = report(personas.community_a, cat), report(personas.community_a, cat)
    for _ in range(3):
        long = svc.case_dispatch(actor=personas.community_a, case=long, unit=district.department,
                                 expected_version=long.version)
        long = svc.case_return(actor=personas.department, case=long, expected_version=long.version, reason="退")
    client = login(personas.subdistrict_staff)
    client.get(f"{API}/items/{short.number}")
    with django_assert_max_num_queries(20) as few:
        client.get(f"{API}/items/{short.number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = client.get(f"{API}/items/{long.number}")
    assert len(r.json()["events"]) == 7 and r.json()["actions"] == ["dispatch"]


def test_the_handler_is_offered_no_judgement_of_their_own_work(login, personas, district, cat):  # noqa: F811
    """A grid worker handles the grid's own case and is a verifier too: on that case, the page and the API
    offer them neither verify nor rework, and the API refuses both (422), while the community may."""
    c = report(personas.community_a, cat)
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=None, expected_version=c.version)
    c = svc.case_accept(actor=personas.grid_worker, case=c, expected_version=c.version)
    c = svc.case_handle(actor=personas.grid_worker, case=c, expected_version=c.version, note="清理了")
    grid = login(personas.grid_worker)
    url = f"{API}/items/{c.number}"
    assert not {"verify", "rework"} & set(grid.get(url).json()["actions"])
    page = grid.get(f"/cases/{c.number}/").content.decode()
    assert f"/cases/{c.number}/rework/" not in page and f"/cases/{c.number}/verify/" not in page
    for action in ("verify", "rework"):
        assert post(grid, f"{url}/{action}", {"expected_version": c.version, "note": "x"}).status_code == 422
    community = login(personas.community_a)
    assert {"verify", "rework"} <= set(community.get(url).json()["actions"])
    assert f"/cases/{c.number}/rework/" in community.get(f"/cases/{c.number}/").content.decode()


def test_inbox_pages_ids_first_in_constant_queries(login, personas, district, cat,  # noqa: F811
                                                   django_assert_num_queries):
    """The list takes the page of ids, then those rows: the same statements at size 20 and size 100, the
    newest first, and the second page continues where the first ended."""
    cases = [report(personas.community_a, cat) for _ in range(25)]
    client = login(personas.subdistrict_staff)
    client.get(f"{API}/items")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        first = client.get(f"{API}/items", {"size": 20}).json()
    with django_assert_num_queries(len(small.captured_queries)):
        whole = client.get(f"{API}/items", {"size": 100}).json()
    newest_first = [c.number for c in reversed(cases)]
    assert [i["number"] for i in whole["items"]] == newest_first and whole["count"] == 25
    assert [i["number"] for i in first["items"]] == newest_first[:20] and first["pages"] == 2
    second = client.get(f"{API}/items", {"size": 20, "page": 2}).json()
    assert [i["number"] for i in second["items"]] == newest_first[20:]
    assert whole["items"][0]["category_code"] == cat.code and "overdue" in whole["items"][0]
