"""A 12345 work order's own deadline binds: once dispatched, the case's handle deadline is the city
platform's (earlier or later than the category's), so overdue, near-due and on-time count against it, and
the case page shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from jiceng.cases import case_selectors as sel
from jiceng.cases import case_services as svc
from jiceng.cases.hotline_models import HotlineTicket

from .test_case_services import cat, report  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def hotline(personas, cat, due_at):  # noqa: F811
    c = report(personas.community_a, cat, channel="hotline_12345", source_ref="T001")
    HotlineTicket.objects.create(ticket="T001", case=c, received_at=c.created_at, due_at=due_at, via="push")
    return c


def test_the_city_deadline_is_the_handle_deadline(personas, district, cat):  # noqa: F811
    soon = timezone.now() + timedelta(hours=3)  # the category would give 2 working days
    c = hotline(personas, cat, soon)
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=c.version)
    assert c.handle_due == soon != svc.stage_due(cat, "handle", "normal", timezone.now())
    assert sel.case_inbox(personas.community_a, sel.InboxFilters(near_due=True)).filter(pk=c.pk).exists()
    # A rework gives the resident's call no more time.
    c = svc.case_accept(actor=personas.department, case=c, expected_version=c.version)
    c = svc.case_handle(actor=personas.department, case=c, expected_version=c.version, note="已处理")
    c = svc.case_rework(actor=personas.community_a, case=c, expected_version=c.version, note="未整改到位")
    assert c.handle_due == soon


def test_a_later_city_deadline_also_binds_and_an_expired_one_is_overdue(personas, district, cat):  # noqa: F811
    later = timezone.now() + timedelta(days=30)
    c = hotline(personas, cat, later)
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=None, expected_version=c.version)
    assert c.handle_due == later
    HotlineTicket.objects.filter(case=c).update(due_at=timezone.now() - timedelta(hours=1))
    c = svc.case_accept(actor=personas.grid_worker, case=c, expected_version=c.version)
    c = svc.case_handle(actor=personas.grid_worker, case=c, expected_version=c.version, note="已处理")
    c = svc.case_rework(actor=personas.community_a, case=c, expected_version=c.version, note="未整改到位")
    assert sel.case_inbox(personas.community_a, sel.InboxFilters(overdue=True)).filter(pk=c.pk).exists()


def test_without_a_city_deadline_the_category_gives_it(personas, district, cat):  # noqa: F811
    c = hotline(personas, cat, None)
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=c.version)
    assert c.handle_due is not None and c.handle_due > timezone.now() + timedelta(hours=20)


def test_the_case_page_shows_the_city_deadline(login, personas, district, cat):  # noqa: F811
    soon = timezone.now() + timedelta(hours=3)
    c = hotline(personas, cat, soon)
    page = login(personas.community_a).get(f"/cases/{c.number}/").content.decode()
    assert "hotline-due" in page and timezone.localtime(soon).strftime("%Y-%m-%d %H:%M") in page
    other = report(personas.community_a, cat)
    assert "hotline-due" not in login(personas.community_a).get(f"/cases/{other.number}/").content.decode()
