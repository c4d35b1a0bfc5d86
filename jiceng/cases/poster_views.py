"""QR posters (staff in scope): the printable page of one building or compound, the list of every
place under an area, and the A4 PDF of one place or of every place under an area (a compound, a
grid, a community) for batch printing. Out of scope, or a role that does not put posters up: 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jiceng.accounts.models import Role
from jiceng.accounts.scope import get_in_scope_or_404, scope_for
from jiceng.areas.models import Area
from jiceng.core.paging import paginate

from . import posters
from . import resident_selectors as sel

# Who puts posters up: the area's staff and grid workers (not departments, members or administrators).
POSTER_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER})


def _area(request: HttpRequest, area_id: int) -> Area:
    if not scope_for(request.user).roles & POSTER_ROLES:
        raise Http404
    return get_in_scope_or_404(request.user, Area.objects.all(), request=request, pk=area_id)


@login_required
@require_GET
def poster(request: HttpRequest, area_id: int) -> HttpResponse:
    area = _area(request, area_id)
    base = posters.public_base(request)
    context = {"area": area, "count": sel.poster_places(area).count()}
    if area.kind in sel.PLACE_KINDS:
        url = posters.report_url(base, area.code)
        # segno writes a self-contained SVG (no script), which the CSP allows inline.
        svg = posters.qr_for(url).svg_inline(scale=8, dark="#000", light="#fff")
        context.update(url=url, qr=mark_safe(svg), chain=sel.poster_chains([area])[area.pk])  # noqa: S308
    else:
        context["page"] = paginate(request, sel.poster_places(area), default_size=100)
    return render(request, "cases/poster.html", context)


@login_required
@require_GET
def poster_pdf(request: HttpRequest, area_id: int) -> HttpResponse:
    area = _area(request, area_id)
    places = list(sel.poster_places(area)[: posters.MAX_POSTERS + 1])
    if not places:
        messages.error(request, _("There is no building or compound here to print a poster for."))
        return redirect("cases:poster", area_id=area.pk)
    if len(places) > posters.MAX_POSTERS:
        messages.error(request, _("More than %(n)d posters: print a smaller area at a time.")
                       % {"n": posters.MAX_POSTERS})
        return redirect("cases:poster", area_id=area.pk)
    title = _("QR posters: %(name)s") % {"name": area.name}
    pdf = posters.posters_pdf(places, base=posters.public_base(request), chains=sel.poster_chains(places), title=title)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="posters-{area.code}.pdf"'
    return response
