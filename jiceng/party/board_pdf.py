"""The printable A4 identity board (亮身份展示牌), drawn with reportlab from a `Board`.

Chinese text uses reportlab's built-in CID font STSong-Light (Adobe's Asian font pack names it; PDF
readers supply the glyphs), so no font file ships with the project. The QR code is drawn square by square
from segno's matrix: no image library is needed.
"""

from __future__ import annotations

import io

import segno
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from .board_selectors import Board, Contact

FONT = "STSong-Light"
RED = HexColor("#b71c1c")
MEMBERS_PER_PAGE = 60  # three columns of twenty


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _qr(c: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    qr = segno.make(url, error="m")
    rows = list(qr.matrix_iter(scale=1, border=2))
    cell = size / len(rows)
    c.setFillColor(HexColor("#000000"))
    for r, row in enumerate(rows):
        for col, dark in enumerate(row):
            if dark:
                c.rect(x + col * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def _contact_line(contact: Contact) -> str:
    name = contact.name or _("(not shown)")
    phone = f"  {contact.phone_masked}" if contact.phone_masked else ""
    return f"{contact.title}：{name}{phone}  （{contact.org_name}）"


def board_pdf(board: Board, intake_url: str) -> bytes:
    """The board as a one- or more-page A4 PDF."""
    font = _font()
    buf = io.BytesIO()
    width, height = A4
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    c.setTitle(f"{board.place.name} {_('Identity board')}")
    members = board.members
    pages = max(1, -(-len(members) // MEMBERS_PER_PAGE))
    for page in range(pages):
        c.setFillColor(RED)
        c.rect(0, height - 38 * mm, width, 38 * mm, stroke=0, fill=1)
        c.setFillColor(HexColor("#ffffff"))
        c.setFont(font, 26)
        c.drawCentredString(width / 2, height - 20 * mm, _("Party members' identity board"))
        c.setFont(font, 16)
        c.drawCentredString(width / 2, height - 31 * mm, board.place.name)
        c.setFillColor(HexColor("#000000"))
        y = height - 50 * mm
        c.setFont(font, 13)
        for contact in [*board.secretaries, *board.group_leaders]:
            c.drawString(18 * mm, y, _contact_line(contact))
            y -= 8 * mm
        if not board.secretaries and not board.group_leaders:
            c.drawString(18 * mm, y, _("No branch secretary or group leader on record."))
            y -= 8 * mm
        y -= 4 * mm
        c.setFont(font, 14)
        c.drawString(18 * mm, y, _("Party members living here (%(n)s)") % {"n": len(members)})
        y -= 9 * mm
        c.setFont(font, 11)
        chunk = members[page * MEMBERS_PER_PAGE:(page + 1) * MEMBERS_PER_PAGE]
        col_width = (width - 36 * mm) / 3
        for i, m in enumerate(chunk):
            col, row = divmod(i, 20)
            label = m.name if not m.place or m.place == board.place.name else f"{m.name}（{m.place}）"
            c.drawString(18 * mm + col * col_width, y - row * 6.5 * mm, label)
        if not members:
            c.drawString(18 * mm, y, _("No Party member living here has chosen to be shown."))
        # The QR code to the residents' case intake for this place, bottom right.
        size = 42 * mm
        _qr(c, intake_url, width - 18 * mm - size, 16 * mm, size)
        c.setFont(font, 11)
        c.drawRightString(width - 18 * mm - size - 5 * mm, 36 * mm, _("Need help? Scan to tell us."))
        c.drawRightString(width - 18 * mm - size - 5 * mm, 29 * mm, _("Or find the members above."))
        c.setFont(font, 8)
        c.drawString(18 * mm, 10 * mm, _("Generated from the records; members choose whether to be shown."))
        c.showPage()
    c.save()
    return buf.getvalue()
