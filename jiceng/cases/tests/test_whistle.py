"""Whistle and check-in (吹哨报到) and emergency linkage: services and their state machine, clocks on the
working-day calendar, notices, scope, statistics against a recount, pages and API with fixed query counts."""

from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from PIL import Image

from jiceng.accounts.models import AuditEvent, Role, RoleGrant, User
from jiceng.cases import case_services as case_svc
from jiceng.cases import whistle_selectors as sel
from jiceng.cases import whistle_services as svc
from jiceng.cases.models import (
    CaseAttachment,
    Category,
    DispatchCatalogue,
    ResponseState,
    Whistle,
    WhistleEvent,
    WhistleResponse,
)
from jiceng.cases.tests.test_case_services import make_category, report
from jiceng.notify.models import Notice
from jiceng.units.models import Unit, UnitKind

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
API = "/api/v1/whistles"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photos reported back land in a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def cat(district):
    c = make_category()
    DispatchCatalogue.objects.create(category=c, area=district.s1, unit=district.department)
    return c


@pytest.fixture
def police(district):
    """A second department serving subdistrict S1, with its own handler."""
    unit = Unit.objects.create(kind=UnitKind.DEPARTMENT, name="鼓东派出所", code="DEPT-PS", home_area=district.district)
    unit.areas_served.add(district.s1)
    user = User.objects.create_user(username="p_police", password="x")
    RoleGrant.objects.create(user=user, role=Role.DEPARTMENT_HANDLER, unit=unit)
    return unit


def whistle(personas, district, cat, police, n_cases: int = 1, **kw) -> Whistle:
    cases = [report(personas.community_a, cat) for _ in range(n_cases)]
    return svc.whistle_create(actor=personas.subdistrict_staff, title="占道经营反复回潮", cases=cases,
                              lead=district.department, co=[police], description="联合整治", **kw)


def lead_of(w: Whistle) -> WhistleResponse:
    return w.responses.get(role="lead")


def photo() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "JPEG")
    return SimpleUploadedFile("after.jpg", buf.getvalue(), content_type="image/jpeg")


# --- whistling, clocks and notices -------------------------------------------------------------------


def test_whistle_summons_each_department_with_its_clocks_and_notices(personas, district, cat, police):
    w = whistle(personas, district, cat, police, n_cases=2)
    assert w.state == "open" and w.subdistrict == district.s1 and w.cases.count() == 2
    # Both cases lie in grid A1: the whistle sits as deep as they do, so community A's staff see it.
    assert w.area_path == district.a.grid.path
    responses = {r.unit_id: r for r in w.responses.all()}
    assert responses[district.department.pk].role == "lead" and responses[police.pk].role == "co"
    for r in responses.values():
        ci, rb = svc.response_dues("normal", w.created_at)
        assert (r.state, r.check_in_due, r.report_due) == ("summoned", ci, rb)
    handlers = {n.user.username for n in Notice.objects.filter(kind="case.whistle")}
    assert handlers == {"p_department", "p_police"}
    assert Notice.objects.filter(kind="case.whistle").first().url == reverse("cases:whistle", args=[w.pk])
    assert WhistleEvent.objects.filter(whistle=w, transition="whistle").count() == 1
    assert AuditEvent.objects.filter(action="whistle.create", object_id=str(w.pk)).exists()


def test_clocks_skip_the_national_day_holiday_and_overdue_is_derived():
    # 2025-09-30 16:00 (Tuesday before the National Day holiday, Oct 1-8): an urgent whistle's two working
    # hours end at 09:00 on Oct 9, the first working day after; its one working day at 17:30 that day.
    start = datetime(2025, 9, 30, 16, 0, tzinfo=SH)
    ci, rb = svc.response_dues("urgent", start)
    assert ci == datetime(2025, 10, 9, 9, 0, tzinfo=SH) and rb == datetime(2025, 10, 9, 17, 30, tzinfo=SH)
    r = WhistleResponse(state="summoned", check_in_due=ci, report_due=rb)
    assert not sel.response_flags(r, datetime(2025, 10, 6, 12, 0, tzinfo=SH))["check_in_overdue"]
    assert sel.response_flags(r, datetime(2025, 10, 9, 9, 1, tzinfo=SH))["check_in_overdue"]
    r.checked_in_at = datetime(2025, 10, 9, 8, 45, tzinfo=SH)
    flags = sel.response_flags(r, datetime(2025, 10, 9, 18, 0, tzinfo=SH))
    assert not flags["check_in_late"] and flags["report_overdue"]
    # An emergency counts natural hours, through the night and the holiday.
    ci, rb = svc.response_dues("emergency", start)
    assert (ci, rb) == (start + timedelta(hours=1), start + timedelta(hours=4))


def test_overdue_filter_reads_the_stored_deadlines(personas, district, cat, police):
    w = whistle(personas, district, cat, police)
    assert not sel.whistle_list(personas.subdistrict_staff, sel.WhistleFilters(overdue=True)).exists()
    WhistleResponse.objects.filter(pk=lead_of(w).pk).update(check_in_due=timezone.now() - timedelta(minutes=1))
    assert list(sel.whistle_list(personas.subdistrict_staff, sel.WhistleFilters(overdue=True))) == [w]


def test_who_may_whistle_and_on_what(personas, district, cat, police):
    case = report(personas.community_a, cat)
    for persona in ("community_a", "grid_worker", "department"):
        with pytest.raises(PermissionDenied):
            svc.whistle_create(actor=getattr(personas, persona), title="x", cases=[case], lead=district.department)
    with pytest.raises(ValidationError) as err:
        svc.whistle_create(actor=personas.subdistrict_staff, title=" ", cases=[], lead=district.department)
    assert set(err.value.message_dict) == {"title", "cases"}
    c_case = report(personas.district_admin, cat, point=(26.085, 119.345))  # community C, subdistrict S2
    with pytest.raises(PermissionDenied):  # outside the subdistrict's area
        svc.whistle_create(actor=personas.subdistrict_staff, title="x", cases=[case, c_case], lead=police)
    with pytest.raises(ValidationError) as err:
        svc.whistle_create(actor=personas.district_admin, title="x", cases=[case, c_case], lead=police)
    assert "one subdistrict" in str(err.value)


# --- the response state machine -----------------------------------------------------------------------


def test_check_in_report_rate_close(personas, district, cat, police):
    w = whistle(personas, district, cat, police)
    r = lead_of(w)
    with pytest.raises(PermissionDenied):  # another unit's handler, or staff, cannot check in for it
        svc.whistle_check_in(actor=User.objects.get(username="p_police"), response=r, expected_version=1)
    with pytest.raises(case_svc.ConflictError):  # report before check-in: not in the map
        svc.whistle_report(actor=personas.department, response=r, expected_version=1, note="x")
    with pytest.raises(case_svc.ConflictError):  # the lead has not reported: the whistle stays open
        svc.whistle_close(actor=personas.subdistrict_staff, whistle=w, expected_version=1)
    r = svc.whistle_check_in(actor=personas.department, response=r, expected_version=1, note="已到场")
    assert r.state == "checked_in" and r.checked_in_at is not None and r.version == 2
    with pytest.raises(case_svc.ConflictError):  # stale version
        svc.whistle_check_in(actor=personas.department, response=r, expected_version=1)
    with pytest.raises(ValidationError):
        svc.whistle_report(actor=personas.department, response=r, expected_version=2, note=" ")
    with pytest.raises(case_svc.ConflictError):  # rated only once reported
        svc.whistle_rate(actor=personas.subdistrict_staff, response=r, expected_version=2, rating=5)
    r = svc.whistle_report(actor=personas.department, response=r, expected_version=2, note="已清理",
                           photos=[photo()])
    assert r.state == "reported" and r.report_note == "已清理"
    first = w.cases.order_by("id").first()
    assert CaseAttachment.objects.filter(case=first, uploaded_by=personas.department).count() == 1
    with pytest.raises(PermissionDenied):  # the department does not rate itself
        svc.whistle_rate(actor=personas.department, response=r, expected_version=3, rating=5)
    with pytest.raises(ValidationError):
        svc.whistle_rate(actor=personas.subdistrict_staff, response=r, expected_version=3, rating=9)
    r = svc.whistle_rate(actor=personas.subdistrict_staff, response=r, expected_version=3, rating=4, comment="及时")
    assert (r.rating, r.rating_comment) == (4, "及时")
    with pytest.raises(PermissionDenied):
        svc.whistle_close(actor=personas.community_a, whistle=w, expected_version=1)
    w = svc.whistle_close(actor=personas.subdistrict_staff, whistle=w, expected_version=1)
    assert w.state == "closed" and w.closed_at is not None
    # The co-handler's response is frozen with the whistle.
    with pytest.raises(case_svc.ConflictError):
        svc.whistle_check_in(actor=User.objects.get(username="p_police"), response=w.responses.get(role="co"),
                             expected_version=1)
    steps = list(WhistleEvent.objects.filter(whistle=w).values_list("transition", flat=True))
    assert steps == ["whistle", "check_in", "report", "rate", "close"]
    assert set(AuditEvent.objects.filter(action__startswith="whistle.").values_list("action", flat=True)) == {
        "whistle.create", "whistle.check_in", "whistle.report", "whistle.rate", "whistle.close"}


def test_a_bad_photo_stores_nothing(personas, district, cat, police):
    r = lead_of(whistle(personas, district, cat, police))
    r = svc.whistle_check_in(actor=personas.department, response=r, expected_version=1)
    bad = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as err:
        svc.whistle_report(actor=personas.department, response=r, expected_version=2, note="好了", photos=[bad])
    assert "photos" in err.value.message_dict
    r.refresh_from_db()
    assert r.state == "checked_in" and not CaseAttachment.objects.exists()


def test_events_are_append_only(personas, district, cat, police):
    event = whistle(personas, district, cat, police).events.get()
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


# --- emergency linkage -----------------------------------------------------------------------------------


@pytest.fixture
def hazard(district):
    c = Category.objects.add_root({"code": "E04", "name": "燃气泄漏", "case_class": "event",
                                   "urgency_levels": ["normal", "urgent", "emergency"], "unit_kind": "department",
                                   "is_major_hazard": True, "hazard_unit_kinds": ["department", "property_company"]})
    DispatchCatalogue.objects.create(category=c, area=district.s1, unit=district.department)
    return c


def test_major_hazard_whistles_at_intake_and_alerts_duty_staff(personas, district, hazard, police):
    # A bureau serving the whole district is not summoned where departments serve the subdistrict itself.
    bureau = Unit.objects.create(kind=UnitKind.DEPARTMENT, name="区教育局", code="DEPT-JY", home_area=district.district)
    bureau.areas_served.add(district.district)
    case = case_svc.case_report(actor=personas.grid_worker, channel="patrol", category=hazard,
                                description="闻到燃气味", building=district.a.building)
    w = case.whistles.get()
    assert w.emergency and w.urgency == "emergency" and w.created_by == personas.grid_worker
    units = {r.unit_id: r for r in w.responses.all()}
    # Departments serving S1 and the compound's property company (it serves its home compound); the
    # catalogue's unit leads.
    assert set(units) == {district.department.pk, police.pk, district.property_company.pk}
    assert units[district.department.pk].role == "lead"
    ci, rb = svc.response_dues("emergency", w.created_at)
    assert units[police.pk].check_in_due == ci == w.created_at + timedelta(hours=1)
    duty = Notice.objects.filter(kind="case.emergency")
    assert [n.user.username for n in duty] == ["p_subdistrict"] and case.number in duty.get().title
    assert set(Notice.objects.filter(kind="case.whistle").values_list("user__username", flat=True)) == {
        "p_department", "p_police"}


def test_hazard_with_no_linked_unit_still_alerts(personas, district, hazard, police):
    # Community C (subdistrict S2): no department serves it and the property company is in A.
    case = case_svc.case_report(actor=personas.district_admin, channel="staff", category=hazard,
                                description="燃气", building=district.c.building)
    assert not case.whistles.exists()
    # No subdistrict staff covers S2 among the personas; the district administrator does not get it either.
    assert not Notice.objects.filter(kind="case.emergency").exists()
    staff_s2 = User.objects.create_user(username="p_s2", password="x")
    RoleGrant.objects.create(user=staff_s2, role=Role.SUBDISTRICT_STAFF, area=district.s2)
    case_svc.case_report(actor=personas.district_admin, channel="staff", category=hazard, description="燃气",
                         building=district.c.building)
    assert Notice.objects.get(kind="case.emergency").user == staff_s2


def test_ordinary_category_does_not_whistle(personas, district, cat):
    report(personas.community_a, cat)
    assert not Whistle.objects.exists() and not Notice.objects.exists()


# --- scope, statistics ------------------------------------------------------------------------------------


def test_who_sees_a_whistle(personas, district, cat, police):
    w = whistle(personas, district, cat, police)
    for persona in ("district_admin", "subdistrict_staff", "community_a", "department"):
        assert sel.whistle_list(getattr(personas, persona)).filter(pk=w.pk).exists(), persona
    for persona in ("community_b", "grid_worker", "member", "auditor", "sysadmin"):
        assert not sel.whistle_list(getattr(personas, persona)).exists(), persona
    other = Unit.objects.create(kind=UnitKind.DEPARTMENT, name="区住建局", code="DEPT-ZJ", home_area=district.district)
    handler = User.objects.create_user(username="p_zj", password="x")
    RoleGrant.objects.create(user=handler, role=Role.DEPARTMENT_HANDLER, unit=other)
    assert not sel.whistle_list(handler).exists()


def test_stats_equal_a_recount(personas, district, cat, police):
    police_user = User.objects.get(username="p_police")
    ws = [whistle(personas, district, cat, police) for _ in range(3)]
    # Whistle 0: the lead checks in on time, reports on time, rated 5; whistle 1: checks in late, rated 3
    # after reporting; whistle 2: nothing. The police check in on whistle 0 only.
    r = svc.whistle_check_in(actor=personas.department, response=lead_of(ws[0]), expected_version=1)
    r = svc.whistle_report(actor=personas.department, response=r, expected_version=2, note="ok")
    svc.whistle_rate(actor=personas.subdistrict_staff, response=r, expected_version=3, rating=5)
    late = lead_of(ws[1])
    WhistleResponse.objects.filter(pk=late.pk).update(check_in_due=timezone.now() - timedelta(hours=1))
    late.refresh_from_db()
    r = svc.whistle_check_in(actor=personas.department, response=late, expected_version=1)
    r = svc.whistle_report(actor=personas.department, response=r, expected_version=2, note="ok")
    svc.whistle_rate(actor=personas.subdistrict_staff, response=r, expected_version=3, rating=3)
    svc.whistle_check_in(actor=police_user, response=ws[0].responses.get(unit=police), expected_version=1)
    today = timezone.localdate()
    stats = {s["unit_id"]: s for s in sel.department_stats(personas.subdistrict_staff, today, today)}
    for unit in (district.department, police):
        rs = list(WhistleResponse.objects.filter(unit=unit))
        ratings = [x.rating for x in rs if x.rating]
        s = stats[unit.pk]
        assert s["received"] == len(rs) == 3
        assert s["checked_in_on_time"] == sum(1 for x in rs if x.checked_in_at and x.checked_in_at <= x.check_in_due)
        assert s["reported_on_time"] == sum(1 for x in rs if x.reported_at and x.reported_at <= x.report_due)
        assert s["average_rating"] == (round(sum(ratings) / len(ratings), 2) if ratings else None)
    assert (stats[district.department.pk]["checked_in_on_time"], stats[police.pk]["checked_in_on_time"]) == (1, 1)
    assert stats[district.department.pk]["average_rating"] == 4.0 and stats[district.department.pk]["lead"] == 3
    # Another period holds nothing; a department handler sees only its own unit.
    assert sel.department_stats(personas.subdistrict_staff, today - timedelta(days=9), today - timedelta(days=5)) == []
    assert [s["unit_id"] for s in sel.department_stats(personas.department, today, today)] == [district.department.pk]


# --- pages and API -----------------------------------------------------------------------------------------


def test_whistle_from_the_inbox_selection_and_the_case_page(login, personas, district, cat, police):
    a, b = report(personas.community_a, cat), report(personas.community_a, cat)
    client = login(personas.subdistrict_staff)
    inbox = client.get(reverse("cases:inbox")).content.decode()
    assert reverse("cases:whistle_new") in inbox
    r = client.post(reverse("cases:whistle_new"), {"start": "1", "pick": [f"{a.number}:1", f"{b.number}:1"],
                                                    "unit_id": ""})
    assert r.status_code == 200 and f"{a.number} {b.number}" in r.content.decode()
    assert not Whistle.objects.exists()
    r = client.post(reverse("cases:whistle_new"), {"title": "联合整治", "cases": f"{a.number} {b.number}",
                                                    "urgency": "urgent", "lead": district.department.pk,
                                                    "co": [police.pk]})
    w = Whistle.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("cases:whistle", args=[w.pk])
    assert w.cases.count() == 2 and w.urgency == "urgent"
    page = client.get(reverse("cases:case", args=[a.number])).content.decode()
    assert "联合整治" in page and reverse("cases:whistle", args=[w.pk]) in page
    # A missing case number is named beside the field.
    r = client.post(reverse("cases:whistle_new"), {"title": "x", "cases": "GL2099010100001",
                                                    "urgency": "normal", "lead": district.department.pk})
    assert r.status_code == 200 and "GL2099010100001" in r.content.decode()


def test_department_checks_in_and_reports_on_the_page(login, personas, district, cat, police):
    w = whistle(personas, district, cat, police)
    r = lead_of(w)
    dept = login(personas.department)
    page = dept.get(reverse("cases:whistle", args=[w.pk])).content.decode()
    assert reverse("cases:whistle_response_act", args=[w.pk, r.pk, "check_in"]) in page
    act = reverse("cases:whistle_response_act", args=[w.pk, r.pk, "check_in"])
    assert dept.post(act, {"version": "1"}).status_code == 302
    dept.post(act, {"version": "1"})  # a second click: a conflict message, nothing written twice
    assert WhistleEvent.objects.filter(transition="check_in").count() == 1
    dept.post(reverse("cases:whistle_response_act", args=[w.pk, r.pk, "report"]),
              {"version": "2", "note": "已处置", "photos": [photo()]})
    r.refresh_from_db()
    assert r.state == ResponseState.REPORTED and CaseAttachment.objects.count() == 1
    # The police's response is not the department's to answer.
    co = w.responses.get(unit=police)
    assert dept.post(reverse("cases:whistle_response_act", args=[w.pk, co.pk, "check_in"]),
                     {"version": "1"}).status_code == 404
    staff = login(personas.subdistrict_staff)
    staff.post(reverse("cases:whistle_response_act", args=[w.pk, r.pk, "rate"]), {"version": "3", "rating": "5"})
    staff.post(reverse("cases:whistle_close", args=[w.pk]), {"version": "1"})
    w.refresh_from_db()
    assert w.state == "closed" and lead_of(w).rating == 5


def test_list_pages_and_api_run_a_fixed_number_of_queries(login, personas, district, cat, police,
                                                          django_assert_max_num_queries):
    whistle(personas, district, cat, police)
    for user in (personas.subdistrict_staff, personas.department):
        client = login(user)
        for url in (reverse("cases:whistles"), f"{API}?size=50", reverse("cases:whistle_stats")):
            client.get(url)
            with django_assert_max_num_queries(30) as few:
                assert client.get(url).status_code == 200
            counts = len(few.captured_queries)
            for _ in range(6):
                whistle(personas, district, cat, police, n_cases=2)
            with django_assert_max_num_queries(counts):
                assert client.get(url).status_code == 200


def test_api_flow_and_conflict(login, personas, district, cat, police):
    case = report(personas.community_a, cat)
    staff = login(personas.subdistrict_staff)
    r = staff.post(API, {"title": "联合整治", "cases": [case.number], "lead_id": district.department.pk,
                         "co_ids": [police.pk]}, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    lead = next(x for x in body["responses"] if x["role"] == "lead")
    assert body["cases"] == [case.number] and lead["state"] == "summoned" and not lead["check_in_overdue"]
    step = f"{API}/{body['id']}/responses/{lead['id']}"
    dept = login(personas.department)
    assert dept.post(f"{step}/check_in", {"expected_version": 1}, content_type="application/json").status_code == 200
    r = dept.post(f"{step}/check_in", {"expected_version": 1}, content_type="application/json")
    assert r.status_code == 409 and r.json()["version"] == 2
    r = dept.post(f"{step}/report", {"expected_version": 2, "note": ""}, content_type="application/json")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "note"
    assert dept.post(f"{step}/report", {"expected_version": 2, "note": "好了"},
                     content_type="application/json").status_code == 200
    staff = login(personas.subdistrict_staff)
    assert staff.post(f"{step}/rate", {"expected_version": 3, "rating": 4},
                      content_type="application/json").status_code == 200
    r = staff.post(f"{API}/{body['id']}/close", {"expected_version": 1}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "closed"
    today = timezone.localdate().isoformat()
    stats = staff.get(f"{API}/stats", {"start": today, "end": today}).json()
    assert {s["unit_id"]: s["average_rating"] for s in stats} == {district.department.pk: 4.0, police.pk: None}
    assert login(personas.community_b).get(f"{API}/{body['id']}").status_code == 404


def test_stats_excel_export(login, personas, district, cat, police):
    whistle(personas, district, cat, police)
    r = login(personas.subdistrict_staff).get(reverse("cases:whistle_stats"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "部门" and {row[0] for row in rows[1:]} == {"区城市管理局", "鼓东派出所"}
    assert AuditEvent.objects.filter(action="whistles.stats.export").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_check_ins_at_once_one_wins(transactional_db, personas, district, cat, police):
    w = whistle(personas, district, cat, police)
    second = User.objects.create_user(username="p_department2", password="x")
    RoleGrant.objects.create(user=second, role=Role.DEPARTMENT_HANDLER, unit=district.department)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def check_in(actor) -> None:
        try:
            mine = WhistleResponse.objects.select_related("whistle").get(pk=lead_of(w).pk)
            barrier.wait(timeout=10)
            svc.whistle_check_in(actor=actor, response=mine, expected_version=mine.version)
            results.append("won")
        except case_svc.ConflictError:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=check_in, args=(u,)) for u in (personas.department, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["conflict", "won"]
    assert WhistleEvent.objects.filter(whistle=w, transition="check_in").count() == 1
    assert lead_of(w).version == 2


def test_summoned_department_finds_the_whistle_and_its_case_in_its_inbox(login, personas, district, cat, police):
    w = whistle(personas, district, cat, police)
    case = w.cases.get()
    dept = login(personas.department)
    inbox = dept.get(reverse("cases:inbox")).content.decode()
    assert reverse("cases:whistle", args=[w.pk]) in inbox and case.number in inbox
    # It reads the case it was summoned on, but the case's own workflow stays with its assignee.
    page = dept.get(reverse("cases:case", args=[case.number]))
    assert page.status_code == 200 and reverse("cases:whistle", args=[w.pk]) in page.content.decode()
    assert dept.post(reverse("cases:case_act", args=[case.number, "accept"]), {"version": "1"}).status_code == 404
    case.refresh_from_db()
    assert case.state == "registered"
    svc.whistle_check_in(actor=personas.department, response=lead_of(w), expected_version=1)
    svc.whistle_report(actor=personas.department, response=lead_of(w), expected_version=2, note="ok")
    assert sel.pending_responses(personas.department) == (0, [])
    # Another department's handler does not read the case.
    other = User.objects.create_user(username="p_other", password="x")
    unit = Unit.objects.create(kind=UnitKind.DEPARTMENT, name="区水利局", code="DEPT-SL", home_area=district.district)
    RoleGrant.objects.create(user=other, role=Role.DEPARTMENT_HANDLER, unit=unit)
    assert login(other).get(reverse("cases:case", args=[case.number])).status_code == 404


def test_a_department_is_summoned_once(personas, district, cat, police):
    case = report(personas.community_a, cat)
    w = svc.whistle_create(actor=personas.subdistrict_staff, title="x", cases=[case, case], lead=police,
                           co=[police, district.department, district.department])
    assert sorted(w.responses.values_list("unit_id", "role")) == sorted(
        [(police.pk, "lead"), (district.department.pk, "co")])
    assert w.cases.count() == 1


def test_unplaced_hazard_alerts_the_district(personas, district, hazard):
    case = case_svc.case_report(actor=personas.district_admin, channel="staff", category=hazard,
                                description="燃气", lat=30.0, lng=110.0)
    assert case.state == "triage" and not case.whistles.exists()
    notice = Notice.objects.get(kind="case.emergency")
    assert notice.user == personas.district_admin and notice.url == reverse("cases:case", args=[case.number])
