"""The metrics pages and API as a user meets them: formulas shown, figures equal to the selector's,
real xlsx exports, field errors for bad filters, a fixed number of queries as areas grow."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from jiceng.accounts.models import AuditEvent
from jiceng.cases import metrics
from jiceng.cases.tests.test_metrics import FULL, SH, _add_community, make_case

pytestmark = pytest.mark.django_db
MARCH = {"period": "month", "value": "2026-03"}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def filled(district, cat):
    t = datetime(2026, 3, 10, 9, tzinfo=SH)
    make_case(cat, district.a.grid, t, FULL, unit=district.department, closed_after=23,
              ratings=[(30, "satisfied", True, True)])
    make_case(cat, district.a.grid, t, FULL[:1], unit=district.department)
    make_case(cat, district.b.grid, t, FULL, unit=district.department, closed_after=23,
              ratings=[(30, "unsatisfied", False, True)])


@pytest.fixture
def cat(district):
    from jiceng.cases.tests.test_case_services import make_category

    return make_category()


def test_dashboard_shows_rates_with_their_formulas(login, personas, filled):
    response = login(personas.subdistrict_staff).get(reverse("cases:metrics"), MARCH)
    html = response.content.decode()
    assert response.status_code == 200
    assert str(metrics.RATE_FORMULAS["satisfaction"]) in html and "echarts/echarts.min.js" in html
    assert 'id="metrics-config"' in html and "A社区" in html and "50.0%" in html  # satisfaction 1 of 2


def test_api_returns_the_selector_figures(login, personas, district, filled):
    data = login(personas.district_admin).get(f"/api/v1/cases/metrics?period=month&value=2026-03"
                                              f"&area={district.s1.pk}").json()
    board = metrics.metrics_dashboard(personas.district_admin, metrics.MetricFilters(
        period=metrics.period_of("month", "2026-03"), area=district.s1))
    assert data["total"]["cases"] == 3 and data["total"] == board.total.as_dict()
    assert data["area_level"] == "community" and len(data["by_area"]) == 2
    assert data["total"]["rates"]["response"] == round(2 / 3, 4)


def test_community_b_gets_only_its_own_figures(login, personas, district, filled):
    client = login(personas.community_b)
    assert client.get("/api/v1/cases/metrics", MARCH).json()["total"]["cases"] == 1
    assert client.get("/api/v1/cases/metrics", {**MARCH, "area": district.a.area.pk}).status_code == 404
    assert client.get(reverse("cases:metrics"), {"area": district.a.area.pk}).status_code == 404


def test_bad_filters_get_field_errors(login, personas, filled):
    client = login(personas.district_admin)
    response = client.get("/api/v1/cases/metrics", {"period": "quarter", "value": "2026Q7"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "value"
    response = client.get(reverse("cases:metrics"), {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"})
    # The message comes in the user's language (Chinese by default).
    assert response.status_code == 200 and "结束日期不能早于开始日期" in response.content.decode()


@pytest.mark.parametrize("table", ["month", "area", "grid", "category", "unit"])
def test_every_table_exports_as_a_real_workbook(login, personas, filled, table):
    response = login(personas.district_admin).get(reverse("cases:metrics"), {**MARCH, "format": "xlsx",
                                                                             "table": table})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows[0]) == 19 and all(rows[0])  # name, code, cases, five rates, eleven counts
    assert sum(r[2] for r in rows[1:]) == 3
    assert AuditEvent.objects.filter(action=f"metrics.export.{table}").exists()


def test_topics_page_and_export(login, personas, filled):
    client = login(personas.community_a)
    html = client.get(reverse("cases:metrics_topics"), {"month": "2026-03"}).content.decode()
    assert "T01" in html and "GL20260101" in html
    response = client.get(reverse("cases:metrics_topics"), {"month": "2026-03", "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [1, 1]  # community A's two cases of its one topic
    api = client.get("/api/v1/cases/metrics/topics", {"month": "2026-03"}).json()
    assert api["topics"][0]["count"] == 2 and len(api["topics"][0]["cases"]) == 2


def test_dashboard_queries_stay_fixed_as_areas_grow(login, personas, district, cat, django_assert_max_num_queries):
    client = login(personas.district_admin)
    t = datetime(2026, 3, 5, 10, tzinfo=SH)
    url = reverse("cases:metrics")
    for i in range(2):
        make_case(cat, _add_community(district, i), t, FULL, unit=district.department, closed_after=23)
    client.get(url, MARCH)
    with django_assert_max_num_queries(14):
        assert client.get(url, MARCH).status_code == 200
    for i in range(2, 22):
        make_case(cat, _add_community(district, i), t, FULL, closed_after=23)
    with django_assert_max_num_queries(14):
        response = client.get(url, MARCH)
    assert len(response.context["board"].by_grid) == 22
