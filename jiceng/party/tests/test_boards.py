"""Identity boards (亮身份): who is named on a building's and a compound's board (page and PDF text), that a
member who opted out never is (post holders included), the QR code's target, the member's own opt-out
with its audit, and a fixed number of queries."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from jiceng.accounts.models import AuditEvent
from jiceng.party import board_selectors as sel
from jiceng.party.board_services import member_board_visibility_set
from jiceng.party.models import Member, PositionTitle
from jiceng.people.services import person_create
from jiceng.testing import make_id_number

from .helpers import members, position, residents


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def pdf_text(pdf: bytes) -> str:
    """The text drawn in an uncompressed reportlab PDF: its shown strings (UTF-16BE in the CID font)."""
    out = []
    for match in re.finditer(rb"TL \((.*?)(?<!\\)\) Tj", pdf, re.S):
        raw, value, i = match.group(1), bytearray(), 0
        while i < len(raw):
            c = raw[i : i + 1]
            if c == b"\\":
                nxt = raw[i + 1 : i + 2]
                if nxt.isdigit():
                    digits = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4]).group(0)
                    value.append(int(digits, 8))
                    i += 1 + len(digits)
                    continue
                value += _ESCAPES.get(nxt, nxt)
                i += 2
                continue
            value += c
            i += 1
        data = bytes(value)
        try:  # every string is drawn in the CID font, whose encoding is UTF-16BE
            out.append(data.decode("utf-16-be"))
        except UnicodeDecodeError:
            out.append(data.decode("latin-1"))
    return "\n".join(out)


@pytest.fixture
def place(district, personas):
    """Community A's building: the member persona (shown), two more members (one opted out), a resident
    who is no member, the branch secretary and the group leader; and a member living in community B."""
    building = district.a.building
    shown, hidden = residents(building, 2, start=200, name="党员")
    members(district.orgs["a"].branch, [shown, hidden])
    Member.objects.filter(person=hidden).update(show_on_board=False)
    secretary = person_create(actor=None, name="王书记", phone="13911112222", id_number=make_id_number("19700101", 1),
                              home=building)
    members(district.orgs["a"].branch, [secretary])
    position(district.orgs["a"].branch, secretary, days_left=400, title=PositionTitle.SECRETARY)
    leader = person_create(actor=None, name="赵组长", phone="13933334444", id_number=make_id_number("19700101", 2),
                           home=building)
    position(district.orgs["a"].group, leader, days_left=400, title=PositionTitle.GROUP_LEADER)
    elsewhere = residents(district.b.building, 1, start=250, name="乙党员")
    members(district.orgs["b"].branch, elsewhere)
    return building


def test_the_board_names_those_shown_and_never_one_who_opted_out(place, district, personas, login):
    board = sel.identity_board(place)
    names = [m.name for m in board.members]
    assert names == sorted(names) and set(names) == {"党员200", "王书记", "A社区居民"}
    assert "党员201" not in names and "乙党员250" not in names  # opted out; lives elsewhere
    assert [(c.name, c.phone_masked) for c in board.secretaries] == [("王书记", "139****2222")]
    assert [(c.name, c.phone_masked) for c in board.group_leaders] == [("赵组长", "139****4444")]
    client = login(personas.community_a)
    page = client.get(reverse("party:board", args=[place.pk])).content.decode()
    pdf = client.get(reverse("party:board_pdf", args=[place.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    for shown in ("党员200", "王书记", "赵组长", "139****2222", district.a.building.name):
        assert shown in page and shown in text
    for never in ("党员201", "乙党员250", "13911112222"):
        assert never not in page and never not in text
    # The QR code leads to the residents' case intake for this building.
    assert f"/r/b/{place.code}/" in page and "<svg" in page


def test_an_opted_out_post_holder_is_shown_without_name_or_phone(place, district, personas, login):
    Member.objects.filter(person__name="王书记").update(show_on_board=False)
    board = sel.identity_board(place)
    assert [(c.title, c.name, c.phone_masked) for c in board.secretaries] == [("Secretary", "", "")]
    assert "王书记" not in [m.name for m in board.members]
    client = login(personas.community_a)
    page = client.get(reverse("party:board", args=[place.pk])).content.decode()
    text = pdf_text(client.get(reverse("party:board_pdf", args=[place.pk])).content)
    assert "王书记" not in page and "王书记" not in text and "139****2222" not in text


def test_the_compound_board_gathers_its_buildings(place, district, personas):
    from jiceng.areas.services import area_create

    second = area_create(actor=None, parent=district.a.compound, kind="building", code=district.a.compound.code + "002",
                         name="A社区小区2号楼")
    members(district.orgs["a"].branch, residents(second, 1, start=260, name="二号楼党员"))
    board = sel.identity_board(type(district.a.compound).objects.get(pk=district.a.compound.pk))
    assert {"党员200", "二号楼党员260"} <= {m.name for m in board.members}
    assert "党员201" not in {m.name for m in board.members}
    assert [b.pk for b in board.buildings] == [place.pk, second.pk]
    assert [c.name for c in board.group_leaders] == ["赵组长"]


def test_a_member_opts_out_and_in_on_their_own_page(place, personas, login):
    client = login(personas.member)
    assert client.get(reverse("party:board_me")).status_code == 200
    response = client.post(reverse("party:board_me"), {"show": "0"})
    assert response.status_code == 302
    member = Member.objects.get(person=personas.member.person)
    assert member.show_on_board is False
    assert "A社区居民" not in [m.name for m in sel.identity_board(place).members]
    event = AuditEvent.objects.filter(action="member.board_visibility").latest("id")
    assert event.changes == {"from": True, "to": False} and event.actor == personas.member
    client.post(reverse("party:board_me"), {"show": "1"})
    assert "A社区居民" in [m.name for m in sel.identity_board(place).members]


def test_nobody_else_sets_a_members_choice(place, personas):
    member = Member.objects.get(person=personas.member.person)
    for other in (personas.community_a, personas.district_admin):
        with pytest.raises(PermissionDenied):
            member_board_visibility_set(actor=other, member=member, show=False)


def test_boards_are_scoped(place, personas, login):
    assert login(personas.community_b).get(reverse("party:board", args=[place.pk])).status_code == 404
    assert login(personas.community_b).get(reverse("party:board_pdf", args=[place.pk])).status_code == 404
    boards = login(personas.community_a).get(reverse("party:boards")).content.decode()
    assert "A社区小区" in boards and "B社区小区" not in boards


@pytest.mark.parametrize("n", [2, 25])
def test_the_board_runs_a_fixed_number_of_queries(place, district, n):
    members(district.orgs["a"].branch, residents(district.a.building, n, start=300))
    with CaptureQueriesContext(connection) as ctx:
        board = sel.identity_board(district.a.compound)
    assert len(board.members) == n + 3
    assert len(ctx.captured_queries) == 5


def test_a_past_post_is_not_on_the_board(place, district):
    from jiceng.party.models import Position

    Position.objects.filter(title=PositionTitle.SECRETARY).update(ended_on=date(2020, 1, 1))
    assert sel.identity_board(place).secretaries == []


def test_a_board_made_after_an_opt_out_no_longer_names_the_member_and_is_never_cached(place, personas, login):
    staff = login(personas.community_a)
    url, pdf_url = reverse("party:board", args=[place.pk]), reverse("party:board_pdf", args=[place.pk])
    assert "A社区居民" in pdf_text(staff.get(pdf_url).content)
    login(personas.member).post(reverse("party:board_me"), {"show": "0"})
    staff = login(personas.community_a)
    page, pdf = staff.get(url), staff.get(pdf_url)
    assert "A社区居民" not in page.content.decode() and "A社区居民" not in pdf_text(pdf.content)
    for response in (page, pdf):
        assert "no-store" in response["Cache-Control"]


def test_the_list_counts_members_living_in_each_compound_and_those_shown(place, district, personas, login):
    rows = {r.place.pk: r for r in sel.board_rows(list(sel.board_compounds(personas.district_admin)))}
    a, b = rows[district.a.compound.pk], rows[district.b.compound.pk]
    assert (a.community, a.buildings, a.members, a.shown) == ("A社区", 1, 4, 3)  # 党员201 opted out
    assert (b.community, b.buildings, b.members, b.shown) == ("B社区", 1, 1, 1)
    page = login(personas.community_a).get(reverse("party:boards")).content.decode()
    assert re.search(r"A社区小区</a></td><td>[^<]*</td><td>A社区</td><td[^>]*>1</td><td[^>]*>4</td><td[^>]*>3</td>",
                     page)


@pytest.mark.parametrize("extra", [0, 2])
def test_the_list_of_boards_runs_a_fixed_number_of_queries(place, district, personas, login, extra):
    from jiceng.areas.services import area_create

    for i in range(extra):
        area_create(actor=None, parent=district.a.grid, kind="compound", code=f"{district.a.grid.code}09{i}",
                    name=f"新小区{i}")
    client = login(personas.district_admin)
    client.get(reverse("party:boards"))  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("party:boards"))
    compounds = type(district.a.grid).objects.filter(kind="compound").count()
    assert page.status_code == 200 and page.content.decode().count("/pdf/") == compounds
    assert len(ctx.captured_queries) <= 9, [q["sql"] for q in ctx.captured_queries]
