"""The taxonomy and calendar API: lists with a fixed number of queries, deadline previews, edits."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from jiceng.accounts.models import AuditEvent
from jiceng.cases import services
from jiceng.cases.models import CalendarOverride, Category

pytestmark = pytest.mark.django_db
API = "/api/v1/cases"
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def loaded(district):
    services.taxonomy_load_default()


def _json(client, method: str, url: str, data: dict):
    return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")


def test_category_list_fixed_queries(login, personas, loaded, django_assert_max_num_queries):
    client = login(personas.department)
    client.get(f"{API}/categories")
    with django_assert_max_num_queries(10) as small:
        r = client.get(f"{API}/categories", {"size": 20})
    with django_assert_max_num_queries(len(small.captured_queries)):
        big = client.get(f"{API}/categories", {"size": 200})
    assert r.status_code == 200 and big.json()["count"] == Category.objects.count()
    items = {c["code"]: c for c in big.json()["items"]}
    assert items["E0401"]["is_major_hazard"] and items["E0401"]["parent_code"] == "E04"
    assert items["E04"]["level"] == "major" and items["E0401"]["level"] == "minor"
    r = client.get(f"{API}/categories", {"major_hazard": "true", "size": 200})
    assert {c["code"] for c in r.json()["items"]} == set(
        Category.objects.filter(is_major_hazard=True).values_list("code", flat=True))


def test_category_detail_effective_limits(login, personas, loaded):
    c = Category.objects.get(name="违法建设")
    r = login(personas.grid_worker).get(f"{API}/categories/{c.pk}")
    assert r.status_code == 200
    body = r.json()
    handle = [e for e in body["effective_limits"] if e["stage"] == "handle" and e["urgency"] == "normal"][0]
    assert [s["step"] for s in handle["limits"]] == ["责令停工", "立案处罚", "限期拆除"]
    register = [e for e in body["effective_limits"] if e["stage"] == "register"][0]
    assert register["inherited"] and register["source_category_id"] == Category.objects.get(code="E03").pk


def test_deadline_preview(login, personas, loaded):
    c = Category.objects.get(code="C0108")  # street lamp: 3 working days
    client = login(personas.community_b)
    r = _json(client, "post", f"{API}/deadline",
              {"start": "2025-09-30T16:00:00+08:00", "category_id": c.pk, "stage": "handle"})
    assert r.status_code == 200
    due = datetime.fromisoformat(r.json()["deadline"]).astimezone(SH)
    assert due == datetime(2025, 10, 11, 17, 30, tzinfo=SH)  # 9, 10 and the make-up Saturday 11 October
    r = _json(client, "post", f"{API}/deadline", {"start": "2025-09-30T16:00:00", "category_id": c.pk,
                                                  "stage": "flying"})
    assert r.status_code == 422
    r = _json(client, "post", f"{API}/deadline", {"start": "2025-09-30T16:00", "category_id": 10**8,
                                                  "stage": "handle"})
    assert r.status_code == 404


def test_patch_category(login, personas, loaded):
    c = Category.objects.get(code="E0501")
    client = login(personas.district_admin)
    r = _json(client, "patch", f"{API}/categories/{c.pk}",
              {"active": False, "limits": [{"stage": "handle", "urgency": "normal", "amount": 4,
                                            "unit": "working_hours"}]})
    assert r.status_code == 200, r.content
    assert r.json()["active"] is False and r.json()["limits"][0]["amount"] == 4
    assert r.json()["name"] == c.name
    r = _json(client, "patch", f"{API}/categories/{c.pk}", {"is_major_hazard": True})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "hazard_unit_kinds"
    c.refresh_from_db()
    assert c.is_major_hazard is False
    assert AuditEvent.objects.filter(action="category.update").count() == 1


def test_calendar_year_and_overrides(login, personas):
    client = login(personas.district_admin)
    r = client.get(f"{API}/calendar/2025")
    days = {d["date"]: d for d in r.json()["days"]}
    assert r.json()["covered"] and not days["2025-10-01"]["working"] and days["2025-10-11"]["working"]
    assert days["2025-10-01"]["holiday"] and days["2025-10-11"]["makeup"] and not days["2025-10-10"]["makeup"]
    r = _json(client, "post", f"{API}/calendar/overrides", {"date": "2025-10-08", "is_working_day": True,
                                                             "note": "本区调休"})
    assert r.status_code == 201
    assert client.get(f"{API}/calendar/2025").json()["days"][280]["override"]  # 8 October is day 281
    assert client.delete(f"{API}/calendar/overrides/2025-10-08").status_code == 204
    assert client.delete(f"{API}/calendar/overrides/2025-10-08").status_code == 404
    assert not CalendarOverride.objects.exists()
    r = client.get(f"{API}/calendar/2099")
    assert r.status_code == 200 and not r.json()["covered"] and "2099" in r.json()["warning"]
