"""`jiceng notify-due`: near-due and overdue case notices and meeting reminders, each sent once however
often the job runs, to the app and to the area's robots; the pages never depend on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiceng.cases import case_services as svc
from jiceng.cases.models import Case, DispatchCatalogue
from jiceng.cases.tests.test_case_services import make_category
from jiceng.notify.models import Notice, SentReminder
from jiceng.notify.reminders import send_due_reminders
from jiceng.notify.services import robot_create

from .robot_server import robot_server

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cases(personas, district):
    cat = make_category("R01")
    DispatchCatalogue.objects.create(category=cat, area=district.s1, unit=district.department)
    made = []
    for hours in (-3, 5):  # one overdue, one near due
        c = svc.case_report(actor=personas.community_a, channel="staff", category=cat, description="路灯不亮",
                            lat=26.085, lng=119.305)
        c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department,
                              expected_version=c.version)
        Case.objects.filter(pk=c.pk).update(handle_due=timezone.now() + timedelta(hours=hours))
        made.append(c)
    return made


def test_case_notices_go_out_once(personas, district, cases, django_capture_on_commit_callbacks, settings):
    settings.NOTIFY_ROBOT_TIMEOUT = 1
    with robot_server() as srv:
        robot_create(actor=personas.subdistrict_staff, area=district.s1, kind="wecom", name="鼓东群",
                     url=f"{srv.url}/cgi-bin/webhook/send?key=s1")
        with django_capture_on_commit_callbacks(execute=True):
            first = send_due_reminders(language="en")
        with django_capture_on_commit_callbacks(execute=True):
            second = send_due_reminders(language="en")
        assert len(srv.received) == 2  # once per case, not again
    assert (first.cases_overdue, first.cases_near_due) == (1, 1)
    assert (second.cases_overdue, second.cases_near_due, second.skipped) == (0, 0, 2)
    titles = sorted(Notice.objects.filter(user=personas.department).values_list("title", flat=True))
    assert [t.split(":")[0] for t in titles] == ["Near due", "Overdue"]


def test_a_moved_deadline_is_announced_again(personas, cases):
    send_due_reminders(language="en")
    overdue_case = cases[0]
    Case.objects.filter(pk=overdue_case.pk).update(handle_due=timezone.now() - timedelta(hours=1))
    assert send_due_reminders(language="en").cases_overdue == 1
    assert Notice.objects.filter(user=personas.department, kind="case.overdue").count() == 2


def test_meeting_falling_due_is_reminded_once(personas, district):
    # 28 December: the month's theme day and committee meeting of community A's branch are not held yet.
    now = datetime(2026, 12, 28, 10, tzinfo=SH)
    first = send_due_reminders(now=now, language="en")
    assert first.meetings >= 2
    mine = Notice.objects.filter(user=personas.community_a, kind="meeting.due")
    assert any("Theme Party day" in n.title and district.orgs["a"].branch.name in n.title for n in mine)
    assert not Notice.objects.filter(user=personas.community_b, title__contains=district.orgs["a"].branch.name)
    assert send_due_reminders(now=now, language="en").meetings == 0
    # Early in the month nothing is due soon.
    assert send_due_reminders(now=datetime(2026, 11, 3, 10, tzinfo=SH), language="en").meetings == 0


def test_the_command_runs(cases):
    out = StringIO()
    call_command("notify-due", stdout=out)
    assert "overdue 1" in out.getvalue() and SentReminder.objects.count() >= 2


def test_planned_meeting_is_reminded_the_day_before_once(personas, district, django_capture_on_commit_callbacks):
    from datetime import date

    from jiceng.party.meeting_services import meeting_plan

    with robot_server() as srv:
        robot_create(actor=personas.subdistrict_staff, area=district.s1, kind="wecom", name="鼓东群",
                     url=f"{srv.url}/cgi-bin/webhook/send?key=s1")
        meeting_plan(actor=personas.community_a, org=district.orgs["a"].branch, kind="theme_day",
                     planned_on=date(2026, 11, 11), title="十一月主题党日")
        early = datetime(2026, 11, 8, 9, tzinfo=SH)
        assert send_due_reminders(now=early, language="en").planned == 0
        eve = datetime(2026, 11, 10, 9, tzinfo=SH)
        with django_capture_on_commit_callbacks(execute=True):
            assert send_due_reminders(now=eve, language="en").planned == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert send_due_reminders(now=eve, language="en").planned == 0
        planned = [b for b in srv.received if "2026-11-11" in b["markdown"]["content"]]
    assert len(planned) == 1 and "十一月主题党日" in planned[0]["markdown"]["content"]
    assert Notice.objects.filter(user=personas.community_a, kind="meeting.planned").count() == 1
