"""A grid worker reports from a patrol on the phone: photos, the place as a Chinese map app gives it
(GCJ-02), and a category suggested from the description that they keep or change."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jiceng.areas import geo
from jiceng.cases.category_suggest import category_suggestions
from jiceng.cases.models import Case, CaseAttachment, Category
from jiceng.cases.services import taxonomy_load_default

from .test_case_services import POINT_A, cat  # noqa: F401
from .test_photos import photo

pytestmark = pytest.mark.django_db


def gcj02(point: tuple[float, float]) -> tuple[float, float]:
    """What a Chinese map SDK reports for a place whose GPS (WGS-84) position is `point`."""
    return geo.wgs84_to_gcj02(*point)


def form(cat, **extra) -> dict:  # noqa: F811
    lat, lng = gcj02(POINT_A)
    return {"category": cat.pk, "urgency": "normal", "channel": "patrol", "description": "路灯不亮",
            "lat": f"{lat:.8f}", "lng": f"{lng:.8f}", "crs": "gcj02", **extra}


def test_grid_worker_reports_with_photos_and_a_gcj02_place(client, personas, district, cat):  # noqa: F811
    client.force_login(personas.grid_worker)
    page = client.get(reverse("cases:case_new")).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="photos"' in page and 'capture="environment"' in page
    r = client.post(reverse("cases:case_new"), {**form(cat), "photos": [photo("a.png"), photo("b.jpg", kind="JPEG")]})
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert case.channel == "patrol"
    # Stored in WGS-84: the GCJ-02 offset (hundreds of metres here) is taken off, and the case is routed
    # to the grid that the true point lies in.
    assert case.lat == pytest.approx(POINT_A[0], abs=1e-6) and case.lng == pytest.approx(POINT_A[1], abs=1e-6)
    assert case.grid_id == district.a.grid.pk and case.community_id == district.a.area.pk
    report_event = case.events.order_by("seq").first()
    photos = CaseAttachment.objects.filter(case=case)
    assert sorted(p.content_type for p in photos) == ["image/jpeg", "image/png"]
    assert {p.event_id for p in photos} == {report_event.pk} and {p.uploaded_by_id for p in photos} == {
        personas.grid_worker.pk}


def test_a_bad_photo_is_named_on_its_field_and_nothing_is_stored(client, personas, district, cat):  # noqa: F811
    client.force_login(personas.grid_worker)
    fake = SimpleUploadedFile("scan.jpg", b"%PDF-1.4 not a picture", content_type="image/jpeg")
    r = client.post(reverse("cases:case_new"), {**form(cat), "photos": [photo("ok.png"), fake]})
    assert r.status_code == 200
    assert "scan.jpg" in r.content.decode()  # which file to replace
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()


def test_too_many_photos_are_refused(client, personas, district, cat):  # noqa: F811
    client.force_login(personas.grid_worker)
    r = client.post(reverse("cases:case_new"), {**form(cat), "photos": [photo(f"{i}.png") for i in range(7)]})
    assert r.status_code == 200 and not Case.objects.exists()


@pytest.fixture
def taxonomy(db):
    taxonomy_load_default(actor=None)
    return {c.code: c for c in Category.objects.all()}


@pytest.mark.parametrize("text, code", [
    ("路灯不亮了好几天", "C0108"),
    ("小区门口雨水井盖丢了", "C0103"),
    ("红绿灯坏了", "C0203"),
    ("路边垃圾箱满了没人清", "C0302"),
    ("有人在路口摆摊卖水果", "E0503"),
    ("楼下违章搭建", "E0301"),
])
def test_the_description_suggests_the_category(taxonomy, text, code):
    suggestions = category_suggestions(text)
    assert suggestions and suggestions[0].category.code == code, [(s.category.code, s.score) for s in suggestions]
    assert all(s.category.numchild == 0 for s in suggestions)  # only classes a report takes


def test_nothing_is_suggested_for_text_that_names_no_category(taxonomy):
    assert category_suggestions("你好") == [] and category_suggestions("") == []


def test_the_form_offers_the_suggestion_and_the_worker_may_change_it(client, personas, district, taxonomy):
    client.force_login(personas.grid_worker)
    assert 'id="category-suggest"' in client.get(reverse("cases:case_new")).content.decode()
    r = client.post(reverse("cases:category_suggest"), {"description": "路灯不亮了", "category": ""})
    body = r.content.decode()
    lamp = taxonomy["C0108"]
    assert f'data-pick-category="{lamp.pk}" data-preselect' in body  # kept unless changed
    # Once a category is chosen, the suggestion no longer overrides it.
    chosen = client.post(reverse("cases:category_suggest"), {"description": "路灯不亮了", "category": "1"})
    assert "data-preselect" not in chosen.content.decode()
    # The worker changes it: the case takes the category they chose, not the suggested one.
    from jiceng.cases.models import DispatchCatalogue

    other = taxonomy["C0101"]
    DispatchCatalogue.objects.create(category=other, area=district.s1, unit=district.department)
    lat, lng = gcj02(POINT_A)
    r = client.post(reverse("cases:case_new"), {"category": other.pk, "urgency": "normal", "channel": "patrol",
                                                "description": "路灯不亮了", "lat": lat, "lng": lng, "crs": "gcj02"})
    assert r.status_code == 302 and Case.objects.get().category == other


def test_the_phone_task_list_links_to_the_patrol_report(client, personas, district):
    client.force_login(personas.grid_worker)
    assert reverse("cases:case_new") in client.get(reverse("cases:tasks")).content.decode()
    client.force_login(personas.department)
    assert reverse("cases:case_new") not in client.get(reverse("cases:tasks")).content.decode()


def test_the_api_suggests_for_phone_apps(client, personas, district, taxonomy):
    client.force_login(personas.grid_worker)
    r = client.get("/api/v1/cases/category-suggestions", {"text": "路灯不亮了"})
    assert r.status_code == 200 and r.json()[0]["code"] == "C0108" and r.json()[0]["category_id"] == taxonomy[
        "C0108"].pk
    assert client.get("/api/v1/cases/category-suggestions", {"text": "你好"}).json() == []


def _report(client, category, **extra):
    lat, lng = gcj02(POINT_A)
    return client.post(reverse("cases:case_new"), {"category": category.pk, "urgency": "normal", "channel": "patrol",
                                                   "description": "路灯不亮了", "lat": lat, "lng": lng, "crs": "gcj02",
                                                   **extra})


def test_the_case_keeps_the_suggestion_and_whether_the_reporter_kept_it(client, personas, district, taxonomy):
    from jiceng.cases.category_suggest import suggestion_outcomes
    from jiceng.cases.models import DispatchCatalogue

    lamp, other = taxonomy["C0108"], taxonomy["C0101"]
    for c in (lamp, other):
        DispatchCatalogue.objects.create(category=c, area=district.s1, unit=district.department)
    client.force_login(personas.grid_worker)
    offered = client.post(reverse("cases:category_suggest"), {"description": "路灯不亮了", "category": ""})
    assert f'name="suggested_category" value="{lamp.pk}"' in offered.content.decode()
    assert _report(client, lamp, suggested_category=lamp.pk).status_code == 302
    assert _report(client, other, suggested_category=lamp.pk).status_code == 302
    assert _report(client, other).status_code == 302  # nothing suggested (the text named no class yet)
    # A suggestion that is gone (or altered in the page) is no suggestion, and never the reporter's error.
    assert _report(client, other, suggested_category="999999").status_code == 302
    kept, changed, none, gone = Case.objects.order_by("pk")
    report = kept.events.get(seq=1).data
    assert (report["suggested_category"], report["suggestion_kept"]) == ("C0108", True)
    assert changed.events.get(seq=1).data["suggestion_kept"] is False
    assert "suggested_category" not in none.events.get(seq=1).data | gone.events.get(seq=1).data
    page = client.get(reverse("cases:case", args=[changed.number]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "C0108 " + lamp.name in page and "(changed by the reporter)" in page
    outcomes = suggestion_outcomes(personas.district_admin)
    assert (outcomes.suggested, outcomes.kept, outcomes.kept_rate) == (2, 1, 0.5)
    assert suggestion_outcomes(personas.community_b).suggested == 0  # out of its scope
    client.force_login(personas.district_admin)
    taxonomy_page = client.get(reverse("cases:taxonomy"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "kept the category suggested from their text in 1 of 2 reports" in taxonomy_page and "(50%)" in taxonomy_page


def test_an_app_sends_the_suggestion_it_showed(client, personas, district, taxonomy):
    from jiceng.cases.models import DispatchCatalogue

    lamp = taxonomy["C0108"]
    DispatchCatalogue.objects.create(category=lamp, area=district.s1, unit=district.department)
    client.force_login(personas.grid_worker)
    body = {"channel": "patrol", "category_id": lamp.pk, "description": "路灯不亮了", "lat": POINT_A[0],
            "lng": POINT_A[1], "suggested_category_id": lamp.pk}
    r = client.post("/api/v1/cases/reports", body, content_type="application/json")
    assert r.status_code == 201 and (r.json()["suggested_category"], r.json()["suggestion_kept"]) == ("C0108", True)
    bad = client.post("/api/v1/cases/reports", {**body, "suggested_category_id": 999999},
                      content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "suggested_category_id"
    assert Case.objects.count() == 1
