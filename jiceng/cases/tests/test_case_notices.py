"""Who is told when a case is dispatched or returned, through which channels (jiceng/cases/case_notices.py)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from jiceng.cases import case_services as svc
from jiceng.cases.models import DispatchCatalogue
from jiceng.notify.models import Notice
from jiceng.notify.services import robot_create
from jiceng.notify.tests.robot_server import robot_server

from .test_case_services import english, make_category, report  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cat(district):
    c = make_category()
    DispatchCatalogue.objects.create(category=c, area=district.s1, unit=district.department)
    return c


@pytest.fixture
def with_emails(personas):
    for p in (personas.department, personas.grid_worker, personas.community_a, personas.subdistrict_staff,
              personas.community_b):
        p.email = f"{p.username}@example.gov.cn"
        p.save(update_fields=["email"])
    return personas


def notified(kind: str) -> set[str]:
    return set(Notice.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_dispatch_to_a_unit_tells_its_handlers_in_the_app_and_by_email(district, with_emails, cat,
                                                                      django_capture_on_commit_callbacks):
    personas = with_emails
    c = report(personas.community_a, cat)
    with django_capture_on_commit_callbacks(execute=True):
        c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department,
                              expected_version=c.version)
    assert notified("case.dispatched") == {"p_department"}
    notice = Notice.objects.get(kind="case.dispatched")
    assert c.number in notice.title and notice.url == f"/cases/{c.number}/"
    assert [m.to for m in mail.outbox] == [["p_department@example.gov.cn"]]


def test_dispatch_to_the_grid_tells_its_grid_workers_only(district, with_emails, cat):
    personas = with_emails
    c = report(personas.community_a, cat)
    svc.case_dispatch(actor=personas.community_a, case=c, unit=None, expected_version=c.version)
    assert notified("case.dispatched") == {"p_grid"}


def test_return_tells_the_staff_over_the_place_not_the_other_community(district, with_emails, cat):
    personas = with_emails
    c = report(personas.community_a, cat)
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=c.version)
    svc.case_return(actor=personas.department, case=c, expected_version=c.version, reason="不属于我局职责")
    assert notified("case.returned") == {"p_community_a", "p_subdistrict"}
    assert Notice.objects.filter(kind="case.returned").first().body == "不属于我局职责"


@pytest.mark.parametrize(("urgency", "to_robot"), [("normal", False), ("urgent", True)])
def test_only_urgent_dispatches_go_to_the_group_robot(district, personas, cat, urgency, to_robot,
                                                      django_capture_on_commit_callbacks):
    with robot_server() as srv:
        robot_create(actor=personas.subdistrict_staff, area=district.s1, kind="wecom", name="鼓东群",
                     url=f"{srv.url}/cgi-bin/webhook/send?key=s1")
        c = report(personas.community_a, cat, urgency=urgency)
        with django_capture_on_commit_callbacks(execute=True):
            svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department,
                              expected_version=c.version)
        texts = [m.get("markdown", m.get("text", {})).get("content", "") for m in srv.received]
    assert (len(texts) == 1 and c.number in texts[0]) if to_robot else texts == []


def test_a_dispatch_that_fails_sends_nothing(district, with_emails, cat, django_capture_on_commit_callbacks):
    personas = with_emails
    c = report(personas.community_a, cat)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department,
                              expected_version=c.version)
            raise RuntimeError("a later step of the same request failed")
    assert notified("case.dispatched") == set() and mail.outbox == []
