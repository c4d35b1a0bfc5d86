"""Who hears of a case's transitions, and on which channel: the notice in the app (written with the
transition), the email (Django's locmem outbox) and the area's group robots (a local HTTP server standing
in for WeCom), the last two only after the transition commits."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from jiceng.cases import case_services as svc
from jiceng.cases import supervision_services as sup
from jiceng.cases.models import Category
from jiceng.notify.models import Notice
from jiceng.notify.services import robot_create
from jiceng.notify.tests.robot_server import robot_server

from . import test_case_services
from .test_case_services import POINT_A, make_category, report

pytestmark = pytest.mark.django_db
# The services tests' fixtures: messages matched in English, and a category dispatched to the department.
english = test_case_services.english
cat = test_case_services.cat


@pytest.fixture
def robot(personas, district):
    with robot_server() as srv:
        robot_create(actor=personas.district_admin, area=district.district, kind="wecom", name="区群",
                     url=f"{srv.url}/cgi-bin/webhook/send?key=district")
        yield srv


def _texts(srv) -> list[str]:
    return [m["markdown"]["content"] for m in srv.received]


def test_urgent_dispatch_tells_the_unit_by_app_email_and_robot(personas, district, cat, robot,
                                                              django_capture_on_commit_callbacks):
    personas.department.email = "dept@example.org"
    personas.department.save(update_fields=["email"])
    c = report(personas.community_a, cat, urgency="urgent")
    with django_capture_on_commit_callbacks(execute=True):
        c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department,
                              expected_version=c.version)
        assert robot.received == [] and mail.outbox == []  # nothing leaves before the commit
    notice = Notice.objects.get(kind="case.dispatch")
    assert notice.user == personas.department and c.number in notice.title and notice.url == f"/cases/{c.number}/"
    assert [m.to for m in mail.outbox] == [["dept@example.org"]] and c.number in mail.outbox[0].subject
    assert len(robot.received) == 1 and c.number in _texts(robot)[0]


def test_normal_dispatch_to_the_grid_stays_off_the_robots(personas, district, cat, robot,
                                                          django_capture_on_commit_callbacks):
    c = report(personas.community_a, cat)
    with django_capture_on_commit_callbacks(execute=True):
        svc.case_dispatch(actor=personas.community_a, case=c, unit=None, expected_version=c.version)
    assert list(Notice.objects.filter(kind="case.dispatch").values_list("user__username", flat=True)) == ["p_grid"]
    assert robot.received == []


def test_return_tells_the_community_and_handled_asks_it_to_verify(personas, district, cat, robot,
                                                                  django_capture_on_commit_callbacks):
    c = report(personas.community_a, cat)
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=c.version)
    with django_capture_on_commit_callbacks(execute=True):
        c = svc.case_return(actor=personas.department, case=c, expected_version=c.version, reason="不属本单位职责")
    back = Notice.objects.get(kind="case.return")
    assert back.user == personas.community_a and "不属本单位职责" in back.body
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=c.version)
    c = svc.case_accept(actor=personas.department, case=c, expected_version=c.version)
    with django_capture_on_commit_callbacks(execute=True):
        svc.case_handle(actor=personas.department, case=c, expected_version=c.version, note="修好了")
    verify = Notice.objects.get(kind="case.verify")
    assert verify.user == personas.community_a and c.number in verify.title
    assert robot.received == []  # routine steps stay in the app and email


def test_whistle_and_escalation_reach_the_robots(personas, district, cat, robot, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from jiceng.cases import whistle_services as ws
    from jiceng.cases.supervision_models import SupervisionOrder

    c = report(personas.community_a, cat)
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=c.version)
    with django_capture_on_commit_callbacks(execute=True):
        ws.whistle_create(actor=personas.subdistrict_staff, title="占道经营", cases=[c], lead=district.department)
    assert Notice.objects.filter(kind="case.whistle", user=personas.department).exists()
    assert len(robot.received) == 1 and "占道经营" in _texts(robot)[0]
    with django_capture_on_commit_callbacks(execute=True):
        order = sup.supervision_issue(actor=personas.community_a, case=c, note="请今天处理")
    assert len(robot.received) == 1  # a community's own urging: app and email only
    SupervisionOrder.objects.filter(pk=order.pk).update(reply_due=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        sup.supervision_escalate(actor=personas.subdistrict_staff, order=order, note="街道督办")
    assert len(robot.received) == 2 and c.number in _texts(robot)[1]


def test_emergency_linkage_tells_the_duty_staff_and_the_robots(personas, district, robot,
                                                               django_capture_on_commit_callbacks):
    hazard = make_category("H01")
    Category.objects.filter(pk=hazard.pk).update(is_major_hazard=True, urgency_levels=[])
    hazard.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        c = report(personas.grid_worker, hazard, channel="patrol", point=POINT_A)
    assert Notice.objects.filter(kind="case.emergency", user=personas.subdistrict_staff).exists()
    assert any(c.number in t for t in _texts(robot))


def test_a_rolled_back_dispatch_sends_nothing(personas, district, cat, robot, django_capture_on_commit_callbacks):
    personas.department.email = "dept@example.org"
    personas.department.save(update_fields=["email"])
    c = report(personas.community_a, cat, urgency="urgent")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department,
                              expected_version=c.version)
            raise RuntimeError("the request fails after the dispatch")
    assert callbacks == [] and robot.received == [] and mail.outbox == []
    assert not Notice.objects.filter(kind="case.dispatch").exists()
