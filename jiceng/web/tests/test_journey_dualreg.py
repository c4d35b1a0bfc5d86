"""Dual registration tried in a real Chromium (issue #4): an in-service member registers where they live,
community A's worker confirms and publishes a service item, the member claims it and records the service
with a photo from the phone, the worker confirms the record, and the member sees the confirmed hours."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from conftest import PASSWORD

from .test_journey import sign_in, sign_out

pytestmark = pytest.mark.browser


def _submit(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def test_member_registers_claims_records_and_community_confirms(page, screenshot, browser_problems, district,
                                                                personas, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "service.png"
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buf, "PNG")
    photo.write_bytes(buf.getvalue())

    sign_in(page, personas.member.username, PASSWORD)
    page.goto("/party/dualreg/me/")
    _submit(page, page.locator("#registration button[type=submit]"))
    assert "已申请" in page.locator("#registration").inner_text()
    sign_out(page)

    sign_in(page, personas.community_a.username, PASSWORD)
    page.goto("/party/dualreg/registrations/")
    _submit(page, page.locator("button[name=action][value=confirm]").first)
    assert "已确认" in page.locator("table").first.inner_text()
    page.goto("/party/dualreg/items/")
    form = page.locator("#publish")
    form.locator("select[name=community]").select_option(str(district.a.area.pk))
    form.locator("input[name=title]").fill("独居老人探访")
    form.locator("select[name=category]").select_option("elderly")
    form.locator("input[name=capacity]").fill("3")
    form.locator("input[name=starts_on]").fill("2026-01-01")
    form.locator("input[name=ends_on]").fill("2099-12-31")
    _submit(page, form.locator("button[type=submit]"))
    assert "独居老人探访" in page.locator("table").inner_text()
    sign_out(page)

    sign_in(page, personas.member.username, PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone
    page.goto("/party/dualreg/me/")
    _submit(page, page.locator("#items button[type=submit]").first)
    page.locator("#claims a.button").first.click()
    page.wait_for_url("**/record/")
    page.locator("input[name=served_on]").fill("2026-06-01")
    page.locator("input[name=hours]").fill("2.5")
    page.locator("input[name=beneficiary]").fill("3号楼独居老人")
    page.locator("input[name=photo]").set_input_files(str(photo))
    _submit(page, page.locator("form.stack button[type=submit]"))
    assert "待确认" in page.locator("#claims").inner_text()
    screenshot("dualreg-member-phone")
    sign_out(page)

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, personas.community_a.username, PASSWORD)
    page.goto("/party/dualreg/records/")
    _submit(page, page.locator("button[name=action][value=confirm]").first)
    assert "已确认" in page.locator("table").inner_text()
    screenshot("dualreg-community-records")
    sign_out(page)

    sign_in(page, personas.member.username, PASSWORD)
    page.goto("/party/dualreg/me/")
    assert "2.5" in page.locator("#claims").inner_text()
    browser_problems.check()
