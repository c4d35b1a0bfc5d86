"""The grid worker's task list on a phone (390×844, an iPhone 12-sized screen) in Debian's Chromium:
nothing wider than the screen, buttons a thumb can hit, and the whole job done there: accept the case,
then report it handled with a photo taken on the spot."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from conftest import PASSWORD
from jiceng.cases import case_services as svc
from jiceng.cases.models import Case, CaseAttachment, CaseState
from jiceng.cases.tests.test_case_services import cat, report  # noqa: F401  (fixture and helper)

from .test_journey import sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
WIDEST_JS = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


def png() -> bytes:
    buf = BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def test_grid_worker_accepts_and_handles_with_a_photo_on_a_phone(page, screenshot, browser_problems,
                                                                   district, personas, cat):  # noqa: F811
    case = report(personas.community_a, cat)
    case = svc.case_dispatch(actor=personas.community_a, case=case, unit=None, expected_version=case.version)
    page.set_viewport_size(PHONE)
    sign_in(page, personas.grid_worker.username, PASSWORD)
    page.goto("/cases/tasks/")
    card = page.locator(f"#task-{case.number}")
    assert page.evaluate(WIDEST_JS) <= PHONE["width"], "the task list scrolls sideways on a phone"
    accept = card.locator("button[type=submit]")
    box = accept.bounding_box()
    assert box["height"] >= 44 and box["width"] >= PHONE["width"] * 0.7, f"accept button too small: {box}"
    screenshot("tasks-phone-dispatched")
    with page.expect_navigation():
        accept.click()
    assert Case.objects.get(pk=case.pk).state == CaseState.ACCEPTED

    card = page.locator(f"#task-{case.number}")
    card.locator("textarea[name=note]").fill("已清理完毕，恢复通行")
    card.locator("input[type=file][name=photos]").set_input_files(
        files=[{"name": "现场.png", "mimeType": "image/png", "buffer": png()}])
    handle = card.locator("button[type=submit]")
    assert handle.bounding_box()["height"] >= 44
    assert page.evaluate(WIDEST_JS) <= PHONE["width"]
    screenshot("tasks-phone-accepted")
    with page.expect_navigation():
        handle.click()
    case.refresh_from_db()
    assert case.state == CaseState.HANDLED
    photo = CaseAttachment.objects.get(case=case)
    assert photo.event is not None and photo.event.transition == "handle" and photo.content_type == "image/png"
    # Handled, the case leaves the list; the page says so in Chinese.
    assert page.locator(f"#task-{case.number}").count() == 0
    assert "完成" in page.locator(".messages").inner_text() or "done" in page.locator(".messages").inner_text()
    screenshot("tasks-phone-handled")
    browser_problems.check()
