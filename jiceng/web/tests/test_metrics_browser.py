"""The metrics dashboard in a real Chromium: the charts draw (ECharts canvases), the heat map paints
the grids (Leaflet), and clicking an area in the table drills down — with no console error."""

from __future__ import annotations

from datetime import datetime

import pytest

from conftest import PASSWORD
from jiceng.cases.tests.test_case_services import make_category
from jiceng.cases.tests.test_metrics import FULL, SH, make_case
from jiceng.web.tests.test_journey import poll, sign_in

pytestmark = pytest.mark.browser

PAINTED = """(() => {
  const canvas = document.querySelector('#metrics-map .leaflet-overlay-pane canvas');
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
})()"""


def test_dashboard_draws_and_drills_down(page, screenshot, browser_problems, district, personas):
    cat = make_category()
    for grid, n in ((district.a.grid, 3), (district.b.grid, 1)):
        for _ in range(n):
            make_case(cat, grid, datetime(2026, 3, 10, 9, tzinfo=SH), FULL, unit=district.department,
                      closed_after=23, ratings=[(30, "satisfied", True, True)])
    sign_in(page, personas.subdistrict_staff.username, PASSWORD)
    page.goto("/cases/metrics/?period=month&value=2026-03")
    assert poll(page, "document.querySelectorAll('#chart-month canvas, #chart-area canvas').length >= 2")
    assert poll(page, PAINTED) > 100
    screenshot("metrics-dashboard")
    with page.expect_navigation():
        page.locator(".metrics-table a", has_text="A社区").first.click()
    assert "area=" in page.url and "A社区" in page.locator("h1").inner_text()
    browser_problems.check()
