"""QR posters for buildings and compounds: the URL their code encodes, and the A4 PDF.

The QR code encodes the absolute URL of the resident's report page for the place (/r/b/<code>/),
so a phone's camera opens the form with the place filled in. The PDF needs no font file: Chinese
text uses reportlab's built-in CID font STSong-Light (the reader's viewer supplies the glyphs); the
QR code is drawn as vector squares from segno's matrix, sharp at any print size.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

import segno
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

CJK_FONT = "STSong-Light"
URL_FONT = "Helvetica"
# One PDF holds at most this many posters (a whole subdistrict at once would be thousands of pages;
# print it community by community).
MAX_POSTERS = 1000


def public_base(request) -> str:
    """Where residents reach the platform: JICENG_PUBLIC_URL when set (the address behind the reverse
    proxy that phones see), else the address of this request."""
    base = settings.PUBLIC_URL or request.build_absolute_uri("/")
    return base.rstrip("/")


def report_url(base: str, code: str) -> str:
    """The URL a place's QR code encodes."""
    return base + reverse("resident:building", args=[code])


def qr_for(url: str) -> segno.QRCode:
    # Level M survives a scuffed or partly covered poster; the URL is short enough to stay small.
    return segno.make(url, error="m", micro=False)


def _font() -> str:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


_TOKEN = re.compile(r"[A-Za-z0-9'’,.;:!?()/\-]+\s*|\s+|.")


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of `text` no wider than `width`: Latin words kept whole, Chinese broken anywhere."""
    lines, line = [], ""
    for token in _TOKEN.findall(text):
        if line and pdfmetrics.stringWidth(line + token, font, size) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _centered(c: canvas.Canvas, text: str, y: float, font: str, size: float) -> None:
    c.setFont(font, size)
    c.drawCentredString(A4[0] / 2, y, text)


def _draw_qr(c: canvas.Canvas, qr: segno.QRCode, x: float, y: float, side: float) -> None:
    rows = list(qr.matrix_iter(border=0))
    cell = side / len(rows)
    c.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        # Runs of dark modules as one rectangle each: a smaller file, and no hairlines between modules.
        col = 0
        while col < len(row):
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                c.rect(x + start * cell, y + side - (r + 1) * cell, (col - start) * cell, cell, stroke=0, fill=1)
            else:
                col += 1


def _draw_poster(c: canvas.Canvas, place, url: str, chain: str) -> None:
    font = _font()
    width, height = A4
    c.setStrokeColorRGB(0.78, 0.09, 0.11)
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm, stroke=1, fill=0)
    c.setFillColorRGB(0.78, 0.09, 0.11)
    _centered(c, _("Problems around you? Scan to report"), height - 45 * mm, font, 26)
    c.setFillColorRGB(0, 0, 0)
    _centered(c, place.name, height - 62 * mm, font, 22)
    # The QR code keeps a quiet zone of more than four modules clear of the text around it.
    side = 110 * mm
    qr_y = height - 80 * mm - side
    _draw_qr(c, qr_for(url), (width - side) / 2, qr_y, side)
    c.setFont(URL_FONT, 10)
    c.drawCentredString(width / 2, qr_y - 10 * mm, url)
    text = _("Scan with your phone's camera or WeChat, choose what is wrong, describe it and add a photo. "
             "You get a case number and a private link to follow the case and rate the result. "
             "No account is needed.")
    y = qr_y - 20 * mm
    for line in _wrap(text, font, 13, width - 50 * mm):
        _centered(c, line, y, font, 13)
        y -= 7 * mm
    _centered(c, _("In an emergency call 119, 110 or 120 first."), 30 * mm, font, 11)
    _centered(c, f"{chain}\u3000{place.code}", 22 * mm, font, 9)  # an ideographic space: STSong has no "·"


def posters_pdf(places: Iterable, *, base: str, chains: dict[int, str], title: str) -> bytes:
    """An A4 PDF with one poster per place (buildings and compounds), in the order given."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(title)
    c.setCreator("jiceng")
    for place in places:
        _draw_poster(c, place, report_url(base, place.code), chains.get(place.pk, ""))
        c.showPage()
    c.save()
    return buffer.getvalue()
