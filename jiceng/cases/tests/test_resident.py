"""The residents' channel: intake without an account, the private link, rating and its reopen rule,
the rate limits, and the public pages a phone sees."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from jiceng.accounts.models import AuditEvent
from jiceng.areas.geo import wgs84_to_gcj02
from jiceng.cases import case_services as svc
from jiceng.cases import resident_services as rsvc
from jiceng.cases import workflow
from jiceng.cases.models import (
    Case,
    CaseAttachment,
    CaseChannel,
    CaseFeedback,
    CaseState,
    Category,
    DispatchCatalogue,
    ResidentLink,
)
from jiceng.cases.resident_selectors import link_by_token, resident_view
from jiceng.notify.models import Notice

pytestmark = pytest.mark.django_db
POINT_A = (26.085, 119.305)  # inside grid A1, WGS-84
PHONE = "13812345678"


@pytest.fixture(autouse=True)
def fresh(settings, tmp_path):
    """Rate counters live in the cache and photos under MEDIA_ROOT: a clean slate per test."""
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def client(client):
    """Pages in English, so the tests match the English source (the default language is Chinese)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def cat(district):
    c = Category.objects.add_root({"code": "T01", "name": "路灯不亮", "case_class": "component",
                                   "urgency_levels": ["normal", "urgent"], "unit_kind": "department"})
    for stage, amount, unit in (("dispatch", 2, "working_hours"), ("handle", 2, "working_days"),
                                ("verify", 1, "working_days")):
        c.limits.create(stage=stage, urgency="normal", amount=amount, unit=unit)
    DispatchCatalogue.objects.create(category=c, area=district.s1, unit=district.department)
    return c


def photo(name: str = "p.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def submit(cat, *, place=None, point=None, phone=PHONE, ip="10.0.0.1", photos=(), **kw) -> rsvc.ResidentReceipt:
    lat, lng = point if point else (None, None)
    return rsvc.resident_report(category=cat, description=kw.pop("description", "楼道灯坏了"), photos=list(photos),
                                reporter_phone=phone, reporter_name="李", lat=lat, lng=lng, place=place,
                                client_ip=ip, **kw)


def to_handled(case: Case, personas) -> Case:
    case = svc.case_dispatch(actor=personas.community_a, case=case, unit=case.suggested_unit,
                             expected_version=case.version)
    case = svc.case_accept(actor=personas.department, case=case, expected_version=case.version)
    return svc.case_handle(actor=personas.department, case=case, expected_version=case.version, note="换了灯泡")


def to_closed(case: Case, personas) -> Case:
    case = to_handled(case, personas)
    case = svc.case_verify(actor=personas.community_a, case=case, expected_version=case.version)
    return svc.case_close(actor=personas.community_a, case=case, expected_version=case.version)


# --- intake ---------------------------------------------------------------------------------------


def test_resident_report_from_building_qr_routes_and_keeps_photo_and_link(district, cat):
    r = submit(cat, place=district.a.building, photos=[photo()])
    c = Case.objects.get(pk=r.case.pk)
    assert c.channel == CaseChannel.RESIDENT_APP and c.created_by is None
    assert c.state == CaseState.REGISTERED and c.suggested_unit == district.department
    assert (c.grid_id, c.community_id) == (district.a.grid.pk, district.a.area.pk)
    assert c.building == district.a.building
    assert c.reporter_phone_masked == "138****5678" and PHONE not in c.reporter_phone_encrypted
    assert CaseAttachment.objects.get(case=c).event.transition == "report"
    # Only the token's hash is stored; the token finds the case.
    link = ResidentLink.objects.get(case=c)
    assert r.token not in link.token_hash and len(r.token) >= 32
    assert link_by_token(r.token).case == c
    assert link_by_token(r.token[:-1] + ("A" if r.token[-1] != "A" else "B")) is None
    event = AuditEvent.objects.filter(action="case.report", object_id=str(c.pk)).get()
    assert event.actor is None and PHONE not in str(event.changes)


def test_compound_qr_code_places_the_case_in_its_grid(district, cat):
    c = submit(cat, place=district.b.compound).case
    assert c.building == district.b.compound and c.grid_id == district.b.grid.pk


def test_location_from_phone_wgs84_and_gcj02_route_to_the_grid(district, cat):
    c = submit(cat, point=POINT_A).case
    assert c.grid_id == district.a.grid.pk and (c.lat, c.lng) == POINT_A
    gcj = wgs84_to_gcj02(*POINT_A)
    c2 = submit(cat, point=gcj, crs="gcj02").case
    assert c2.grid_id == district.a.grid.pk
    assert abs(c2.lat - POINT_A[0]) < 1e-6 and abs(c2.lng - POINT_A[1]) < 1e-6  # stored in WGS-84


def test_address_only_goes_to_triage(district, cat):
    c = submit(cat, address="鼓楼区某路口").case
    assert c.state == CaseState.TRIAGE and c.grid_id is None


def test_bad_report_names_every_field_and_stores_nothing(district, cat):
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        submit(cat, phone="12", photos=[bad], description=" ")
    errors = exc.value.message_dict
    assert {"reporter_phone", "photos", "description", "lat"} <= set(errors)
    assert "x.png" in errors["photos"][0]
    assert not Case.objects.exists() and not CaseAttachment.objects.exists() and not ResidentLink.objects.exists()


def test_phone_is_required(district, cat):
    with pytest.raises(ValidationError) as exc:
        submit(cat, place=district.a.building, phone="")
    assert "reporter_phone" in exc.value.message_dict


def test_actor_none_is_only_for_the_resident_channel(district, cat):
    with pytest.raises(svc.PermissionDenied):
        svc.case_report(actor=None, channel=CaseChannel.STAFF, category=cat, description="x",
                        building=district.a.building)


# --- rate limits ----------------------------------------------------------------------------------


def test_rate_limit_per_phone(district, cat, settings):
    settings.RESIDENT_REPORTS_PER_PHONE = 2
    submit(cat, place=district.a.building, ip="10.0.0.1")
    submit(cat, place=district.a.building, ip="10.0.0.2", phone="138 1234 5678")  # the same number, typed apart
    with pytest.raises(rsvc.RateLimited) as exc:
        submit(cat, place=district.a.building, ip="10.0.0.3")
    assert "phone number" in exc.value.message
    assert Case.objects.count() == 2
    submit(cat, place=district.a.building, ip="10.0.0.3", phone="13900001111")  # another phone may


def test_rate_limit_per_address_and_failed_reports_do_not_count(district, cat, settings):
    settings.RESIDENT_REPORTS_PER_ADDRESS = 2
    with pytest.raises(ValidationError):
        submit(cat, place=district.a.building, description="")
    submit(cat, place=district.a.building, phone="13900000001")
    submit(cat, place=district.a.building, phone="13900000002")
    with pytest.raises(rsvc.RateLimited) as exc:
        submit(cat, place=district.a.building, phone="13900000003")
    assert "network" in exc.value.message
    submit(cat, place=district.a.building, phone="13900000003", ip="10.9.9.9")
    # The cache holds keyed hashes, never the address or the phone number.
    keys = list(getattr(cache, "_cache", {}).keys())
    assert keys and not any("10.0.0.1" in k or "1390000000" in k for k in keys)


# --- following and rating ---------------------------------------------------------------------------


def test_private_link_shows_public_safe_progress(district, cat, personas):
    r = submit(cat, place=district.a.building)
    to_handled(r.case, personas)
    view = resident_view(link_by_token(r.token))
    assert [s.label for s in view.steps] == ["Received", "Sent to the responsible unit", "Accepted by the unit",
                                             "Work reported done"]
    assert view.state_label == "Handled" and view.can_rate


def test_satisfied_rating_is_recorded_once_per_round(district, cat, personas):
    r = submit(cat, place=district.a.building)
    with pytest.raises(ValidationError):
        rsvc.resident_rate(link=link_by_token(r.token), rating="satisfied")  # nothing done yet
    to_closed(r.case, personas)
    result = rsvc.resident_rate(link=link_by_token(r.token), rating="satisfied", comment="很快")
    assert not result.reopened
    fb = CaseFeedback.objects.get(case=r.case)
    assert (fb.source, fb.rating, fb.comment, fb.actor) == ("resident", "satisfied", "很快", None)
    with pytest.raises(ValidationError) as exc:
        rsvc.resident_rate(link=link_by_token(r.token), rating="unsatisfied")
    assert "already rated" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        rsvc.resident_rate(link=link_by_token(r.token), rating="great")


def test_unsatisfied_within_window_reopens_and_tells_staff(district, cat, personas):
    r = submit(cat, place=district.a.building)
    to_closed(r.case, personas)
    result = rsvc.resident_rate(link=link_by_token(r.token), rating="unsatisfied", comment="灯还是不亮")
    c = Case.objects.get(pk=r.case.pk)
    assert result.reopened and c.state == CaseState.REGISTERED and c.closed_at is None
    last = c.events.order_by("-seq").first()
    assert (last.transition, last.actor, last.from_state) == ("reopen", None, "closed")
    assert "灯还是不亮" in last.note
    notified = set(Notice.objects.filter(kind="case.unsatisfied").values_list("user__username", flat=True))
    assert {"p_community_a", "p_subdistrict"} <= notified and "p_community_b" not in notified
    # Re-handled and closed again, the resident may rate the new round.
    to_closed(c, personas)
    assert rsvc.resident_rate(link=link_by_token(r.token), rating="basically").feedback.rating == "basically"


def test_unsatisfied_after_window_is_recorded_and_staff_told(district, cat, personas):
    r = submit(cat, place=district.a.building)
    c = to_closed(r.case, personas)
    Case.objects.filter(pk=c.pk).update(closed_at=timezone.now() - timedelta(days=workflow.REOPEN_WINDOW_DAYS + 1))
    result = rsvc.resident_rate(link=link_by_token(r.token), rating="unsatisfied")
    assert not result.reopened and Case.objects.get(pk=c.pk).state == CaseState.CLOSED
    assert CaseFeedback.objects.filter(case=c, rating="unsatisfied").exists()
    assert Notice.objects.filter(kind="case.unsatisfied", user=personas.community_a).exists()


def test_unsatisfied_before_closing_is_recorded_not_reopened(district, cat, personas):
    r = submit(cat, place=district.a.building)
    to_handled(r.case, personas)
    assert not rsvc.resident_rate(link=link_by_token(r.token), rating="unsatisfied").reopened
    assert Case.objects.get(pk=r.case.pk).state == CaseState.HANDLED


def test_the_resident_path_takes_no_staff_action(district, cat):
    c = submit(cat, place=district.a.building).case
    with pytest.raises(svc.PermissionDenied):
        svc._transition(actor=None, case=c, action="dispatch", expected_version=c.version, by_resident=True)
    with pytest.raises(svc.PermissionDenied):  # without the link's path, no actor may act at all
        svc.case_dispatch(actor=None, case=c, unit=None, expected_version=c.version)


def test_merged_case_link_follows_the_case_it_was_merged_into(district, cat, personas):
    dup = submit(cat, place=district.a.building)
    main = submit(cat, place=district.a.building, phone="13900002222")
    Case.objects.filter(pk=dup.case.pk).update(merged_into=main.case)
    to_handled(main.case, personas)
    view = resident_view(link_by_token(dup.token))
    assert view.own == dup.case and view.case == main.case and view.state_label == "Handled"
    rsvc.resident_rate(link=link_by_token(dup.token), rating="satisfied")
    rsvc.resident_rate(link=link_by_token(main.token), rating="basically")  # each reporter rates once
    assert CaseFeedback.objects.filter(case=main.case).count() == 2


# --- pages ----------------------------------------------------------------------------------------


def post_form(client, url, cat, **overrides):
    data = {"category": str(cat.pk), "description": "楼道灯坏了", "reporter_name": "李", "reporter_phone": PHONE,
            "lat": "", "lng": "", "crs": "", "address": "", **overrides}
    return client.post(url, data)


def test_qr_page_shows_place_and_categories(client, district, cat):
    response = client.get(reverse("resident:building", args=[district.a.building.code]))
    body = response.content.decode()
    assert response.status_code == 200 and district.a.building.name in body and "路灯不亮" in body
    assert client.get(reverse("resident:building", args=["nope"])).status_code == 404
    grid_code = district.a.grid.code
    assert client.get(reverse("resident:building", args=[grid_code])).status_code == 404


def test_submit_page_shows_number_and_private_link(client, district, cat):
    url = reverse("resident:building", args=[district.a.building.code])
    response = post_form(client, url, cat, photos=photo())
    # Post/redirect/get: the token travels in a signed cookie to the receipt, never in a URL.
    assert response.status_code == 302 and response["Location"] == reverse("resident:receipt")
    case = Case.objects.get()
    assert CaseAttachment.objects.filter(case=case).count() == 1
    for _reload in range(2):
        body = client.get(reverse("resident:receipt")).content.decode()
        assert case.number in body
    assert Case.objects.count() == 1
    token = re.search(r"/r/c/([^/\"]+)/", body).group(1)
    assert ResidentLink.objects.get(case=case).token_hash == rsvc.token_hash(token)
    page = client.get(reverse("resident:follow", args=[token]))
    assert page.status_code == 200 and case.number in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin" and "no-store" in page["Cache-Control"]
    assert client.get(reverse("resident:follow", args=["x" * 32])).status_code == 404


def test_receipt_without_a_recent_report(client, district):
    body = client.get(reverse("resident:receipt")).content.decode()
    assert "No recent report" in body and "/r/c/" not in body


def test_submit_errors_keep_what_was_typed(client, district, cat):
    response = post_form(client, reverse("resident:report"), cat, reporter_phone="123", description="门口积水")
    body = response.content.decode()
    assert response.status_code == 400 and "门口积水" in body and 'value="123"' in body
    assert "Give the place" in body and not Case.objects.exists()


def test_rate_limited_page_is_clear_and_keeps_the_form(client, district, cat, settings):
    settings.RESIDENT_REPORTS_PER_PHONE = 1
    url = reverse("resident:building", args=[district.a.building.code])
    assert post_form(client, url, cat).status_code == 302
    response = post_form(client, url, cat, description="第二次反映")
    body = response.content.decode()
    assert response.status_code == 429 and 'id="rate-limited"' in body and "第二次反映" in body
    assert Case.objects.count() == 1


def test_rating_through_the_page(client, district, cat, personas):
    r = submit(cat, place=district.a.building)
    to_closed(r.case, personas)
    follow = reverse("resident:follow", args=[r.token])
    assert 'id="rate-form"' in client.get(follow).content.decode()
    response = client.post(reverse("resident:rate", args=[r.token]), {"rating": "unsatisfied", "comment": "没修好"})
    assert response.status_code == 302 and response["Location"] == follow
    page = client.get(follow).content.decode()
    assert "reopened" in page and 'id="rate-form"' not in page
    bad = client.post(reverse("resident:rate", args=[r.token]), {"rating": "satisfied"})
    assert bad.status_code == 400
    assert CaseFeedback.objects.get(case=r.case).resolved is None  # not asked, not answered


@pytest.mark.parametrize(("answer", "stored"), [("yes", True), ("no", False), ("", None), ("maybe", None)])
def test_resident_says_whether_the_problem_is_solved(client, district, cat, personas, answer, stored):
    """The answer feeds the resolution rate; no answer (or a garbled one) leaves the case out of it."""
    r = submit(cat, place=district.a.building)
    to_closed(r.case, personas)
    assert 'name="resolved"' in client.get(reverse("resident:follow", args=[r.token])).content.decode()
    client.post(reverse("resident:rate", args=[r.token]), {"rating": "satisfied", "resolved": answer})
    assert CaseFeedback.objects.get(case=r.case).resolved is stored


def test_follow_page_shows_no_staff_names_or_notes(client, district, cat, personas):
    r = submit(cat, place=district.a.building)
    to_handled(r.case, personas)
    body = client.get(reverse("resident:follow", args=[r.token])).content.decode()
    for secret in ("p_department", "p_community_a", "换了灯泡", "138****5678", "区城市管理局"):
        assert secret not in body


def test_merged_link_page_names_the_main_case(client, district, cat):
    dup = submit(cat, place=district.a.building)
    main = submit(cat, place=district.a.building, phone="13900002222")
    Case.objects.filter(pk=dup.case.pk).update(merged_into=main.case)
    body = client.get(reverse("resident:follow", args=[dup.token])).content.decode()
    assert 'id="merged-note"' in body and main.case.number in body


def test_categories_events_first_with_homonyms_told_apart(district):
    from jiceng.cases.resident_selectors import resident_categories, resident_category

    c03 = Category.objects.add_root({"code": "C03", "name": "市容环境", "case_class": "component"})
    lid = Category.objects.add_child(c03, {"code": "C0302", "name": "垃圾箱", "case_class": "component"})
    e01 = Category.objects.add_root({"code": "E01", "name": "市容环境", "case_class": "event"})
    Category.objects.add_child(e01, {"code": "E0102", "name": "暴露垃圾", "case_class": "event"})
    Category.objects.add_root({"code": "R03", "name": "投诉", "request_type": "complaint"})
    groups = resident_categories()
    assert [label for label, _major, _minors in groups] == ["市容环境（Event）", "市容环境（Component）", "投诉"]
    assert [m.name for m in groups[1][2]] == ["垃圾箱"]
    assert resident_category(lid.pk) == lid
    assert resident_category(c03.pk) is None  # a major class with minor classes: choose the minor one
    Category.objects.filter(pk=lid.pk).update(active=False)
    assert resident_category(lid.pk) is None


def test_page_takes_gcj02_from_a_map_sdk(client, district, cat):
    lat, lng = wgs84_to_gcj02(*POINT_A)
    response = post_form(client, reverse("resident:report"), cat, lat=f"{lat:.7f}", lng=f"{lng:.7f}", crs="gcj02")
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.grid_id == district.a.grid.pk and abs(case.lat - POINT_A[0]) < 1e-5
