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
    titles = sorted(Notice.objects.filter(user=personas.department, kind__in=["case.near_due", "case.overdue"])
                    .values_list("title", flat=True))
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


def _post_holder(district, org, title: str, n: int, *, ended: bool = False):
    """A person holding `title` in `org` since 2025, with an account of their own (a Party member's)."""
    from datetime import date

    from jiceng.accounts.models import Role, RoleGrant, User
    from jiceng.party.models import Position
    from jiceng.people.services import person_create
    from jiceng.testing import make_id_number

    person = person_create(actor=None, name=f"书记{n}", phone=f"1390000{n:04d}",
                           id_number=make_id_number("19750101", n), home=district.a.building, room=f"{n}")
    Position.objects.create(org=org, person=person, title=title, term_start=date(2025, 1, 1),
                            term_end=date(2028, 1, 1), ended_on=date(2026, 6, 30) if ended else None)
    user = User.objects.create_user(username=f"sec{n}", password="x-Test-pass-2026!", person=person)
    RoleGrant.objects.create(user=user, role=Role.PARTY_MEMBER, area=district.a.building)
    return user


def test_meeting_reminders_reach_the_branch_secretary_and_the_area_robots_once(
        personas, district, django_capture_on_commit_callbacks, django_assert_max_num_queries, caplog):
    from jiceng.party.models import PositionTitle

    secretary = _post_holder(district, district.orgs["a"].branch, PositionTitle.SECRETARY, 21)
    former = _post_holder(district, district.orgs["a"].branch, PositionTitle.SECRETARY, 22, ended=True)
    other = _post_holder(district, district.orgs["b"].branch, PositionTitle.SECRETARY, 23)
    plain = _post_holder(district, district.orgs["a"].branch, PositionTitle.COMMITTEE_MEMBER, 24)
    now = datetime(2026, 12, 28, 10, tzinfo=SH)
    with robot_server() as srv:
        srv.secret = "SEC0123456789abcdef"
        robot_create(actor=personas.subdistrict_staff, area=district.s1, kind="wecom", name="鼓东群",
                     url=f"{srv.url}/cgi-bin/webhook/send?key=s1")
        robot_create(actor=personas.district_admin, area=district.district, kind="dingtalk", name="区党建群",
                     url=f"{srv.url}/robot/send?access_token=d1", secret=srv.secret)
        with django_capture_on_commit_callbacks(execute=True):
            first = send_due_reminders(now=now, language="en")
        with django_capture_on_commit_callbacks(execute=True):
            assert send_due_reminders(now=now, language="en").meetings == 0
        branch_a = district.orgs["a"].branch.name
        theme_a = [b for b in srv.received
                   if "Theme Party day" in str(b["markdown"]) and branch_a in str(b["markdown"])]
        # Once to each robot on the chain (the subdistrict's WeCom group, the district's DingTalk group),
        # and the signed DingTalk call was accepted (the local server checks the signature).
        assert sorted(b["msgtype"] + ("/dd" if "title" in b["markdown"] else "/wx") for b in theme_a) == [
            "markdown/dd", "markdown/wx"]
        assert len(srv.received) == 2 * first.meetings
        assert "robot #" not in caplog.text  # every post was taken (errcode 0), the signature included
    mine = Notice.objects.filter(user=secretary, kind="meeting.due")
    assert any("Theme Party day" in n.title and branch_a in n.title for n in mine)
    assert all(district.orgs["b"].branch.name not in n.title for n in mine)
    assert Notice.objects.filter(user=other, kind="meeting.due", title__contains=district.orgs["b"].branch.name)
    assert not Notice.objects.filter(user=other, title__contains=branch_a).exists()
    assert not Notice.objects.filter(user__in=[former, plain]).exists()
    # The community staff are still told as before.
    assert Notice.objects.filter(user=personas.community_a, kind="meeting.due", title__contains=branch_a)
    # The query count does not grow with the organizations: a later day with everything sent is cheap.
    with django_assert_max_num_queries(12):
        send_due_reminders(now=now, language="en")


def test_a_planned_meeting_is_reminded_to_its_secretary(personas, district):
    from datetime import date

    from jiceng.party.meeting_services import meeting_plan
    from jiceng.party.models import PositionTitle

    secretary = _post_holder(district, district.orgs["a"].branch, PositionTitle.SECRETARY, 31)
    leader = _post_holder(district, district.orgs["a"].group, PositionTitle.GROUP_LEADER, 32)
    meeting_plan(actor=personas.community_a, org=district.orgs["a"].branch, kind="theme_day",
                 planned_on=date(2026, 11, 11), title="十一月主题党日")
    assert send_due_reminders(now=datetime(2026, 11, 10, 9, tzinfo=SH), language="en").planned == 1
    assert Notice.objects.filter(user=secretary, kind="meeting.planned", title__contains="2026-11-11").count() == 1
    # The group's leader convenes the group's meetings, not the branch's.
    assert not Notice.objects.filter(user=leader, kind="meeting.planned").exists()
