"""QR posters: the page of one place, the batch PDF of an area, and what the QR code encodes."""

from __future__ import annotations

import base64
import re
import zlib

import pytest
import segno
from django.urls import reverse

from jiceng.areas.services import area_create
from jiceng.cases import posters

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    """The content streams of a PDF, decoded (reportlab writes them ASCII85 over Flate)."""
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\s*endstream", pdf, re.S):
        data = raw.strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2])
        try:
            data = zlib.decompress(data)
        except zlib.error:
            pass
        out.append(data.decode("latin-1"))
    return "\n".join(out)


def test_qr_encodes_the_absolute_report_url_of_the_place(district):
    url = posters.report_url("https://jiceng.example.cn", district.a.building.code)
    assert url == f"https://jiceng.example.cn/r/b/{district.a.building.code}/"
    qr = posters.qr_for(url)
    assert qr.matrix == segno.make(url, error="m", micro=False).matrix and qr.error == "M"


def test_poster_page_shows_the_qr_and_url(client, personas, district):
    client.force_login(personas.grid_worker)
    response = client.get(reverse("cases:poster", args=[district.a.building.pk]))
    body = response.content.decode()
    expected = f"http://testserver/r/b/{district.a.building.code}/"
    assert response.status_code == 200 and expected in body and "<svg" in body
    assert district.a.building.name in body


def test_public_url_setting_is_what_phones_reach(client, personas, district, settings):
    settings.PUBLIC_URL = "https://jc.gulou.gov.cn/"
    client.force_login(personas.community_a)
    body = client.get(reverse("cases:poster", args=[district.a.building.pk])).content.decode()
    assert f"https://jc.gulou.gov.cn/r/b/{district.a.building.code}/" in body


def test_single_place_pdf_is_one_a4_page_with_the_url(client, personas, district):
    client.force_login(personas.community_a)
    response = client.get(reverse("cases:poster_pdf", args=[district.a.building.pk]))
    pdf = response.content
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 1
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4
    assert b"STSong-Light" in pdf  # the built-in CID font, no font file embedded
    assert f"(http://testserver/r/b/{district.a.building.code}/)" in pdf_text(pdf)


def test_batch_pdf_has_a_page_for_every_building_and_compound(client, personas, district):
    extra = area_create(actor=None, parent=district.a.compound, kind="building",
                        code=district.a.compound.code + "002", name="A社区小区2号楼")
    client.force_login(personas.community_a)
    page = client.get(reverse("cases:poster", args=[district.a.area.pk])).content.decode()
    assert "A社区小区2号楼" in page and reverse("cases:poster_pdf", args=[district.a.area.pk]) in page
    pdf = client.get(reverse("cases:poster_pdf", args=[district.a.area.pk])).content
    text = pdf_text(pdf)
    codes = [district.a.compound.code, district.a.building.code, extra.code]
    for code in codes:
        assert f"/r/b/{code}/)" in text
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 3
    assert district.b.building.code not in text  # another community's places stay out


def test_too_many_posters_asks_for_a_smaller_area(client, personas, district, monkeypatch):
    monkeypatch.setattr(posters, "MAX_POSTERS", 1)
    client.force_login(personas.community_a)
    response = client.get(reverse("cases:poster_pdf", args=[district.a.area.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("cases:poster", args=[district.a.area.pk])


def test_area_page_links_to_posters_for_staff_only(client, personas, district):
    client.force_login(personas.community_a)
    url = reverse("areas:detail", args=[district.a.compound.pk])
    assert reverse("cases:poster", args=[district.a.compound.pk]) in client.get(url).content.decode()
    client.force_login(personas.department)
    response = client.get(url)
    assert reverse("cases:poster", args=[district.a.compound.pk]) not in response.content.decode()


def _add_buildings(district, n: int, start: int) -> None:
    for i in range(start, start + n):
        area_create(actor=None, parent=district.a.compound, kind="building",
                    code=f"{district.a.compound.code}{i:03d}", name=f"A社区小区{i}号楼")


@pytest.mark.parametrize("view", ["cases:poster", "cases:poster_pdf"])
def test_list_and_batch_pdf_queries_do_not_grow_with_the_places(client, personas, district,
                                                                django_assert_max_num_queries, view):
    client.force_login(personas.community_a)
    url = reverse(view, args=[district.a.area.pk])
    _add_buildings(district, 2, start=10)
    client.get(url)  # warm the session and the scope
    with django_assert_max_num_queries(12) as small:
        assert client.get(url).status_code == 200
    _add_buildings(district, 20, start=100)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
