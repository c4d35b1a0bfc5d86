"""The Party pages as a person sees them in Chromium: a member's points on a phone (figures without
trailing zeros, dates on one line), and the top menu naming the section a dual registration page is in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from conftest import PASSWORD
from jiceng.party.models import Member
from jiceng.party.points_models import SourceKind
from jiceng.party.points_services import points_post_for_source

from .test_journey import sign_in
from .test_party_journey import real_rulebooks  # noqa: F401 - a fixture: the flush empties the rulebooks

pytestmark = pytest.mark.browser

# How many line boxes an element's text takes (a wrapped date takes two).
LINES = "el => { const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length; }"


def test_a_members_points_on_a_phone(page, screenshot, browser_problems, real_rulebooks, district,  # noqa: F811
                                     personas):
    me = Member.objects.get(person=personas.member.person)
    year = date.today().year
    for n, (day, hours) in enumerate(((date(year, 1, 5), Decimal("2.5")), (date(year, 1, 12), Decimal(3)))):
        points_post_for_source(actor=None, source_kind=SourceKind.SERVICE_RECORD, source_id=n, member=me,
                               at=day, quantity=hours)
    sign_in(page, personas.member.username, PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/party/points/me/")
    total = page.locator("p.stat strong").inner_text()
    assert total == "5.5"  # 2.5 + 3 hours at a point an hour; never 5.50
    cells = page.locator("td.date")
    assert cells.count() == 2
    assert [cells.nth(i).evaluate(LINES) for i in range(cells.count())] == [1, 1]
    figures = page.locator("tbody td.num").all_inner_texts()
    assert not any(f.strip().endswith(".00") or f.strip().endswith(".50") for f in figures), figures
    screenshot("points-me-phone")
    assert browser_problems.errors == []



@pytest.mark.parametrize("path", ["registrations/", "buildings/", "items/", "records/", "pledges/", "report/"])
def test_the_menu_names_dual_registration_on_its_pages(page, browser_problems, district, personas, path):
    sign_in(page, personas.community_a.username, PASSWORD)
    page.goto(f"/party/dualreg/{path}")
    assert page.locator(".mainnav a[aria-current=page]").all_inner_texts() == ["双报到"]


def test_confirming_from_the_filtered_records_stays_filtered(page, screenshot, browser_problems, district,
                                                             personas):
    from django.utils import timezone

    from jiceng.party import dualreg_services as svc
    from jiceng.party.tests.dualreg_world import item, member_user

    user = member_user(district, 1)
    for title in ("楼道清扫", "助老"):
        claim = svc.service_claim_create(actor=user, item=item(district, title=title))
        svc.service_record_submit(actor=user, claim=claim, served_on=timezone.localdate(), hours=1,
                                  beneficiary="居民")
    sign_in(page, personas.community_a.username, PASSWORD)
    page.goto("/party/dualreg/records/?state=recorded")
    with page.expect_navigation():
        page.locator("button[name=action][value=confirm]").first.click()
    assert page.url.endswith("/party/dualreg/records/?state=recorded")
    assert page.locator("select[name=state]").input_value() == "recorded"
    assert page.locator("table tbody tr").count() == 1
    assert page.locator(".mainnav a[aria-current=page]").all_inner_texts() == ["双报到"]
    screenshot("records-after-confirm")
    assert browser_problems.errors == []
