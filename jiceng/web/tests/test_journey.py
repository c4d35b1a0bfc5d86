"""Tried as a new user would (issue #2): a real Chromium, signing in through the real forms.

A worker of community A signs in, browses the area tree and the grid map, finds a resident by phone and
sees only the masked number, then fails to open a resident of community B by typing its address. The
auditor then signs in and finds that failed attempt in the audit log.

Two runs of the same journey:
- against pytest-django's live server with the small test district (always);
- against a running demo (`jiceng up`, the real-scale 福州市鼓楼区) when JICENG_DEMO_URL is set, e.g.
  `JICENG_DEMO_URL=http://127.0.0.1:8000 pytest jiceng/web/tests/test_journey.py -k demo`. It learns the
  numbers it needs through the interface itself, as a user would.
Screenshots land in $JICENG_SHOTS_DIR (default /tmp/jiceng-shots) for a human to look at.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from conftest import PASSWORD

pytestmark = pytest.mark.browser

# Counts the non-transparent pixels of the map's vector canvas: the grid polygons Leaflet painted.
PAINTED_PIXELS_JS = """(() => {
  const canvas = document.querySelector('#map .leaflet-overlay-pane canvas');
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
})()"""


def poll(page, expression: str, timeout_ms: int = 10_000):
    """Evaluate `expression` until it is truthy or the time is up. (page.wait_for_function would
    compile the expression in the page, which the site's CSP rightly forbids; evaluate does not.)"""
    value = None
    for _ in range(timeout_ms // 100):
        value = page.evaluate(expression)
        if value:
            break
        page.wait_for_timeout(100)
    return value


# Each form submission below waits for the page it leads to (expect_navigation), never for a time.


def sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    form = page.locator("form[action='/accounts/login/']")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/accounts/login/" not in page.url, f"{username} could not sign in: {page.locator('main').inner_text()}"


def sign_out(page) -> None:
    with page.expect_navigation():
        page.locator("form[action='/accounts/logout/'] button[type=submit]").click()
    assert page.locator("form[action='/accounts/logout/']").count() == 0, "still signed in"


def open_tree_node(page) -> str:
    """On the area tree, open the first closed node; returns the text of what loaded under it."""
    closed = page.locator(".area-tree details[hx-get]").first
    closed.locator("summary").first.click()
    # htmx replaces the "Loading…" placeholder with the children, each an <li data-area>.
    closed.locator("li[data-area]").first.wait_for()
    return closed.inner_text()


def map_is_painted(page) -> None:
    # Grid polygons from the stored GeoJSON, no external tiles. Leaflet paints them on a canvas
    # (preferCanvas), so look for painted pixels.
    page.goto("/areas/map/")
    assert poll(page, PAINTED_PIXELS_JS), "no grid polygon was painted on the map"


def find_by_phone(page, phone: str):
    """Use the exact-number search; returns the results table."""
    page.goto("/people/")
    find = page.locator("form:has(input[name=action][value=find])")
    assert find.get_attribute("method") == "post", "a phone number must not travel in the URL"
    find.locator("input[name=phone]").fill(phone)
    with page.expect_navigation():
        find.locator("button[type=submit]").click()
    assert phone not in page.url
    results = page.locator("table.results")
    assert phone not in results.inner_html(), "the result shows the full number"
    return results


def not_found(page, path: str, hidden_name: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 404, f"{path} answered {response and response.status}"
    assert hidden_name not in page.content()
    # It is the site's own page, in the site's language, from which the user can go on.
    assert page.locator("header.topbar").count() == 1, "the 404 page lacks the site layout (web/templates/404.html)"
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def audit_rows(page, actor: str, action: str):
    assert page.url.endswith("/accounts/audit/"), f"the auditor landed on {page.url}"
    search = page.locator("form:has(input[name=action])").first
    search.locator("input[name=actor]").fill(actor)
    search.locator("input[name=action]").fill(action)
    with page.expect_navigation():
        search.locator("button[type=submit]:not([name=format])").click()
    return page.locator("table tbody tr", has_text=action)


@pytest.mark.django_db(transaction=True)
def test_journey_on_the_test_district(page, screenshot, browser_problems, district, personas):
    worker = personas.community_a.username
    resident_a, resident_b = district.a.resident, district.b.resident

    # The login page is in Chinese by default.
    page.goto("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "登录" in page.locator("main").inner_text()
    screenshot("01-login")

    # Signing in lands a community worker on the people search, their home.
    sign_in(page, worker, PASSWORD)
    assert page.url.endswith("/people/"), page.url
    screenshot("02-home")

    # The area tree shows community A and not B; community A's grid opens to show its compound.
    page.goto("/areas/")
    tree_text = page.locator(".area-tree").inner_text()
    assert district.a.area.name in tree_text and district.b.area.name not in tree_text
    assert district.a.compound.name in open_tree_node(page)
    screenshot("03-area-tree")

    # The map shows the grid; clicking it opens its facts.
    map_is_painted(page)
    page.locator("#map").click()
    page.locator(".leaflet-popup-content").wait_for()
    assert district.a.grid.code in page.locator(".leaflet-popup-content").inner_text()
    screenshot("04-map")

    # The resident is found by phone, and shown masked.
    results = find_by_phone(page, "13800000011")
    assert resident_a.name in results.inner_text()
    assert "138****0011" in results.inner_text()
    screenshot("05-phone-search")

    # Community B's resident, reached by typing the address, reads as not found.
    not_found(page, f"/people/{resident_b.pk}/", resident_b.name)
    screenshot("06-not-found")
    sign_out(page)

    # The auditor lands on the audit log and finds exactly that attempt.
    sign_in(page, personas.auditor.username, PASSWORD)
    rows = audit_rows(page, worker, "access.out_of_scope")
    assert rows.count() == 1, page.locator("main").inner_text()
    assert re.search(rf"#{resident_b.pk}\b", rows.first.inner_text())
    screenshot("07-audit")

    browser_problems.check()


def test_journey_on_the_running_demo(demo_page, screenshot, browser_problems):
    page = demo_page
    password = settings.DEMO_PASSWORD

    # community_b opens one of their residents: the address the other worker will try.
    sign_in(page, "community_b", password)
    page.goto("/people/")
    first = page.locator("table.results tbody tr").first
    other_name = first.locator("td").first.inner_text().strip()
    other_path = first.locator("a[href^='/people/']").get_attribute("href")
    assert other_path and re.fullmatch(r"/people/\d+/", other_path)
    sign_out(page)

    sign_in(page, "community", password)
    assert page.url.endswith("/people/"), page.url
    page.goto("/areas/")
    open_tree_node(page)
    screenshot("demo-03-area-tree")
    map_is_painted(page)
    screenshot("demo-04-map")

    # Learn one resident's phone the way staff may: reveal it with a reason (audited).
    page.goto("/people/")
    row = page.locator("table.results tbody tr").first
    name = row.locator("td").first.inner_text().strip()
    with page.expect_navigation():
        row.locator("a[href^='/people/']").click()
    reveal = page.locator("#reveal form")
    reveal.locator("input[name=field][value=phone]").check()
    reveal.locator("[name=reason]").fill("核实居民联系方式")
    with page.expect_navigation():
        reveal.locator("button[type=submit]").click()
    phone = page.locator("#reveal output").inner_text().strip()
    assert re.fullmatch(r"1\d{10}", phone), phone

    results = find_by_phone(page, phone)
    assert name in results.inner_text()
    assert f"{phone[:3]}****{phone[-4:]}" in results.inner_text()
    screenshot("demo-05-phone-search")

    not_found(page, other_path, other_name)
    screenshot("demo-06-not-found")
    sign_out(page)

    sign_in(page, "auditor", password)
    rows = audit_rows(page, "community", "access.out_of_scope")
    person_id = other_path.strip("/").split("/")[-1]
    assert rows.filter(has_text=f"#{person_id}").count() >= 1, page.locator("main").inner_text()
    screenshot("demo-07-audit")

    browser_problems.check()
