"""Case pages: inbox with filters, export and bulk dispatch; the report form; the case page with its
actions and conflict message; the catalogue page; fixed query counts."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.cases import case_services as svc
from jiceng.cases.models import Case, CaseState, DispatchCatalogue

from .test_case_services import cat, report  # noqa: F401  (fixture and helper)

pytestmark = pytest.mark.django_db


def test_inbox_lists_filters_and_exports(login, personas, district, cat):  # noqa: F811
    a = report(personas.community_a, cat)
    client = login(personas.community_a)
    r = client.get(reverse("cases:inbox"))
    assert r.status_code == 200 and a.number in r.text and 'name="pick"' in r.text
    r = client.get(reverse("cases:inbox"), {"state": "closed"})
    assert a.number not in r.text
    r = client.get(reverse("cases:inbox"), {"category": cat.pk, "channel": "staff", "community": district.a.area.pk})
    assert a.number in r.text
    r = client.get(reverse("cases:inbox"), {"format": "xlsx"})
    rows = list(load_workbook(BytesIO(r.content)).active.iter_rows(values_only=True))
    assert any(a.number in row for row in rows)
    # Community B sees nothing of A.
    assert a.number not in login(personas.community_b).get(reverse("cases:inbox")).text


def test_inbox_fixed_queries(login, personas, district, cat, django_assert_max_num_queries):  # noqa: F811
    report(personas.community_a, cat)
    client = login(personas.subdistrict_staff)
    client.get(reverse("cases:inbox"))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("cases:inbox"))
    for _ in range(8):
        report(personas.community_a, cat)
    svc.case_report(actor=personas.subdistrict_staff, channel="staff", category=cat, description="B",
                    building=district.b.building)
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = client.get(reverse("cases:inbox"))
    assert r.text.count('name="pick"') == 10


def test_bulk_dispatch(login, personas, district, cat):  # noqa: F811
    a, b = report(personas.community_a, cat), report(personas.community_a, cat)
    stale = f"{b.number}:{b.version + 5}"
    client = login(personas.community_a)
    r = client.post(reverse("cases:case_bulk_dispatch"),
                    {"unit_id": district.department.pk, "pick": [f"{a.number}:{a.version}", stale]}, follow=True)
    assert Case.objects.get(pk=a.pk).state == CaseState.DISPATCHED
    assert Case.objects.get(pk=b.pk).state == CaseState.REGISTERED
    assert b.number in r.text  # named as not dispatched


def test_report_form(login, personas, district, cat):  # noqa: F811
    client = login(personas.grid_worker)
    assert client.get(reverse("cases:case_new")).status_code == 200
    r = client.post(reverse("cases:case_new"), {"category": cat.pk, "urgency": "normal", "channel": "patrol",
                                                "description": "井盖缺失", "lat": "26.085", "lng": "119.305",
                                                "crs": "wgs84", "reporter_phone": "13812345678"})
    case = Case.objects.get()
    assert r.status_code == 302 and r.url == reverse("cases:case", args=[case.number])
    assert case.channel == "patrol" and case.grid_id == district.a.grid.pk
    # Field errors, nothing written.
    r = client.post(reverse("cases:case_new"), {"category": cat.pk, "urgency": "normal", "channel": "patrol",
                                                "description": "x", "crs": "wgs84", "reporter_phone": "12",
                                                "building_code": "nope"})
    assert r.status_code == 200 and 'role="alert"' in r.text and Case.objects.count() == 1
    r = client.post(reverse("cases:case_new"), {"category": cat.pk, "urgency": "normal", "channel": "staff",
                                                "description": "楼道堆物", "building_code": district.a.building.code,
                                                "crs": "wgs84"})
    assert r.status_code == 302 and Case.objects.count() == 2


def test_case_page_actions_and_conflict(login, personas, district, cat):  # noqa: F811
    c = report(personas.community_a, cat)
    client = login(personas.community_a)
    r = client.get(reverse("cases:case", args=[c.number]))
    assert r.status_code == 200 and 'id="case-map"' in r.text and "<script>" not in r.text
    assert reverse("cases:case_act", args=[c.number, "dispatch"]) in r.text
    r = client.post(reverse("cases:case_act", args=[c.number, "dispatch"]),
                    {"version": c.version, "unit_id": district.department.pk}, follow=True)
    assert Case.objects.get(pk=c.pk).state == CaseState.DISPATCHED
    # The same form sent again (stale version): a clear conflict, nothing changed.
    r = client.post(reverse("cases:case_act", args=[c.number, "dispatch"]),
                    {"version": c.version, "unit_id": district.department.pk}, follow=True)
    assert [m.level_tag for m in r.context["messages"]] == ["error"]
    assert str(svc.ConflictError()) in r.text and Case.objects.get(pk=c.pk).version == 2
    # The department sees the accept form; community staff do not.
    assert reverse("cases:case_act", args=[c.number, "accept"]) not in client.get(
        reverse("cases:case", args=[c.number])).text
    dept = login(personas.department)
    assert reverse("cases:case_act", args=[c.number, "accept"]) in dept.get(reverse("cases:case", args=[c.number])).text
    # Returning needs a reason; the message says so and nothing changes.
    dept.post(reverse("cases:case_act", args=[c.number, "return"]), {"version": 2, "note": ""})
    assert Case.objects.get(pk=c.pk).state == CaseState.DISPATCHED
    r = dept.post(reverse("cases:case_act", args=[c.number, "return"]), {"version": 2, "note": "非本单位职责"})
    assert r.status_code == 302 and r.url == reverse("cases:inbox")
    assert Case.objects.get(pk=c.pk).state == CaseState.RETURNED


def test_case_page_out_of_scope(login, personas, district, cat):  # noqa: F811
    c = report(personas.community_a, cat)
    assert login(personas.community_b).get(reverse("cases:case", args=[c.number])).status_code == 404
    r = login(personas.community_b).post(reverse("cases:case_act", args=[c.number, "dispatch"]), {"version": 1})
    assert r.status_code == 404 and Case.objects.get(pk=c.pk).state == CaseState.REGISTERED


def test_catalogue_page(login, personas, district, cat):  # noqa: F811
    client = login(personas.district_admin)
    r = client.post(reverse("cases:catalogue"), {"category": cat.pk, "area": district.c.area.pk,
                                                 "unit": district.department.pk})
    assert r.status_code == 302
    entry = DispatchCatalogue.objects.get(area=district.c.area)
    assert district.c.area.name in client.get(reverse("cases:catalogue")).text
    client.post(reverse("cases:catalogue_delete", args=[entry.pk]))
    assert not DispatchCatalogue.objects.filter(pk=entry.pk).exists()
    assert login(personas.subdistrict_staff).get(reverse("cases:catalogue")).status_code == 200


def test_case_page_fixed_queries(login, personas, district, cat, django_assert_max_num_queries):  # noqa: F811
    short = report(personas.community_a, cat)
    long = report(personas.community_a, cat)
    for _ in range(3):  # a long timeline: dispatch, return, again
        long = svc.case_dispatch(actor=personas.community_a, case=long, unit=district.department,
                                 expected_version=long.version)
        long = svc.case_return(actor=personas.department, case=long, expected_version=long.version, reason="退")
    client = login(personas.community_a)
    client.get(reverse("cases:case", args=[short.number]))
    with django_assert_max_num_queries(25) as few:
        client.get(reverse("cases:case", args=[short.number]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = client.get(reverse("cases:case", args=[long.number]))
    assert r.text.count("<li><time") == 7


def test_triage_case_placed_from_its_page(login, personas, district, cat):  # noqa: F811
    from .test_case_services import OUTSIDE

    c = report(personas.district_admin, cat, point=OUTSIDE)
    client = login(personas.district_admin)
    r = client.get(reverse("cases:case", args=[c.number]))
    assert reverse("cases:case_act", args=[c.number, "route"]) in r.text and district.a.grid.name in r.text
    client.post(reverse("cases:case_act", args=[c.number, "route"]), {"version": 1, "area_id": district.a.grid.pk})
    c.refresh_from_db()
    assert c.state == CaseState.REGISTERED and c.grid_id == district.a.grid.pk and c.triage_reason == ""
    assert c.number in login(personas.community_a).get(reverse("cases:inbox")).text
