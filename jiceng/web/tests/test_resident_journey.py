"""A resident on a phone (issue #3), in a real Chromium: opens the URL of a building's QR code,
reports a broken light with a photo, gets the case number and the private link; the community
dispatches and the department handles it; later the resident opens the link, sees the state and
rates it, and the community worker records a follow-up call on the case page.
A second resident reports without a code, from the phone's location."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from PIL import Image

from conftest import PASSWORD
from jiceng.cases import case_services as svc
from jiceng.cases.models import Case, CaseAttachment, CaseFeedback, Category, DispatchCatalogue
from jiceng.web.tests.test_journey import sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def category(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    c = Category.objects.add_root({"code": "C0108", "name": "路灯", "case_class": "component",
                                   "urgency_levels": ["normal", "urgent"], "unit_kind": "department"})
    c.limits.create(stage="handle", urgency="normal", amount=2, unit="working_days")
    DispatchCatalogue.objects.create(category=c, area=district.s1, unit=district.department)
    return c


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (250, 200, 0)).save(buf, "PNG")
    return buf.getvalue()


def test_resident_reports_from_the_qr_code_and_follows_the_case(page, screenshot, browser_problems, district,
                                                               personas, category):
    page.set_viewport_size(PHONE)
    page.goto(f"/r/b/{district.a.building.code}/")
    assert district.a.building.name in page.locator(".place-given").inner_text()
    # The form fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.select_option("select[name=category]", label="路灯")
    page.fill("textarea[name=description]", "3单元门口路灯不亮两天了")
    page.set_input_files("input[name=photos]", files=[{"name": "light.png", "mimeType": "image/png",
                                                      "buffer": png()}])
    page.fill("input[name=reporter_name]", "王女士")
    page.fill("input[name=reporter_phone]", "13912345678")
    screenshot("resident-report-phone")
    with page.expect_navigation():
        page.locator("form.resident-form button[type=submit]").click()
    number = page.locator("#case-number").inner_text()
    link = page.locator("#private-link").get_attribute("href")
    screenshot("resident-receipt-phone")
    case = Case.objects.get(number=number)
    assert case.channel == "resident_app" and case.building == district.a.building
    assert CaseAttachment.objects.filter(case=case).count() == 1
    assert "/r/c/" in link and case.reporter_phone_masked == "139****5678"

    # Later: the community dispatches, the department accepts and handles.
    case = svc.case_dispatch(actor=personas.community_a, case=case, unit=district.department,
                             expected_version=case.version)
    case = svc.case_accept(actor=personas.department, case=case, expected_version=case.version)
    svc.case_handle(actor=personas.department, case=case, expected_version=case.version, note="已更换灯具")

    page.goto(link)
    assert page.locator("#case-state").inner_text() == "已处置"
    timeline = page.locator(".timeline").inner_text()
    assert "已受理" in timeline and "已派往责任单位" in timeline and "已报处置完成" in timeline
    assert "已更换灯具" not in page.content() and "p_department" not in page.content()
    page.locator("input[name=rating][value=satisfied]").check()
    page.fill("textarea[name=comment]", "修得很快")
    with page.expect_navigation():
        page.locator("#rate-form button[type=submit]").click()
    assert "谢谢您的评价" in page.locator(".messages").inner_text()
    screenshot("resident-follow-phone")
    assert CaseFeedback.objects.get(case=case).rating == "satisfied"

    # The community worker calls back; nobody answers, so the form takes no rating.
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, personas.community_a.username, PASSWORD)
    page.goto(f"/cases/{number}/")
    form = page.locator("#follow-up-form")
    form.locator("input[name=reached][value='0']").check()
    assert form.locator("select[name=rating]").is_disabled()
    form.locator("textarea[name=comment]").fill("下午再打")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "回访已记录" in page.locator(".messages").inner_text()
    assert "下午再打" in page.locator("#feedback").inner_text()
    call = CaseFeedback.objects.get(case=case, source="follow_up")
    assert (call.reached, call.rating, call.actor) == (False, "", personas.community_a)
    browser_problems.check()


def test_resident_reports_from_the_phones_location(page, browser_problems, district, category):
    page.set_viewport_size(PHONE)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 26.085, "longitude": 119.305})  # inside grid A1
    page.goto("/r/")
    page.select_option("select[name=category]", label="路灯")
    page.fill("textarea[name=description]", "路口灯杆倾斜")
    page.locator("#use-location").click()
    page.locator("#location-status", has_text="已获取位置").wait_for()
    page.fill("input[name=reporter_phone]", "13912340000")
    with page.expect_navigation():
        page.locator("form.resident-form button[type=submit]").click()
    case = Case.objects.get(number=page.locator("#case-number").inner_text())
    assert case.grid_id == district.a.grid.pk and case.state == "registered"
    browser_problems.check()
