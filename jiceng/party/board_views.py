"""Identity board pages: the list of compounds in scope, one building's or compound's board (page and
A4 PDF, both generated from the data on each request), and a member's own choice to be shown."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate

from . import board_selectors as sel
from . import board_services
from .board_pdf import board_pdf
from .points_selectors import points_member_for_self
from .views import _export, can_export


def _intake_url(request: HttpRequest, place) -> str:
    return request.build_absolute_uri(reverse("resident:building", args=[place.code]))


def qr_svg(url: str):
    # segno writes a self-contained SVG (no script), which the CSP allows inline.
    return mark_safe(segno.make(url, error="m").svg_inline(scale=4, dark="#222", light="#fff"))  # noqa: S308


@login_required
@require_GET
def board_list(request: HttpRequest) -> HttpResponse:
    if not sel.can_view_boards(request.user):
        raise Http404
    compounds = sel.board_compounds(request.user)
    if request.GET.get("format") == "xlsx":
        if not can_export(request):
            raise Http404
        rows = [(r.place.name, r.place.code, r.community, r.buildings, r.members, r.shown,
                 request.build_absolute_uri(reverse("party:board", args=[r.place.pk])))
                for r in sel.board_rows(list(compounds))]
        _export(request, action="board.export_list", rows=len(rows), filters={})
        return xlsx_response("party-identity-boards", _("Identity boards"),
                             [_("Compound"), _("Code"), _("Community"), _("Buildings"), _("Members living there"),
                              _("Shown on the board"), _("Board")], rows)
    page = paginate(request, compounds)
    return render(request, "party/boards/list.html", {
        "page": page, "rows": sel.board_rows(list(page.object_list)), "can_export": can_export(request),
    })


# Never cached (browser or proxy): a board printed from a stale copy could name a member who has since
# opted out.
@never_cache
@login_required
@require_GET
def board_detail(request: HttpRequest, area_id: int) -> HttpResponse:
    place = sel.board_place_get(request.user, area_id, request=request)
    board = sel.identity_board(place)
    url = _intake_url(request, place)
    return render(request, "party/boards/detail.html", {"board": board, "intake_url": url, "qr": qr_svg(url)})


@never_cache
@login_required
@require_GET
def board_pdf_view(request: HttpRequest, area_id: int) -> HttpResponse:
    place = sel.board_place_get(request.user, area_id, request=request)
    pdf = board_pdf(sel.identity_board(place), _intake_url(request, place))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="identity-board-{place.code}.pdf"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def board_me(request: HttpRequest) -> HttpResponse:
    """A member's own choice: shown on the identity board of where they live, or not."""
    member = points_member_for_self(request.user)
    if request.method == "POST":
        show = request.POST.get("show") == "1"
        try:
            board_services.member_board_visibility_set(actor=request.user, member=member, show=show, request=request)
        except PermissionDenied as exc:
            raise Http404 from exc
        messages.success(request, _("You are now shown on the identity board.") if show
                         else _("You are no longer shown on the identity board."))
        return redirect("party:board_me")
    return render(request, "party/boards/me.html", {"member": member})
