"""Area pages: the tree, one area, its edit form, and the map. Each view validates, calls one
selector or service, and renders; missing permission or scope reads as 404."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for
from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate
from jiceng.web.forms import apply_service_errors

from . import selectors
from .forms import AreaForm
from .models import Area, AreaKind
from .services import area_delete, area_update


def _require_view(request: HttpRequest) -> None:
    if not selectors.can_view(request.user):
        raise Http404


def _url_or_blank(name: str, pk: int) -> str:
    """A link to another app's page when that app offers one (party and units pages are their own)."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    roots = list(selectors.area_roots_for(request.user).defer("geometry"))
    children = selectors.area_children_of(request.user, roots)
    nodes = [{"area": r, "children": children.get(r.id, [])} for r in roots]
    return render(request, "areas/tree.html", {"nodes": nodes})


@login_required
def children(request: HttpRequest, pk: int) -> HttpResponse:
    """The children of one node, as a fragment of the tree (loaded by htmx when a node opens)."""
    _require_view(request)
    area = selectors.area_get(request.user, pk, request)
    kids = list(selectors.area_children(request.user, area).defer("geometry"))
    return render(request, "areas/_children.html", {"children": kids, "parent": area})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    user = request.user
    area = selectors.area_get(user, pk, request)
    q = (request.GET.get("q") or "").strip()[:100]
    kids = selectors.area_children(user, area, q=q or None).defer("geometry")
    if request.GET.get("format") == "xlsx":
        if not scope_for(user).allows(roles.EXPORT):
            raise Http404
        headers = [_("Code"), _("Name"), _("Kind"), _("Population"), _("Households"), _("Sub-areas"), _("Address")]
        rows = (
            (c.code, c.name, c.get_kind_display(), c.population, c.households, c.numchild, c.address)
            for c in kids.iterator(chunk_size=2000)
        )
        return xlsx_response(f"areas-{area.code}", area.name, headers, rows)
    page = paginate(request, kids)
    orgs = [(o, _url_or_blank("party:detail", o.pk)) for o in selectors.area_party_orgs(user, area)]
    units = [(u, _url_or_blank("units:detail", u.pk)) for u in selectors.area_units(user, area)]
    can_change = selectors.can_change(user, area)
    context = {
        "area": area,
        "ancestors": selectors.area_ancestors(user, area),
        "page": page,
        "q": q,
        "orgs": orgs,
        "units": units,
        "can_change": can_change,
        "can_export": scope_for(user).allows(roles.EXPORT),
        "form": AreaForm(initial=AreaForm.initial_for(area)) if can_change else None,
        "child_kind": _child_kind_label(area),
        "tiles": settings.MAP_TILE_URL,
    }
    return render(request, "areas/detail.html", context)


def _child_kind_label(area: Area) -> str:
    from .models import CHILD_KIND

    kind = CHILD_KIND.get(area.kind)
    return AreaKind(kind).label if kind else ""


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    area = selectors.area_get(request.user, pk, request)
    if not selectors.can_change(request.user, area):
        raise Http404
    if request.method == "POST":
        form = AreaForm(request.POST)
        if form.is_valid():
            try:
                area_update(actor=request.user, area=area, request=request, **form.cleaned_data)
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("areas:detail", pk=area.pk)
    else:
        form = AreaForm(initial=AreaForm.initial_for(area))
    ancestors = selectors.area_ancestors(request.user, area)
    return render(request, "areas/edit.html", {"area": area, "form": form, "ancestors": ancestors})


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    area = selectors.area_get(request.user, pk, request)
    if not selectors.can_change(request.user, area):
        raise Http404
    ancestors = selectors.area_ancestors(request.user, area)
    try:
        area_delete(actor=request.user, area=area, request=request)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("areas:detail", pk=area.pk)
    messages.success(request, _("%(name)s was deleted.") % {"name": area.name})
    if ancestors:
        return redirect("areas:detail", pk=ancestors[-1].pk)
    return redirect("areas:tree")


@login_required
def map_view(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    config = {
        "geojson": reverse("api:areas_geojson") + "?kind=grid",
        "locate": reverse("api:areas_locate"),
        "detail": reverse("areas:detail", args=[0]),
        "tiles": settings.MAP_TILE_URL,
        "labels": {
            "population": _("Population"),
            "households": _("Households"),
            "code": _("Code"),
            "community": _("Community"),
            "open": _("Open the area page"),
            "notFound": _("No grid in your area contains this point."),
            "bad": _("Enter a latitude and a longitude."),
            "found": _("Found"),
            "noGrids": _("No grid polygons in your area yet."),
        },
    }
    return render(request, "areas/map.html", {"map_config": config})
