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

pytestmark = pytest.mark.browser

# How many line boxes an element's text takes (a wrapped date takes two).
LINES = "el => { const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length; }"


def test_a_members_points_on_a_phone(page, screenshot, browser_problems, district, personas):
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

