"""Case photos: served to staff through the case's scope and to the resident through the private
link (their own report's photos and the handler's photos of the work done), taken with the
handling report in the same transaction, and shown as thumbnails on the case page's timeline and
on the follow page."""

from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from jiceng.accounts.models import AuditEvent
from jiceng.cases import case_services as svc
from jiceng.cases import resident_services as rsvc
from jiceng.cases.attachments import attachments_add
from jiceng.cases.models import Case, CaseAttachment, CaseState, Category

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def cat(district):
    # No catalogue entry: the report waits in triage inside grid A1 and is dispatched to the grid.
    return Category.objects.add_root({"code": "T02", "name": "垃圾堆放", "case_class": "event",
                                      "urgency_levels": ["normal"]})


def photo(name: str = "p.png", colour=(200, 30, 30), kind: str = "PNG") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buf, kind)
    return SimpleUploadedFile(name, buf.getvalue(), content_type=f"image/{kind.lower()}")


def report(district, cat, n_photos: int = 1) -> tuple[Case, str]:
    done = rsvc.resident_report(category=cat, description="楼下垃圾三天没清", reporter_phone="13812345678",
                                photos=[photo(f"r{i}.png") for i in range(n_photos)], reporter_name="李",
                                lat=None, lng=None, place=district.a.building, client_ip="10.0.0.9")
    return Case.objects.get(pk=done.case.pk), done.token


def handled(case: Case, personas, photos=()) -> Case:
    case = svc.case_dispatch(actor=personas.community_a, case=case, unit=None, expected_version=case.version)
    case = svc.case_accept(actor=personas.grid_worker, case=case, expected_version=case.version)
    return svc.case_handle(actor=personas.grid_worker, case=case, expected_version=case.version,
                           note="已清运", photos=list(photos))


def staff(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- serving --------------------------------------------------------------------------------------


def test_staff_in_scope_get_the_photo_inline_with_its_type_and_no_shared_caching(district, personas, cat):
    case, _token = report(district, cat)
    a = CaseAttachment.objects.get(case=case)
    r = staff(personas.grid_worker).get(reverse("cases:case_photo", args=[case.number, a.pk]))
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png"
    assert r["Content-Disposition"].startswith("inline")
    assert r["X-Content-Type-Options"] == "nosniff"
    assert "private" in r["Cache-Control"] and "public" not in r["Cache-Control"]
    a.file.open("rb")
    assert body(r) == a.file.read()


def test_staff_out_of_scope_get_404_and_the_attempt_is_logged(district, personas, cat):
    case, _token = report(district, cat)
    a = CaseAttachment.objects.get(case=case)
    url = reverse("cases:case_photo", args=[case.number, a.pk])
    assert staff(personas.community_b).get(url).status_code == 404
    logged = AuditEvent.objects.filter(action="access.out_of_scope", actor=personas.community_b).get()
    assert logged.kind == "security" and logged.changes["path"] == url
    assert Client().get(url).status_code == 302  # without an account: to sign in


def test_a_photo_is_reached_only_through_its_own_case(district, personas, cat):
    mine, _t = report(district, cat)
    other, _t2 = report(district, cat)
    theirs = CaseAttachment.objects.get(case=other)
    r = staff(personas.community_a).get(reverse("cases:case_photo", args=[mine.number, theirs.pk]))
    assert r.status_code == 404


def test_the_resident_sees_their_report_photo_and_the_after_photo_but_not_other_work_photos(district, personas,
                                                                                            cat):
    case, token = report(district, cat)
    own = CaseAttachment.objects.get(case=case)
    case = handled(case, personas, photos=[photo("after.jpg", (10, 200, 10), "JPEG")])
    after = CaseAttachment.objects.get(case=case, event__transition="handle")
    assert after.content_type == "image/jpeg" and after.uploaded_by == personas.grid_worker
    # A staff photo of another step (here: the verifier's own check) stays with the staff.
    case = svc.case_verify(actor=personas.community_a, case=case, expected_version=case.version)
    check = attachments_add(case=case, files=[photo("check.png")], actor=personas.community_a,
                            event=case.events.order_by("-seq").first())[0]
    other_case, _t = report(district, cat)
    stranger = CaseAttachment.objects.get(case=other_case)

    anon = Client(HTTP_ACCEPT_LANGUAGE="en")
    for a in (own, after):
        r = anon.get(reverse("resident:photo", args=[token, a.pk]))
        assert r.status_code == 200 and r["Content-Type"] == a.content_type
        assert r["Content-Disposition"].startswith("inline") and r["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in r["Cache-Control"]
    for a in (check, stranger):
        assert anon.get(reverse("resident:photo", args=[token, a.pk])).status_code == 404
    assert anon.get(reverse("resident:photo", args=["not-a-token", own.pk])).status_code == 404

    page = anon.get(reverse("resident:follow", args=[token])).content.decode()
    srcs = set(re.findall(r'<img src="([^"]+)"', page))
    assert srcs == {reverse("resident:photo", args=[token, own.pk]), reverse("resident:photo", args=[token, after.pk])}
    assert 'id="photos-report"' in page and 'id="photos-handle"' in page


def test_a_merged_report_shows_its_own_photo_and_the_after_photo_of_the_case_it_joined(district, personas, cat):
    main, main_token = report(district, cat)
    dup, dup_token = report(district, cat)
    Case.objects.filter(pk=dup.pk).update(merged_into=main)  # merging is another slice's; its effect
    main = handled(main, personas, photos=[photo("after.png")])
    dup_own = CaseAttachment.objects.get(case=dup)
    main_own = CaseAttachment.objects.get(case=main, event__transition="report")
    after = CaseAttachment.objects.get(case=main, event__transition="handle")
    anon = Client()
    ok = {a.pk for a in (dup_own, after)}
    for a in (dup_own, main_own, after):
        status = anon.get(reverse("resident:photo", args=[dup_token, a.pk])).status_code
        assert status == (200 if a.pk in ok else 404), a.name  # another resident's report stays theirs


# --- taking photos with the handling report -------------------------------------------------------


def test_handling_through_the_case_page_keeps_the_photos_with_the_handle_event(district, personas, cat):
    case, _token = report(district, cat)
    case = svc.case_dispatch(actor=personas.community_a, case=case, unit=None, expected_version=case.version)
    case = svc.case_accept(actor=personas.grid_worker, case=case, expected_version=case.version)
    worker = staff(personas.grid_worker)
    page = worker.get(reverse("cases:case", args=[case.number])).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="photos"' in page
    r = worker.post(reverse("cases:case_act", args=[case.number, "handle"]),
                    {"version": case.version, "note": "已清运", "photos": [photo("a1.png"), photo("a2.png")]})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.HANDLED
    event = case.events.get(transition="handle")
    assert sorted(event.attachments.values_list("name", flat=True)) == ["a1.png", "a2.png"]
    audit = AuditEvent.objects.get(action="case.handle")
    assert audit.changes["photos"] == 2 and event.data == {"photos": 2}


def test_a_bad_photo_fails_the_whole_handling_report(district, personas, cat):
    case, _token = report(district, cat)
    case = svc.case_dispatch(actor=personas.community_a, case=case, unit=None, expected_version=case.version)
    case = svc.case_accept(actor=personas.grid_worker, case=case, expected_version=case.version)
    fake = SimpleUploadedFile("after.jpg", b"not a picture", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        svc.case_handle(actor=personas.grid_worker, case=case, expected_version=case.version, note="已清运",
                        photos=[photo("ok.png"), fake])
    assert "after.jpg" in " ".join(exc.value.messages)
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED and not case.events.filter(transition="handle").exists()
    assert CaseAttachment.objects.filter(case=case).count() == 1  # the report's only
    assert not AuditEvent.objects.filter(action="case.handle").exists()


def test_photos_go_with_the_handling_report_only(district, personas, cat):
    case, _token = report(district, cat)
    with pytest.raises(ValidationError):
        svc.case_act(actor=personas.community_a, case=case, action="dispatch", expected_version=case.version,
                     photos=[photo()])
    case.refresh_from_db()
    assert case.state == CaseState.TRIAGE


# --- the case page -------------------------------------------------------------------------------


def _timeline_photos(html: str) -> dict[str, int]:
    """For each timeline entry's transition, how many thumbnails it shows."""
    items = re.findall(r'<strong data-transition="(\w+)">(.*?)</li>\s*(?=<li><time|</ol>)', html, re.S)
    return {t: len(re.findall(r'<img src="/cases/GL\d+/photos/\d+/"', inner)) for t, inner in items}


def test_the_case_page_shows_each_photo_beside_its_event_in_a_fixed_number_of_queries(
        district, personas, cat, django_assert_max_num_queries):
    worker = staff(personas.community_a)
    counts = []
    for n_report, n_after in ((1, 1), (4, 5)):
        case, _token = report(district, cat, n_photos=n_report)
        case = handled(case, personas, photos=[photo(f"a{i}.png") for i in range(n_after)])
        url = reverse("cases:case", args=[case.number])
        worker.get(url)  # warm the session
        with django_assert_max_num_queries(25) as queries:
            html = worker.get(url).content.decode()
        counts.append(len(queries.captured_queries))
        assert len([q for q in queries.captured_queries if "cases_caseattachment" in q["sql"]]) == 1
        assert _timeline_photos(html) == {"report": n_report, "dispatch": 0, "accept": 0, "handle": n_after}
    assert counts[0] == counts[1], counts


def test_the_case_page_maps_a_qr_report_at_its_building(district, personas, cat):
    case, _token = report(district, cat)
    html = staff(personas.community_a).get(reverse("cases:case", args=[case.number])).content.decode()
    assert 'id="case-map"' in html
    point = re.search(r'<script id="case-point" type="application/json">(.*?)</script>', html).group(1)
    assert f'"lat": {district.a.building.lat}' in point
