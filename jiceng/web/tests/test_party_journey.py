"""Issue #4's journey in a real Chromium, end to end: an in-service member of a resident unit (the district
hospital), on a phone, registers with the community where they live, claims an item of its service list,
makes a public pledge and records the service they gave (date, hours, who benefited, a photo). Community
A's worker, at a desk, learns of both from their notices, confirms the registration and the record; the
member sees the confirmation and the points on their points page. Then the worker opens the compliance
calendar of the community's branch: last month's theme day was expected by the rulebook and not held,
every other month's was.

The member and the worker each have their own browser (as two people would), so nobody signs out."""

from __future__ import annotations

import importlib
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from jiceng.web.tests.conftest import SHOTS_DIR, browse

from .test_journey import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MEMBER_PASSWORD = "x-Test-pass-2026!"  # jiceng/party/tests/dualreg_world.py's


@pytest.fixture
def real_rulebooks(transactional_db) -> None:
    """The default obligation and points rulebooks, loaded by the migrations' own loaders (idempotent):
    the flush after an earlier live-server test empties every table, these data included."""
    from django.apps import apps

    for name in ("0004_meetings", "0005_points_ledger_checkin"):
        importlib.import_module(f"jiceng.party.migrations.{name}").load_rulebook(apps, None)


def _submit(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def _shot(page, name: str) -> None:
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS_DIR / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page) -> None:
    """On the phone the page fits the screen's width: nothing to scroll sideways to."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def _hold_theme_days_but_last_month(district, personas):
    """Theme days of community A's branch held (through the meeting services) in every month of last
    month's year up to today, except last month. Returns (year, last month's number)."""
    from jiceng.party.meeting_selectors import add_months
    from jiceng.party.meeting_services import meeting_plan, meeting_record_held

    today = timezone.localdate()
    missed = add_months(today.replace(day=1), -1)
    branch = district.orgs["a"].branch
    month = missed.replace(month=1)
    while month <= today:
        if month != missed:
            meeting = meeting_plan(actor=personas.community_a, org=branch, kind="theme_day", planned_on=month,
                                   title=f"{month.month}月主题党日")
            meeting_record_held(actor=personas.community_a, meeting=meeting, held_on=month, attendance=[],
                                minutes="学习与志愿服务")
        month = add_months(month, 1)
    return missed.year, missed.month


def test_member_registers_claims_pledges_records_community_confirms_points_and_a_missed_theme_day(
        request, chromium, live_server, audit_log_flushable, browser_problems, real_rulebooks, district, personas,
        tmp_path, settings):
    from jiceng.party.dualreg_models import ServiceCategory
    from jiceng.party.dualreg_services import service_item_create
    from jiceng.party.tests.dualreg_world import member_user

    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "service.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(buf, "JPEG")
    photo.write_bytes(buf.getvalue())
    today = timezone.localdate()
    member = member_user(district, 7)  # the hospital's in-service member, living in community A
    name = member.person.name
    service_item_create(actor=personas.community_a, community=district.a.area, title="独居老人探访",
                        category=ServiceCategory.ELDERLY, capacity=5, starts_on=today - timedelta(days=60),
                        ends_on=today + timedelta(days=120), description="每周陪伴3号楼独居老人一次")
    year, missed = _hold_theme_days_but_last_month(district, personas)

    with browse(request, chromium, live_server.url, browser_problems) as phone, \
            browse(request, chromium, live_server.url, browser_problems) as desk:
        phone.set_viewport_size(PHONE)
        sign_in(phone, member.username, MEMBER_PASSWORD)
        sign_in(desk, personas.community_a.username, "Test-pass-2026!")

        # The member registers where they live.
        phone.goto("/party/dualreg/me/")
        assert "您尚未向社区报到。" in phone.locator("#registration").inner_text()
        _submit(phone, phone.locator("#registration button[type=submit]"))
        registration = phone.locator("#registration").inner_text()
        assert district.a.area.name in registration and "已申请" in registration

        # They claim the service item and pledge.
        items = phone.locator("#items")
        assert "独居老人探访" in items.inner_text() and "每周陪伴3号楼独居老人一次" in items.inner_text()
        _submit(phone, items.locator("div", has_text="独居老人探访").locator("button[type=submit]"))
        assert "独居老人探访" in phone.locator("#claims").inner_text()
        pledge = phone.locator("#pledges form.stack").last
        pledge.locator("textarea[name=text]").fill("每月为3号楼独居老人代购一次生活用品")
        pledge.locator("input[name=due_on]").fill(f"{today + timedelta(days=90):%Y-%m-%d}")
        _submit(phone, pledge.locator("button[type=submit]"))
        assert "每月为3号楼独居老人代购一次生活用品" in phone.locator("#pledges").inner_text()
        _no_sideways_scroll(phone)

        # They record the service they gave, with a photo from the phone.
        phone.locator("#claims a.button", has_text="服务记实").first.click()
        phone.wait_for_url("**/record/")
        phone.locator("input[name=served_on]").fill(f"{today:%Y-%m-%d}")
        phone.locator("input[name=hours]").fill("2.5")
        phone.locator("input[name=beneficiary]").fill("3号楼独居老人王奶奶")
        phone.locator("textarea[name=note]").fill("陪同就医、打扫卫生")
        phone.locator("input[name=photo]").set_input_files(str(photo))
        _no_sideways_scroll(phone)
        _shot(phone, "party-journey-1-record-phone")
        _submit(phone, phone.locator("form.stack button[type=submit]"))
        claims = phone.locator("#claims").inner_text()
        assert "已记实，待确认" in claims and "2.5" in claims and "3号楼独居老人王奶奶" in claims
        _shot(phone, "party-journey-2-me-phone")

        # The worker's notices say what waits; the first leads to the registration, which they confirm.
        desk.goto("/notices/")
        inbox = desk.locator("main table").inner_text()
        assert f"待确认的报到：{name}" in inbox and f"待确认的服务记实：{name}，独居老人探访" in inbox
        _submit(desk, desk.locator("tr", has_text="待确认的报到").locator("button[type=submit]"))
        assert "/party/dualreg/registrations/" in desk.url
        row = desk.locator("tbody tr", has_text=name)
        _submit(desk, row.locator("button[name=action][value=confirm]"))
        # Back on the same filter (waiting ones), which the confirmed registration has left.
        assert "state=requested" in desk.url and desk.locator("tbody tr", has_text=name).count() == 0
        desk.goto("/party/dualreg/registrations/")
        assert "已确认" in desk.locator("tbody tr", has_text=name).inner_text()

        # Then the record: the photo is there to look at before confirming.
        desk.goto("/notices/")
        _submit(desk, desk.locator("tr", has_text="待确认的服务记实").locator("button[type=submit]"))
        assert "/party/dualreg/records/" in desk.url
        row = desk.locator("tbody tr", has_text=name)
        assert "2.5" in row.inner_text() and row.locator("a", has_text="照片").count() == 1
        with desk.expect_response(lambda r: "/photo/" in r.url) as shown:
            row.locator("a", has_text="照片").click()
        assert shown.value.status == 200 and shown.value.headers["content-type"] == "image/jpeg"
        desk.go_back()
        _submit(desk, desk.locator("tbody tr", has_text=name).locator("button[name=action][value=confirm]"))
        assert "state=recorded" in desk.url and desk.locator("tbody tr", has_text=name).count() == 0
        desk.goto("/party/dualreg/records/")
        assert "已确认" in desk.locator("tbody tr", has_text=name).inner_text()
        _shot(desk, "party-journey-3-records-desk")

        # The member sees both confirmations, in their notices and on their pages, and the points.
        phone.goto("/notices/")
        notices = phone.locator("main").inner_text()
        assert f"您在{district.a.area.name}的报到已确认" in notices and "您的服务记实“独居老人探访”已确认" in notices
        _shot(phone, "party-journey-4-notices-phone")
        phone.goto("/party/dualreg/me/")
        assert "已确认" in phone.locator("#registration").inner_text()
        assert "已确认服务时长：2.5 小时" in phone.locator("#claims").inner_text()
        phone.goto("/party/points/me/")
        assert phone.locator("h1").inner_text() == "我的积分"
        assert Decimal(phone.locator(".stat strong").inner_text()) == Decimal("2.5")
        entry = phone.locator("tbody tr", has_text="到社区报到服务（经社区确认）")
        assert f"{today:%Y-%m-%d}" in entry.inner_text() and "2.5" in entry.inner_text()
        _no_sideways_scroll(phone)
        _shot(phone, "party-journey-5-points-phone")

        # The compliance calendar of the community's branch: last month's theme day is missing.
        desk.goto(f"/party/meetings/compliance/{district.orgs['a'].branch.pk}/?year={year}")
        theme = desk.locator("table.calendar tbody tr", has_text="主题党日")
        cells = theme.locator("td[class^=st-]")
        assert cells.count() == 12
        gone = cells.nth(missed - 1)
        assert gone.get_attribute("class") == "st-missing" and gone.get_attribute("title") == "未开展"
        assert gone.inner_text() == "0/1"
        for month in range(1, missed):
            assert cells.nth(month - 1).get_attribute("class") == "st-met", month
            assert cells.nth(month - 1).inner_text() == "1/1"
        assert "未开展" in desk.locator("main").inner_text()  # the legend names the colour
        _shot(desk, "party-journey-6-compliance-desk")
    browser_problems.check()
