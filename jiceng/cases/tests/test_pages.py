"""Taxonomy and calendar pages: lists with a fixed number of queries, editing, importing, overrides."""

from __future__ import annotations

import io
from datetime import date, timedelta

import chinese_calendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from jiceng.cases import services
from jiceng.cases.models import CalendarOverride, Category

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(district):
    services.taxonomy_load_default()


def test_taxonomy_page_fixed_queries_and_filters(login, personas, loaded, django_assert_max_num_queries):
    client = login(personas.grid_worker)
    client.get(reverse("cases:taxonomy"))  # warm the session and scope
    with django_assert_max_num_queries(12):
        response = client.get(reverse("cases:taxonomy"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "燃气泄漏" in body and "上水井盖" in body
    response = client.get(reverse("cases:taxonomy"), {"hazard": "1"})
    body = response.content.decode()
    assert "燃气泄漏" in body and "路灯" not in body
    response = client.get(reverse("cases:taxonomy"), {"request_type": "complaint"})
    assert "投诉" in response.content.decode() and "路灯" not in response.content.decode()


def test_taxonomy_export(login, personas, loaded):
    response = login(personas.subdistrict_staff).get(reverse("cases:taxonomy"), {"format": "xlsx"})
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws.max_row == Category.objects.count() + 1


def test_category_detail_shows_inherited_limits_and_preview(login, personas, loaded):
    c = Category.objects.get(name="违法建设")
    client = login(personas.community_a)
    response = client.get(reverse("cases:category", args=[c.pk]))
    body = response.content.decode()
    assert "责令停工" in body and "限期拆除" in body
    assert Category.objects.get(code="E03").name in body  # register/dispatch/verify come from the major class
    assert reverse("cases:category_edit", args=[c.pk]) not in body  # not an administrator
    response = client.get(reverse("cases:category", args=[c.pk]),
                          {"start": "2025-09-30T16:00", "stage": "handle", "urgency": "normal"})
    # 1 working day, then 15, then 30: the steps run one after another.
    assert response.context["preview"]["result"].steps[0].deadline.date() == date(2025, 10, 9)
    assert len(response.context["preview"]["result"].steps) == 3
    response = client.get(reverse("cases:category", args=[c.pk]), {"start": "soon", "stage": "handle"})
    assert response.context["preview_error"]


def test_category_edit_form(login, personas, loaded):
    c = Category.objects.get(code="E0501")
    client = login(personas.district_admin)
    response = client.get(reverse("cases:category_edit", args=[c.pk]))
    assert response.status_code == 200
    data = {
        "name": "占道经营", "active": "on", "urgency_levels": ["normal", "urgent"], "unit_kind": "department",
        "limits-TOTAL_FORMS": "3", "limits-INITIAL_FORMS": "0", "limits-MIN_NUM_FORMS": "0",
        "limits-MAX_NUM_FORMS": "60",
        "limits-0-stage": "handle", "limits-0-urgency": "normal", "limits-0-amount": "2",
        "limits-0-unit": "working_days",
        "limits-1-stage": "handle", "limits-1-urgency": "urgent", "limits-1-amount": "3",
        "limits-1-unit": "working_hours", "limits-1-DELETE": "on",
        # A blank extra row as the browser sends it: selects at their first choice, no amount.
        "limits-2-stage": "register", "limits-2-urgency": "normal", "limits-2-amount": "", "limits-2-step": "",
        "limits-2-unit": "working_hours",
    }
    response = client.post(reverse("cases:category_edit", args=[c.pk]), data)
    assert response.status_code == 302
    assert list(c.limits.values_list("stage", "urgency", "amount")) == [("handle", "normal", 2)]
    # A bad form keeps the input and writes nothing.
    data["name"] = ""
    data["limits-0-amount"] = "0"
    response = client.post(reverse("cases:category_edit", args=[c.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert Category.objects.get(pk=c.pk).name == "占道经营"


def test_import_page_reports_errors(login, personas, loaded):
    wb = Workbook()
    wb.active.append(["code", "name", "case_class"])
    wb.active.append(["Z1", "", "event"])
    buf = io.BytesIO()
    wb.save(buf)
    client = login(personas.district_admin)
    response = client.post(reverse("cases:taxonomy_import"),
                           {"file": SimpleUploadedFile("t.xlsx", buf.getvalue())})
    assert response.status_code == 200
    assert [(e.row, e.column) for e in response.context["result"].errors] == [(2, "name")]
    assert not Category.objects.filter(code="Z1").exists()


def test_calendar_page_and_overrides(login, personas):
    client = login(personas.district_admin)
    response = client.get(reverse("cases:calendar"), {"year": "2025"})
    assert response.status_code == 200
    expected = sum(chinese_calendar.is_workday(date(2025, 1, 1) + timedelta(days=i)) for i in range(365))
    assert response.context["working_days"] == expected
    assert not response.context["warning"]
    response = client.post(reverse("cases:override_add"),
                           {"date": "2025-06-03", "is_working_day": "0", "note": "台风停工"})
    assert response.status_code == 302
    assert CalendarOverride.objects.get(date=date(2025, 6, 3)).is_working_day is False
    response = client.get(reverse("cases:calendar"), {"year": "2025"})
    assert response.context["working_days"] == expected - 1 and "台风停工" in response.content.decode()
    response = client.post(reverse("cases:override_delete", args=["2025-06-03"]))
    assert response.status_code == 302 and not CalendarOverride.objects.exists()
    # A year the package does not know: shown, with the warning.
    response = client.get(reverse("cases:calendar"), {"year": "2099"})
    assert response.status_code == 200 and "2099" in response.context["warning"]
    # Bad input changes nothing.
    client.post(reverse("cases:override_add"), {"date": "not a date", "is_working_day": "0"})
    assert not CalendarOverride.objects.exists()
