"""Case pages: the scoped inbox (filters, Excel, bulk dispatch), the report form for staff and grid
workers, the case page with its timeline, map and action forms, and the dispatch catalogue.

Out of scope or lacking permission reads as not found. A stale version shows a clear conflict message.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area
from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate
from jiceng.core.uploads import MAX_PHOTOS
from jiceng.units.models import Unit

from . import case_selectors as sel
from . import case_services as svc
from . import photo_selectors, workflow
from .case_models import Case, CaseChannel, CaseState
from .category_suggest import category_suggestions, report_suggestion
from .intake_services import case_intake
from .models import Category, Urgency
from .resident_views import PhotoInput
from .workbench_selectors import has_tasks, saved_views_for

EXPORT_MAX_ROWS = 50_000
ACTION_LABELS = {
    "dispatch": gettext_lazy("Dispatch"),
    "route": gettext_lazy("Place in a grid"),
    "accept": gettext_lazy("Accept"),
    "return": gettext_lazy("Return"),
    "handle": gettext_lazy("Report handled"),
    "suspend": gettext_lazy("Suspend"),
    "resume": gettext_lazy("Resume"),
    "verify": gettext_lazy("Verify"),
    "rework": gettext_lazy("Send back for rework"),
    "close": gettext_lazy("Close"),
    "reopen": gettext_lazy("Reopen"),
}
# What a staff or grid worker may choose as a channel on the form; integrations use the API.
FORM_CHANNELS = [(CaseChannel.STAFF, CaseChannel.STAFF.label), (CaseChannel.PATROL, CaseChannel.PATROL.label),
                 (CaseChannel.HOTLINE_12345, CaseChannel.HOTLINE_12345.label)]


def _require_view(request: HttpRequest) -> None:
    scope = scope_for(request.user)
    if not scope.allows(roles.VIEW_ORG):
        raise Http404


def _filters(request: HttpRequest) -> sel.InboxFilters:
    return filters_from(request.GET)


def filters_from(g) -> sel.InboxFilters:
    """The inbox filters in a query string (the page's, or a saved view's); unknown values dropped."""

    def as_int(name: str) -> int | None:
        return int(g[name]) if g.get(name, "").isdigit() else None

    return sel.InboxFilters(
        state=g.get("state", "") if g.get("state", "") in CaseState.values else "",
        category=as_int("category"),
        channel=g.get("channel", "") if g.get("channel", "") in CaseChannel.values else "",
        community=as_int("community"),
        overdue=g.get("overdue") == "1",
        near_due=g.get("near_due") == "1",
        q=g.get("q", "").strip()[:50],
        mine=g.get("mine") == "1",
    )


def _export(request: HttpRequest, qs, filters: sel.InboxFilters) -> HttpResponse:
    if not scope_for(request.user).allows(roles.EXPORT):
        raise Http404
    rows = list(qs[:EXPORT_MAX_ROWS])
    audit_record(actor=request.user, kind=AuditKind.EXPORT, action="cases.export", request=request,
                 changes={"rows": len(rows), "filters": {k: v for k, v in vars(filters).items() if v}})
    headers = [_("Case number"), _("Channel"), _("Source reference"), _("Category"), _("Urgency"), _("Title"),
               _("State"), _("Community"), _("Grid"), _("Assigned unit"), _("Reported at"), _("Due"), _("Overdue")]

    def local(dt):
        return timezone.localtime(dt).replace(tzinfo=None) if dt else None

    return xlsx_response("cases", _("Cases"), headers, [
        [c.number, c.get_channel_display(), c.source_ref, f"{c.category.code} {c.category.name}",
         str(Urgency(c.urgency).label) if c.urgency in Urgency.values else c.urgency, c.title,
         c.get_state_display(), c.community.name if c.community else "", c.grid.name if c.grid else "",
         c.unit.name if c.unit else "", local(c.created_at), local(c.current_due), _("Yes") if c.overdue else ""]
        for c in rows
    ])


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    filters = _filters(request)
    qs = sel.case_inbox(request.user, filters)
    if request.GET.get("format") == "xlsx":
        return _export(request, qs, filters)
    scope = scope_for(request.user)
    page = paginate(request, qs.values_list("pk", flat=True))
    page.object_list = sel.inbox_rows(list(page.object_list))
    can_dispatch = bool(scope.roles & workflow.ACTION_ROLES["dispatch"])
    return render(request, "cases/case_inbox.html", {
        "page": page,
        "f": filters,
        "states": CaseState.choices,
        "channels": CaseChannel.choices,
        "categories": Category.objects.order_by("path").only("id", "code", "name"),
        "communities": sel.communities_in_scope(request.user),
        "can_export": scope.allows(roles.EXPORT),
        "can_report": bool(scope.roles & workflow.REPORTERS),
        "can_dispatch": can_dispatch,
        "units": sel.dispatch_units(request.user) if can_dispatch else [],
        "dispatchable": {CaseState.REGISTERED, CaseState.RETURNED, CaseState.TRIAGE},
        "can_catalogue": bool(scope.roles & {"district_admin", "subdistrict_staff", "community_staff"}),
        "saved_views": saved_views_for(request.user),
        "has_tasks": has_tasks(request.user),
    })


@login_required
@require_POST
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    """Dispatch the selected cases to one unit; each case in its own transaction, each conflict named."""
    _require_view(request)
    scope = scope_for(request.user)
    if not scope.roles & workflow.ACTION_ROLES["dispatch"]:
        raise Http404
    unit = sel.dispatch_units(request.user).filter(pk=request.POST.get("unit_id") or 0).first()
    picks = request.POST.getlist("pick")[:200]
    if unit is None or not picks:
        messages.error(request, _("Choose the cases and the unit to dispatch them to."))
        return redirect("cases:inbox")
    done, failed = 0, []
    for pick in picks:
        number, _sep, version = pick.partition(":")
        try:
            case = sel.case_get(request.user, number, request=request)
            svc.case_dispatch(actor=request.user, case=case, unit=unit, expected_version=int(version or 0),
                              request=request)
            done += 1
        except (Http404, PermissionDenied, ValueError, ValidationError, svc.ConflictError):
            failed.append(number)
    if done:
        messages.success(request, _("%(n)d cases dispatched to %(unit)s.") % {"n": done, "unit": unit.name})
    if failed:
        messages.error(request, _("Not dispatched (changed by someone else or not dispatchable): %(list)s")
                       % {"list": "、".join(failed)})
    return redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/cases/")
                    else reverse("cases:inbox"))


class ReportForm(forms.Form):
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), queryset=Category.objects.none())
    urgency = forms.ChoiceField(label=gettext_lazy("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=FORM_CHANNELS)
    source_ref = forms.CharField(label=gettext_lazy("Source reference"), max_length=64, required=False,
                                 help_text=gettext_lazy("For example the hotline ticket number."))
    description = forms.CharField(label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 4}),
                                  max_length=5000)
    lat = forms.FloatField(label=gettext_lazy("Latitude"), required=False, min_value=-90, max_value=90,
                           widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    lng = forms.FloatField(label=gettext_lazy("Longitude"), required=False, min_value=-180, max_value=180,
                           widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    crs = forms.ChoiceField(label=gettext_lazy("Coordinate system"), initial="wgs84", choices=[
        ("wgs84", gettext_lazy("WGS-84 (GPS)")), ("gcj02", gettext_lazy("GCJ-02 (Chinese map apps)"))])
    building_code = forms.CharField(label=gettext_lazy("Building code"), max_length=40, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200, required=False)
    reporter_name = forms.CharField(label=gettext_lazy("Reporter"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=gettext_lazy("Reporter phone"), max_length=20, required=False)
    # What the page suggested from the description (set by _category_suggest.html), kept with the report.
    suggested_category = forms.CharField(required=False, widget=forms.HiddenInput)
    # A patrol's photos, taken with the phone's camera; checked by content in case_intake.
    photos = forms.Field(label=gettext_lazy("Photos"), required=False, widget=PhotoInput(
        attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].queryset = Category.objects.filter(active=True).order_by("path")

    def clean(self):
        data = super().clean()
        code = data.get("building_code", "")
        data["building"] = None
        # Not the reporter's input, so never an error of theirs: a suggestion that is gone is no suggestion.
        suggested = data.get("suggested_category", "")
        data["suggested_category"] = (Category.objects.filter(active=True, pk=int(suggested)).first()
                                      if suggested.isdigit() else None)
        if code:
            data["building"] = sel.building_by_code(self.user, code)
            if data["building"] is None:
                self.add_error("building_code", _("No building with this code in your area."))
        return data


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    if not scope_for(request.user).roles & workflow.REPORTERS:
        raise Http404
    # Grid workers report from patrols; staff mostly from calls and visits.
    initial = {"channel": CaseChannel.PATROL if "grid_worker" in scope_for(request.user).roles else CaseChannel.STAFF}
    form = ReportForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case = case_intake(
                actor=request.user, channel=d["channel"], category=d["category"], description=d["description"],
                urgency=d["urgency"], lat=d["lat"], lng=d["lng"], crs=d["crs"], building=d["building"],
                address=d["address"], reporter_name=d["reporter_name"], reporter_phone=d["reporter_phone"],
                source_ref=d["source_ref"], suggested_category=d["suggested_category"],
                photos=request.FILES.getlist("photos")[: MAX_PHOTOS + 1], request=request,
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("Case %(number)s reported.") % {"number": case.number})
            if Case.objects.filter(sel.case_scope_q(request.user), pk=case.pk).exists():
                return redirect("cases:case", number=case.number)
            return redirect("cases:inbox")
    return render(request, "cases/case_new.html", {"form": form, "max_photos": MAX_PHOTOS})


@login_required
@require_POST
def category_suggest(request: HttpRequest) -> HttpResponse:
    """While a report is being written (the form posts its fields here as the description changes): the
    categories its text is probably about. The page preselects the first when no category is chosen
    yet; the reporter keeps it, picks another suggestion, or chooses freely in the list."""
    _require_view(request)
    if not scope_for(request.user).roles & workflow.REPORTERS:
        raise Http404
    suggestions = category_suggestions(request.POST.get("description", ""))
    return render(request, "cases/_category_suggest.html", {
        "suggestions": suggestions, "chosen": request.POST.get("category", "")})


@login_required
@require_GET
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    _require_view(request)
    info = sel.case_detail(request.user, number, request=request)
    c = info.case
    labels = {**ACTION_LABELS, "report": _("Report"), "merge": _("Merge"), "merged_in": _("Merged in")}
    states = dict(CaseState.choices)
    # A report from a building's QR code has no point of its own: the building's is the place.
    where = c if c.lat is not None else c.building if c.building is not None and c.building.lat is not None else None
    point = ({"lat": where.lat, "lng": where.lng, "label": c.number, "tiles": settings.MAP_TILE_URL}
             if where is not None else None)
    photos = photo_selectors.case_photos(c)
    suggested, suggestion_kept = report_suggestion(info.events)
    return render(request, "cases/case_detail.html", {
        "suggested": suggested,
        "suggestion_kept": suggestion_kept,
        "d": info,
        "c": c,
        "near_due": sel.is_near_due(c),
        "hotline_due": sel.hotline_due(c),
        "actions": [(a, ACTION_LABELS[a]) for a in info.actions],
        "needs_note": workflow.NOTE_REQUIRED,
        "units": sel.dispatch_units(request.user) if "dispatch" in info.actions else [],
        "grids": sel.grids_in_scope(request.user) if "route" in info.actions else [],
        "point": point,
        "timeline": [(e, labels.get(e.transition, e.transition), states.get(e.from_state, ""),
                      states.get(e.to_state, e.to_state), photos.get(e.pk, [])) for e in info.events],
        "loose_photos": photos.get(None, []),
        "max_photos": MAX_PHOTOS,
    })


@login_required
@require_POST
def case_act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    _require_view(request)
    if action not in workflow.ACTIONS:
        raise Http404
    case = sel.case_get(request.user, number, request=request)
    p = request.POST
    unit = area = None
    if p.get("unit_id", "").isdigit():
        unit = sel.dispatch_units(request.user).filter(pk=int(p["unit_id"])).first()
    if p.get("area_id", "").isdigit():
        area = sel.grids_in_scope(request.user).filter(pk=int(p["area_id"])).first()
    try:
        version = int(p.get("version", ""))
    except ValueError:
        version = 0
    try:
        svc.case_act(actor=request.user, case=case, action=action, expected_version=version,
                     note=p.get("note", "")[:2000], unit=unit, area=area,
                     photos=request.FILES.getlist("photos")[: MAX_PHOTOS + 1], request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except svc.ConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(action)s: done.") % {"action": ACTION_LABELS[action]})
    if not Case.objects.filter(sel.case_scope_q(request.user), pk=case.pk).exists():
        # Returned by the department, the case leaves its view.
        return redirect("cases:inbox")
    return redirect("cases:case", number=number)


# --- the dispatch catalogue -----------------------------------------------------------------------


class CatalogueForm(forms.Form):
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), queryset=Category.objects.none())
    area = forms.ModelChoiceField(label=gettext_lazy("Area"), queryset=Area.objects.none())
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=Unit.objects.none())

    def __init__(self, *args, user, **kwargs) -> None:
        from jiceng.accounts.scope import scope_q

        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.order_by("path")
        self.fields["area"].queryset = Area.objects.filter(
            scope_q(user, "path"), kind__in=["district", "subdistrict", "community", "grid"]).order_by("path")
        self.fields["unit"].queryset = sel.dispatch_units(user)


@login_required
@require_http_methods(["GET", "POST"])
def catalogue(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    entries = sel.catalogue_list(request.user)
    can_edit = sel.can_edit_catalogue(request.user)
    form = CatalogueForm(request.POST or None, user=request.user) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            svc.catalogue_set(actor=request.user, category=d["category"], area=d["area"], unit=d["unit"],
                              request=request)
            messages.success(request, _("Saved."))
            return redirect("cases:catalogue")
    return render(request, "cases/case_catalogue.html", {
        "page": paginate(request, entries, default_size=100), "form": form, "can_edit": can_edit})


@login_required
@require_POST
def catalogue_delete(request: HttpRequest, entry_id: int) -> HttpResponse:
    _require_view(request)
    if not sel.can_edit_catalogue(request.user):
        raise Http404
    entry = sel.catalogue_list(request.user).filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    svc.catalogue_delete(actor=request.user, entry=entry, request=request)
    messages.success(request, _("Removed."))
    return redirect("cases:catalogue")
