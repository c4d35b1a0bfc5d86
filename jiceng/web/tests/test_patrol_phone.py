"""A grid worker reports from a patrol on a phone (390×844) in Debian's Chromium: from the task list to
the report form, the category suggested from what they type, a photo from the camera, the place as a
Chinese map app gives it (GCJ-02), the open case it probably repeats, and the case registered in the right
grid with its photo."""

from __future__ import annotations

import pytest

from conftest import PASSWORD
from jiceng.areas import geo
from jiceng.cases import case_services as svc
from jiceng.cases.models import Case, CaseAttachment, Category, DispatchCatalogue
from jiceng.cases.services import taxonomy_load_default
from jiceng.cases.tests.test_case_services import POINT_A

from .test_journey import sign_in
from .test_tasks_phone import PHONE, WIDEST_JS, png

pytestmark = pytest.mark.browser


def test_grid_worker_reports_from_patrol_with_suggested_category_photo_and_gcj02(
        page, screenshot, browser_problems, district, personas):
    taxonomy_load_default(actor=None)
    lamp = Category.objects.get(code="C0108")
    DispatchCatalogue.objects.create(category=lamp, area=district.s1, unit=district.department)
    # The same lamp, reported yesterday by the community: the form should say so before a second report.
    earlier = svc.case_report(actor=personas.community_a, channel="staff", category=lamp, description="路灯不亮",
                              lat=POINT_A[0], lng=POINT_A[1])
    page.set_viewport_size(PHONE)
    sign_in(page, personas.grid_worker.username, PASSWORD)
    page.goto("/cases/tasks/")
    with page.expect_navigation():
        page.get_by_role("link", name="巡查上报").click()
    assert page.evaluate(WIDEST_JS) <= PHONE["width"], "the report form scrolls sideways on a phone"

    page.locator("#id_description").fill("路灯不亮了，晚上很黑")
    # The suggestion arrives and, no category being chosen yet, is preselected.
    page.locator("#category-suggest [data-pick-category]").first.wait_for()
    page.wait_for_function(f"document.getElementById('id_category').value === '{lamp.pk}'")
    screenshot("patrol-suggested")

    lat, lng = geo.wgs84_to_gcj02(*POINT_A)
    page.locator("#id_lat").fill(f"{lat:.7f}")
    page.locator("#id_lng").fill(f"{lng:.7f}")
    page.locator("#id_crs").select_option("gcj02")
    # Duplicates at intake: typed on a phone (input events, no blur), the open case nearby is shown.
    page.locator(f"#draft-duplicates a:has-text('{earlier.number}')").wait_for()
    page.locator("input[type=file][name=photos]").set_input_files(
        files=[{"name": "路灯.png", "mimeType": "image/png", "buffer": png()}])
    with page.expect_navigation():
        page.locator("form.case-form button[type=submit]").click()

    case = Case.objects.exclude(pk=earlier.pk).get()
    assert case.category == lamp and case.channel == "patrol" and case.grid_id == district.a.grid.pk
    assert abs(case.lat - POINT_A[0]) < 1e-6 and abs(case.lng - POINT_A[1]) < 1e-6
    assert CaseAttachment.objects.get(case=case).event.transition == "report"
    assert case.number in page.content()
    screenshot("patrol-reported")
    browser_problems.check()
