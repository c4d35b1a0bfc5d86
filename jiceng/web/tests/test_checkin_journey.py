"""QR check-in tried in a real Chromium: the organizer (community A's worker) opens a meeting's check-in page
with its live QR code; on a phone, the Party member signs in, opens the code's link and taps to check in;
the organizer's page, left open, shows the member by its own refresh (htmx, under the site's CSP) without
a reload. Then the member's own points page and identity board choice work on the phone."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import PASSWORD
from jiceng.web.tests.conftest import browse

from .test_journey import sign_in

pytestmark = pytest.mark.browser


def test_checking_in_by_qr_code(request, chromium, live_server, audit_log_flushable, browser_problems, district,
                                personas):
    from jiceng.party.checkin_models import CheckIn
    from jiceng.party.meeting_services import meeting_plan

    meeting = meeting_plan(actor=None, org=district.orgs["a"].branch, kind="theme_day", planned_on=date(2025, 3, 3),
                           title="三月主题党日")
    with browse(request, chromium, live_server.url, browser_problems) as organizer:
        sign_in(organizer, personas.community_a.username, PASSWORD)
        organizer.goto(f"/party/meetings/{meeting.pk}/checkin/")
        assert organizer.locator(".qr svg").count() == 1
        link = organizer.locator(".qr + p small").inner_text()
        assert "/party/checkin/" in link and "还没有人签到" in organizer.locator("#live").inner_text()
        with browse(request, chromium, live_server.url, browser_problems) as phone:
            phone.set_viewport_size({"width": 390, "height": 844})
            phone.goto(link.removeprefix(live_server.url))
            assert "/accounts/login/" in phone.url  # signs in first, then comes back to the code
            form = phone.locator("form[action='/accounts/login/']")
            form.locator("input[name=username]").fill(personas.member.username)
            form.locator("input[name=password]").fill(PASSWORD)
            with phone.expect_navigation():
                form.locator("button[type=submit]").click()
            assert "三月主题党日" in phone.locator("main").inner_text()
            with phone.expect_navigation():
                phone.locator("button.big").click()
            assert "您已登记为出席本次会议" in phone.locator("main").inner_text()
            assert CheckIn.objects.filter(object_id=meeting.pk).count() == 1
            phone.goto("/party/points/me/")
            assert "我的积分" in phone.locator("h1").inner_text()
            phone.goto("/party/boards/me/")
            with phone.expect_navigation():
                phone.locator("main form button[type=submit]").click()
            assert "您目前不在展示牌上公示" in phone.locator("main").inner_text()
        # The organizer's open page picks the check-in up on its next refresh (every 20 s).
        organizer.locator("#live td", has_text=personas.member.person.name).wait_for(timeout=30_000)
    browser_problems.check()
