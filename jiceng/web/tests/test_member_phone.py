"""A Party member's own pages on a phone (390×844) in Debian's Chromium: registering where they live,
the service list with claims, recording service with a photo, and their points. Nothing may be wider
than the screen, and the buttons they need must be big enough for a thumb."""

from __future__ import annotations

import pytest

from conftest import PASSWORD
from jiceng.party import dualreg_services as svc
from jiceng.party.tests.dualreg_world import item

from .test_journey import sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
WIDEST_JS = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


def _fits(page, name: str) -> None:
    page.screenshot(path=f"/tmp/pa/phone-{name}.png", full_page=True)
    assert page.evaluate(WIDEST_JS) <= PHONE["width"], f"{name} scrolls sideways on a phone"


def test_member_pages_fit_a_phone(page, browser_problems, district, personas):
    it = item(district, capacity=3, title="敬老院陪护")
    page.set_viewport_size(PHONE)
    sign_in(page, personas.member.username, PASSWORD)
    page.goto("/party/dualreg/me/")
    _fits(page, "dualreg-me")
    register = page.locator("form[action$='/me/register/'] button")
    assert register.bounding_box()["height"] >= 40
    with page.expect_navigation():
        register.click()
    reg = svc.Registration.objects.get(member__person=personas.member.person)
    svc.registration_confirm(actor=None, registration=reg)
    page.goto("/party/dualreg/me/")
    claim = page.locator(f"form[action$='/me/items/{it.pk}/claim/'] button")
    assert claim.bounding_box()["height"] >= 40
    with page.expect_navigation():
        claim.click()
    _fits(page, "dualreg-me-claimed")
    claimed = svc.ServiceClaim.objects.get(item=it)
    page.goto(f"/party/dualreg/me/claims/{claimed.pk}/record/")
    _fits(page, "dualreg-record")
    page.goto("/party/points/me/")
    _fits(page, "points-me")
    browser_problems.check()
