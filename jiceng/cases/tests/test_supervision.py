"""Supervision (督办): urging orders issued, answered and escalated level by level with permission, scope,
audit and notices; near-due and overdue derived from stored deadlines (across a weekend and a holiday,
a suspended case never overdue); the workbench, the urge panel and the API with a fixed number of queries."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from jiceng.accounts.models import AuditEvent
from jiceng.cases import case_services as svc
from jiceng.cases import supervision_selectors as sel
from jiceng.cases import supervision_services as sup
from jiceng.cases.case_services import ConflictError, stage_due
from jiceng.cases.models import Case, DispatchCatalogue, SupervisionOrder
from jiceng.notify.models import Notice

from .test_case_services import make_category

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def cat(district):
    c = make_category("S01")
    DispatchCatalogue.objects.create(category=c, area=district.s1, unit=district.department)
    return c


def new_case(personas, cat, *, unit=None, title="路灯不亮") -> Case:
    c = svc.case_report(actor=personas.community_a, channel="staff", category=cat, description=title,
                        lat=26.085, lng=119.305)
    if unit is not False:
        c = svc.case_dispatch(actor=personas.community_a, case=c, unit=unit, expected_version=c.version)
    return c


def overdue(case: Case, hours: int = 2) -> Case:
    """Move the running deadline into the past (as if the case had waited that long)."""
    Case.objects.filter(pk=case.pk).update(handle_due=timezone.now() - timedelta(hours=hours))
    case.refresh_from_db()
    return case


def make_late(order: SupervisionOrder) -> None:
    SupervisionOrder.objects.filter(pk=order.pk).update(reply_due=timezone.now() - timedelta(minutes=1))


# --- services -------------------------------------------------------------------------------------


def test_community_urges_the_department_which_replies(personas, district, cat):
    c = overdue(new_case(personas, cat, unit=district.department))
    order = sup.supervision_issue(actor=personas.community_a, case=c, note="请今天处理")
    assert order.level == "community" and order.reply_due > timezone.now()
    notice = Notice.objects.get(user=personas.department, kind="case.urge")
    assert notice.kind == "case.urge" and c.number in notice.title and notice.url == f"/cases/{c.number}/"
    assert AuditEvent.objects.filter(action="case.supervise", object_id=str(c.pk)).exists()
    assert sel.orders(personas.department, state="open").get() == order

    replied = sup.supervision_reply(actor=personas.department, order=order, reply="已安排人员，明天修好")
    assert replied.replied_by == personas.department and not sup.is_open(replied)
    assert Notice.objects.filter(user=personas.community_a, kind="case.urge_reply").exists()
    assert AuditEvent.objects.filter(action="case.supervise_reply").exists()
    with pytest.raises(ConflictError):
        sup.supervision_reply(actor=personas.department, order=replied, reply="再答一次")


def test_grid_handled_case_urges_its_grid_workers(personas, district, cat):
    c = new_case(personas, cat, unit=None)  # the grid's own workers handle it
    sup.supervision_issue(actor=personas.subdistrict_staff, case=c, note="抓紧")
    assert list(Notice.objects.filter(kind="case.urge").values_list("user__username", flat=True)) == ["p_grid"]


def test_who_may_urge(personas, district, cat):
    c = new_case(personas, cat, unit=district.department)
    for actor in (personas.grid_worker, personas.department, personas.community_b, personas.member):
        with pytest.raises(PermissionDenied):
            sup.supervision_issue(actor=actor, case=c, note="x")
    with pytest.raises(ValidationError):
        sup.supervision_issue(actor=personas.community_a, case=c, note="  ")
    with pytest.raises(ValidationError):
        sup.supervision_issue(actor=personas.community_a, case=c, note="x",
                              reply_due=timezone.now() - timedelta(hours=1))
    sup.supervision_issue(actor=personas.community_a, case=c, note="第一次")
    with pytest.raises(ConflictError):
        sup.supervision_issue(actor=personas.community_a, case=c, note="第二次")
    # Another level may urge the same case at once.
    assert sup.supervision_issue(actor=personas.district_admin, case=c, note="区级督办").level == "district"


def test_a_late_order_escalates_level_by_level(personas, district, cat):
    c = new_case(personas, cat, unit=district.department)
    first = sup.supervision_issue(actor=personas.community_a, case=c, note="请处理")
    with pytest.raises(ValidationError):  # not late yet
        sup.supervision_escalate(actor=personas.subdistrict_staff, order=first, note="升级")
    make_late(first)
    assert sel.orders(personas.subdistrict_staff, state="late").get() == first
    with pytest.raises(PermissionDenied):  # the community cannot escalate to the subdistrict
        sup.supervision_escalate(actor=personas.community_a, order=first, note="升级")
    second = sup.supervision_escalate(actor=personas.subdistrict_staff, order=first, note="街道督办")
    assert (second.level, second.escalated_from_id) == ("subdistrict", first.pk)
    first.refresh_from_db()
    assert not sup.is_open(first)
    assert set(Notice.objects.filter(title__startswith="Escalated").values_list("user__username", flat=True)) == {
        "p_department", "p_community_a"}
    with pytest.raises(ConflictError):
        sup.supervision_escalate(actor=personas.district_admin, order=first, note="再升")
    make_late(second)
    third = sup.supervision_escalate(actor=personas.district_admin, order=second, note="区级督办")
    assert third.level == "district"
    make_late(third)
    with pytest.raises(PermissionDenied):  # nothing above the district
        sup.supervision_escalate(actor=personas.district_admin, order=third, note="x")
    assert AuditEvent.objects.filter(action="case.supervise_escalate").count() == 2


def test_a_closed_case_needs_no_urging(personas, district, cat):
    c = new_case(personas, cat, unit=district.department)
    c = svc.case_accept(actor=personas.department, case=c, expected_version=c.version)
    c = svc.case_handle(actor=personas.department, case=c, expected_version=c.version, note="修好")
    c = svc.case_verify(actor=personas.grid_worker, case=c, expected_version=c.version)
    c = svc.case_close(actor=personas.community_a, case=c, expected_version=c.version)
    with pytest.raises(ValidationError):
        sup.supervision_issue(actor=personas.community_a, case=c, note="x")


# --- derived lists --------------------------------------------------------------------------------


def _numbers(qs) -> list[str]:
    return [c.number for c in qs]


def test_near_due_across_a_weekend(personas, district, cat):
    c = new_case(personas, cat, unit=district.department)
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=SH)
    due = stage_due(cat, "handle", "normal", friday)  # 2 working days: over the weekend, into next week
    assert due.astimezone(SH).date() == datetime(2026, 12, 8).date()
    Case.objects.filter(pk=c.pk).update(handle_due=due)
    user = personas.community_a
    for now, near, over in [(friday + timedelta(hours=1), False, False),     # Friday evening
                            (datetime(2026, 12, 6, 12, tzinfo=SH), False, False),  # Sunday
                            (due - timedelta(hours=23), True, False),        # the afternoon before
                            (due + timedelta(minutes=1), False, True)]:
        assert (c.number in _numbers(sel.due_cases(user, kind="near_due", now=now))) is near, now
        assert (c.number in _numbers(sel.due_cases(user, kind="overdue", now=now))) is over, now


def test_national_day_holiday_pushes_the_deadline_past_the_week(personas, district, cat):
    c = new_case(personas, cat, unit=district.department)
    start = datetime(2026, 9, 30, 16, 0, tzinfo=SH)
    due = stage_due(cat, "handle", "normal", start)
    assert due.astimezone(SH).date() > datetime(2026, 10, 7).date()
    Case.objects.filter(pk=c.pk).update(handle_due=due)
    holiday = datetime(2026, 10, 5, 12, tzinfo=SH)
    assert not sel.due_cases(personas.community_a, kind="near_due", now=holiday).exists()
    assert not sel.due_cases(personas.community_a, kind="overdue", now=holiday).exists()


def test_a_suspended_case_is_not_overdue(personas, district, cat):
    c = new_case(personas, cat, unit=district.department)
    c = svc.case_accept(actor=personas.department, case=c, expected_version=c.version)
    overdue(c, hours=5)
    assert _numbers(sel.due_cases(personas.subdistrict_staff, kind="overdue")) == [c.number]
    svc.case_suspend(actor=personas.subdistrict_staff, case=c, expected_version=c.version, note="等待审批")
    assert not sel.due_cases(personas.subdistrict_staff, kind="overdue").exists()
    assert not sel.due_cases(personas.subdistrict_staff, kind="near_due").exists()


def test_lists_are_scoped(personas, district, cat):
    c = overdue(new_case(personas, cat, unit=district.department))
    sup.supervision_issue(actor=personas.community_a, case=c, note="请处理")
    assert _numbers(sel.due_cases(personas.community_a)) == [c.number]
    assert not sel.due_cases(personas.community_b).exists()
    assert not sel.orders(personas.community_b, state="all").exists()
    s = sel.summary(personas.community_a)
    assert (s.overdue, s.open_by_level["community"], s.late) == (1, 1, 0)


# --- pages and API --------------------------------------------------------------------------------


def _many(personas, district, cat, n: int) -> None:
    for i in range(n):
        c = overdue(new_case(personas, cat, unit=district.department, title=f"问题{i}"))
        sup.supervision_issue(actor=personas.community_a, case=c, note="请处理")


@pytest.mark.parametrize("tab", ["overdue", "orders"])
def test_workbench_runs_a_fixed_number_of_queries(personas, district, cat, login, tab,
                                                  django_assert_max_num_queries):
    client = login(personas.subdistrict_staff)
    url = reverse("cases:supervision") + f"?tab={tab}"
    _many(personas, district, cat, 2)
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    _many(personas, district, cat, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("/cases/GL") >= 8


def test_workbench_exports_excel(personas, district, cat, login):
    _many(personas, district, cat, 2)
    response = login(personas.subdistrict_staff).get(reverse("cases:supervision") + "?tab=orders&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(action="supervision.export").exists()


def test_urge_panel_on_the_case_page(personas, district, cat, login):
    c = overdue(new_case(personas, cat, unit=district.department))
    client = login(personas.community_a)
    page = client.get(reverse("cases:case", args=[c.number])).content.decode()
    assert reverse("cases:supervision_issue", args=[c.number]) in page
    response = client.post(reverse("cases:supervision_issue", args=[c.number]), {"note": "请今天处理"})
    assert response.status_code == 302
    order = SupervisionOrder.objects.get()
    dept = login(personas.department).get(reverse("cases:case", args=[c.number])).content.decode()
    assert reverse("cases:supervision_reply", args=[order.pk]) in dept and "请今天处理" in dept
    login(personas.department).post(reverse("cases:supervision_reply", args=[order.pk]), {"reply": "马上处理"})
    order.refresh_from_db()
    assert order.reply == "马上处理"


def test_api_lists_and_actions(personas, district, cat, login, django_assert_max_num_queries):
    c = overdue(new_case(personas, cat, unit=district.department))
    client = login(personas.subdistrict_staff)
    due = client.get("/api/v1/cases/supervision/due?kind=overdue").json()
    assert [i["number"] for i in due["items"]] == [c.number] and due["items"][0]["open_orders"] == 0
    made = client.post(f"/api/v1/cases/supervision/cases/{c.number}/orders", {"note": "请处理"},
                       content_type="application/json")
    assert made.status_code == 201 and made.json()["level"] == "subdistrict"
    again = client.post(f"/api/v1/cases/supervision/cases/{c.number}/orders", {"note": "请处理"},
                        content_type="application/json")
    assert again.status_code == 409
    order_id = made.json()["id"]
    answer = login(personas.department).post(f"/api/v1/cases/supervision/orders/{order_id}/reply",
                                             {"reply": "处理中"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["replied_by"] == "p_department"
    _many(personas, district, cat, 2)
    client = login(personas.subdistrict_staff)
    with django_assert_max_num_queries(20) as few:
        client.get("/api/v1/cases/supervision/orders?state=all")
    _many(personas, district, cat, 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        listed = client.get("/api/v1/cases/supervision/orders?state=all").json()
    assert listed["count"] == 8


def test_case_page_with_the_urge_panel_runs_a_fixed_number_of_queries(personas, district, cat, login,
                                                                       django_assert_max_num_queries):
    c = overdue(new_case(personas, cat, unit=district.department))
    first = sup.supervision_issue(actor=personas.community_a, case=c, note="社区督办")
    client = login(personas.district_admin)
    url = reverse("cases:case", args=[c.number])
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    make_late(first)
    second = sup.supervision_escalate(actor=personas.subdistrict_staff, order=first, note="街道督办")
    sup.supervision_reply(actor=personas.department, order=second, reply="已处理")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "社区督办" in page and "街道督办" in page and "已处理" in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_escalations_race_one_wins(transactional_db, personas, district, cat):
    c = new_case(personas, cat, unit=district.department)
    order = sup.supervision_issue(actor=personas.community_a, case=c, note="请处理")
    make_late(order)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def escalate(actor) -> None:
        try:
            mine = SupervisionOrder.objects.get(pk=order.pk)
            barrier.wait(timeout=10)
            sup.supervision_escalate(actor=actor, order=mine, note="升级")
            results.append("won")
        except ConflictError:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=escalate, args=(u,)) for u in (personas.subdistrict_staff,
                                                                        personas.district_admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["conflict", "won"]
    assert SupervisionOrder.objects.filter(escalated_from=order).count() == 1
