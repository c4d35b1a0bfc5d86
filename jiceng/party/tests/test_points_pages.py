"""Points pages: the ranking with its Excel export and a fixed query count, a member's ledger with a
proposal, the decision by someone else, the rulebook edited on its page into a new version, and a
member's own points on a phone."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from jiceng.party import points_selectors as sel
from jiceng.party.models import Member
from jiceng.party.points_models import AwardState, PointsAward, PointsEntry, PointsRulebook, SourceKind
from jiceng.party.points_services import points_post_for_source

from .helpers import members, residents


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def _post(member, source_id, hours, on=date(2025, 4, 1)):
    return points_post_for_source(actor=None, source_kind=SourceKind.SERVICE_RECORD, source_id=source_id,
                                  member=member, at=on, quantity=hours)


@pytest.mark.parametrize("n", [3, 40])
def test_the_ranking_page_and_export(district, personas, login, n):
    people = members(district.orgs["a"].branch, residents(district.a.building, n, start=100))
    for i, m in enumerate(people):
        _post(m, i, 1 + i % 5)
    client = login(personas.community_a)
    url = reverse("party:points")
    client.get(url, {"year": 2025})
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url, {"year": 2025})
    assert page.status_code == 200
    html = page.content.decode()
    assert people[-1].person.name in html and "A社区" in html
    # Session, user, scope (two), the GROUP BY, two name lookups, and the page's own: the same at any size.
    assert len(ctx.captured_queries) <= 10
    export = client.get(url, {"year": 2025, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Member", "Organization", "Branch", "Community", "Points")
    assert len(rows) == n + 2  # the header, the members and the member persona
    assert rows[1][4] == min(n, 5) and rows[1][5] == 1  # the highest first, ranked 1 in the branch


def test_ranking_of_one_organization_and_out_of_scope(district, personas, login):
    client = login(personas.community_b)
    assert client.get(reverse("party:points"), {"org": district.orgs["a"].branch.pk}).status_code == 404
    client = login(personas.subdistrict_staff)
    page = client.get(reverse("party:points"), {"org": district.orgs["b"].branch.pk}).content.decode()
    assert "B社区" in page and "A社区居民" not in page


def test_propose_on_the_member_page_then_someone_else_approves(district, personas, login):
    member = Member.objects.get(person=personas.member.person)
    url = reverse("party:points_member", args=[member.pk])
    client = login(personas.community_a)
    response = client.post(url + "?year=2025", {"item_code": "pioneer.governance", "quantity": "2",
                                                "occurred_on": "2025-06-01", "reason": "Mediated a dispute"})
    assert response.status_code == 302
    award = PointsAward.objects.get()
    bad = client.post(url, {"item_code": "pioneer.governance", "quantity": "1", "occurred_on": "2025-06-01",
                            "reason": ""})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    awards = client.get(reverse("party:points_awards")).content.decode()
    assert "Mediated a dispute" in awards and "Your own proposal" in awards
    # The proposer's own decision is refused; another worker's counts.
    client.post(reverse("party:points_award_decide", args=[award.pk]), {"decision": "approve"})
    assert PointsAward.objects.get().state == AwardState.PROPOSED
    client = login(personas.subdistrict_staff)
    client.post(reverse("party:points_award_decide", args=[award.pk]), {"decision": "approve"})
    assert PointsAward.objects.get().state == AwardState.APPROVED
    assert PointsEntry.objects.get().points == Decimal(6)
    ledger = client.get(url, {"year": 2025}).content.decode()
    assert "Mediated a dispute" in ledger and '<td class="num">6</td>' in ledger and "6.00" not in ledger
    export = client.get(url, {"year": 2025, "format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_member_sees_their_own_points_only(district, personas, login):
    me = Member.objects.get(person=personas.member.person)
    other = members(district.orgs["a"].branch, residents(district.a.building, 1, start=150))[0]
    _post(me, 1, 3)
    _post(other, 2, 4)
    client = login(personas.member)
    page = client.get(reverse("party:points_me"), {"year": 2025}).content.decode()
    assert "<strong>3</strong>" in page and "3.00" not in page and '<td class="num">4' not in page
    assert client.get(reverse("party:points_member", args=[other.pk])).status_code == 404
    assert client.get(reverse("party:points")).status_code == 404


def test_the_district_administrator_edits_the_rulebook_on_its_page(district, personas, login):
    client = login(personas.district_admin)
    url = reverse("party:points_rules")
    page = client.get(url, {"year": 2026})
    assert page.status_code == 200
    rules = sel.Rules.for_year(2026)
    data = {"note": "2026 revision"}
    for i, item in enumerate(rules.items):
        p = f"items-{i}-"
        data.update({p + "code": item.code, p + "name": item.name, p + "category_code": item.category.code,
                     p + "points": str(item.points), p + "yearly_cap": str(item.yearly_cap or ""),
                     p + "unit": item.unit, p + "source_kind": item.source_kind,
                     p + "source_detail": item.source_detail,
                     p + "active": "1"})
    data["items-0-points"] = "3"
    n = len(rules.items)
    data.update({f"items-{n}-code": "pioneer.flood", f"items-{n}-name": "防汛值守",
                 f"items-{n}-category_code": "pioneer",
                 f"items-{n}-points": "4", f"items-{n}-yearly_cap": "8", f"items-{n}-unit": "event",
                 f"items-{n}-source_kind": "manual", f"items-{n}-active": "1",
                 "classes-0-member_category": "mobile", "classes-0-weight": "1", "classes-0-excluded": "1"})
    bad = client.post(url + "?year=2026", {**data, "items-1-points": "many"})
    assert bad.status_code == 200 and "Enter points between" in bad.content.decode()
    assert PointsRulebook.objects.count() == 1
    response = client.post(url + "?year=2026", data)
    assert response.status_code == 302
    book = sel.Rules.for_year(2026)
    assert (book.rulebook.year, book.rulebook.version, book.rulebook.note) == (2026, 1, "2026 revision")
    assert book.items[0].points == Decimal(3) and book.item("pioneer.flood").yearly_cap == Decimal(8)
    assert len(book.items) == 16 and book.weight(book.items[0], "mobile") == (Decimal(1), True)
    assert sel.Rules.for_year(2025).item(rules.items[0].code).points == rules.items[0].points
    # Others read the rules but cannot save a version.
    assert login(personas.community_a).get(url).status_code == 200
    assert login(personas.community_a).post(url, data).status_code == 404


def test_the_member_ledger_page_runs_a_fixed_number_of_queries(district, personas, login):
    member = Member.objects.get(person=personas.member.person)
    client = login(personas.community_a)
    url = reverse("party:points_member", args=[member.pk])
    counts = {}
    posted = 0
    for n in (2, 30):
        for i in range(posted, n):
            _post(member, i, 1, on=date(2025, 1 + i % 12, 1 + i % 28))
        posted = n
        client.get(url, {"year": 2025})
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url, {"year": 2025})
        assert page.status_code == 200 and page.content.decode().count("<tr>") >= n
        counts[n] = len(ctx.captured_queries)
    assert counts[2] == counts[30], counts


def test_points_read_without_trailing_zeros(district, personas, login):
    """Stored to two places, shown as a reader writes them: 2.5, not 2.50; 3, not 3.00 (issue #4 review)."""
    from django.template import Context, Template

    me = Member.objects.get(person=personas.member.person)
    _post(me, 1, Decimal("2.5"))
    page = login(personas.member).get(reverse("party:points_me"), {"year": 2025}).content.decode()
    assert "<strong>2.5</strong>" in page and "2.50" not in page
    ranking = login(personas.community_a).get(reverse("party:points"), {"year": 2025}).content.decode()
    assert '<td class="num">2.5</td>' in ranking and "2.50" not in ranking
    render = Template("{% load points_tags %}{{ v|points }}").render
    shown = [render(Context({"v": v})) for v in (Decimal("2.50"), Decimal("3.00"), Decimal("-0.25"),
                                                 Decimal("0.00"), Decimal("120.00"), None)]
    assert shown == ["2.5", "3", "-0.25", "0", "120", ""]
