"""Photos through the JSON API: the handling report and a department's report-back as multipart/form-data,
with the same checks as the pages (type by content, size, count: jiceng.core.uploads via attachments_add),
documented in the OpenAPI schema, refused (404) to whoever may not take the step."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiceng.cases import case_services as svc
from jiceng.cases.feedback_models import CaseAttachment
from jiceng.core.uploads import MAX_PHOTOS

from .test_case_services import report
from .test_photos import photo
from .test_whistle import cat, lead_of, media, police, whistle  # noqa: F401

pytestmark = pytest.mark.django_db
API = "/api/v1/cases"


def accepted(personas, district, cat):  # noqa: F811
    c = report(personas.community_a, cat)
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=c.version)
    return svc.case_accept(actor=personas.department, case=c, expected_version=c.version)


def test_the_handler_reports_done_with_photos(login, personas, district, cat):  # noqa: F811
    c = accepted(personas, district, cat)
    r = login(personas.department).post(f"{API}/items/{c.number}/handle/photos", {
        "expected_version": c.version, "note": "已修复", "photos": [photo("a.png"), photo("b.jpg", kind="JPEG")]})
    assert r.status_code == 200 and r.json()["state"] == "handled"
    saved = CaseAttachment.objects.filter(case=c).order_by("pk")
    assert [(a.name, a.content_type, a.event.transition) for a in saved] == [
        ("a.png", "image/png", "handle"), ("b.jpg", "image/jpeg", "handle")]


def test_a_bad_photo_fails_the_whole_report_on_the_photos_field(login, personas, district, cat):  # noqa: F811
    c = accepted(personas, district, cat)
    client = login(personas.department)
    fake = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")
    r = client.post(f"{API}/items/{c.number}/handle/photos",
                    {"expected_version": c.version, "note": "已修复", "photos": [photo(), fake]})
    error = r.json()["detail"][0]
    assert r.status_code == 422 and error["loc"][-1] == "photos" and "x.png" in error["msg"]
    too_many = [photo(f"p{i}.png") for i in range(MAX_PHOTOS + 1)]
    r = client.post(f"{API}/items/{c.number}/handle/photos",
                    {"expected_version": c.version, "note": "已修复", "photos": too_many})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "photos"
    c.refresh_from_db()
    assert c.state == "accepted" and not CaseAttachment.objects.filter(case=c).exists()
    r = client.post(f"{API}/items/{c.number}/handle/photos", {"expected_version": c.version - 1, "note": "x"})
    assert r.status_code == 409


def test_who_may_not_upload_gets_404(login, personas, district, cat):  # noqa: F811
    c = accepted(personas, district, cat)
    for persona in ("community_a", "community_b", "grid_worker", "member"):
        r = login(getattr(personas, persona)).post(f"{API}/items/{c.number}/handle/photos",
                                                   {"expected_version": c.version, "note": "x", "photos": [photo()]})
        assert r.status_code in (401, 403, 404), persona
    assert not CaseAttachment.objects.exists()


def test_a_department_reports_back_with_photos(login, personas, district, cat, police):  # noqa: F811
    w = whistle(personas, district, cat, police)
    lead = lead_of(w)
    dept = login(personas.department)
    url = f"/api/v1/whistles/{w.pk}/responses/{lead.pk}"
    assert dept.post(f"{url}/check_in", {"expected_version": lead.version},
                     content_type="application/json").status_code == 200
    r = login(personas.community_a).post(f"{url}/report/photos",
                                         {"expected_version": lead.version + 1, "note": "已清理", "photos": [photo()]})
    assert r.status_code == 404
    dept = login(personas.department)  # one test client: each login replaces the last
    r = dept.post(f"{url}/report/photos", {"expected_version": lead.version + 1, "note": "已清理",
                                           "photos": [photo("after.png")]})
    assert r.status_code == 200
    assert [a.name for a in CaseAttachment.objects.filter(case__in=w.cases.all())] == ["after.png"]


def test_openapi_documents_the_multipart_uploads(db, client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (f"{API}/items/{{number}}/handle/photos",
                 "/api/v1/whistles/{whistle_id}/responses/{response_id}/report/photos"):
        body = paths[path]["post"]["requestBody"]["content"]
        assert "multipart/form-data" in body
        assert "photos" in body["multipart/form-data"]["schema"]["properties"]
