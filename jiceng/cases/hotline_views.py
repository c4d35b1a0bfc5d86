"""Pages of the 12345 hotline import, duplicate suggestions and merging.

Each view checks who may use it (lacking the role or out of scope reads as not found), calls one
service or selector, and renders.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts.scope import scope_for
from jiceng.core.excel import XLSX
from jiceng.core.paging import paginate

from . import case_selectors as sel
from . import duplicate_selectors as dup
from . import workflow
from .case_models import Case, CaseState
from .case_services import ConflictError
from .hotline_import import FORMAT, hotline_import
from .merge_services import MERGERS, case_merge

SHOWN_ERRORS = 500
# Cases waiting for a dispatcher's decision: where duplicates are caught before work is done twice.
TRIAGE_STATES = (CaseState.TRIAGE, CaseState.REGISTERED, CaseState.RETURNED)


class HotlineFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Work order file (.xlsx or .csv)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.csv," + XLSX + ",text/csv"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; at most %(limit)s may be imported at once.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.MAX_IMPORT_BYTES)})
        return upload


def _require_reporter(request: HttpRequest) -> None:
    if not scope_for(request.user).roles & workflow.REPORTERS:
        raise Http404


def _require_merger(request: HttpRequest) -> None:
    if not scope_for(request.user).roles & MERGERS:
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def hotline_import_view(request: HttpRequest) -> HttpResponse:
    _require_reporter(request)
    result = None
    form = HotlineFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = hotline_import(actor=request.user, content=upload.read(), filename=upload.name, request=request)
        if result.ok:
            if result.created:
                messages.success(request, _("Imported %(n)d rows of %(what)s from %(file)s.")
                                 % {"n": result.created, "what": FORMAT.title, "file": upload.name})
            if result.unchanged:
                messages.info(request, _("%(n)d rows were imported before and are unchanged.")
                              % {"n": result.unchanged})
            return redirect(f"{request.path}?done=1")
    columns = [(str(c.title), c.required, next((a for a in c.aliases if not a.isascii()), ""), c.key, c.help)
               for c in FORMAT.columns]
    return render(request, "cases/hotline_import.html", {
        "form": form, "result": result, "columns": columns,
        "shown_errors": result.errors[:SHOWN_ERRORS] if result else [],
        "hidden_errors": max(0, len(result.errors) - SHOWN_ERRORS) if result else 0,
        "max_bytes": settings.MAX_IMPORT_BYTES,
    })


@login_required
@require_GET
def duplicates_panel(request: HttpRequest, number: str) -> HttpResponse:
    """The case page's panel (loaded into it): probable duplicates, what was merged into this case, and
    the merge form."""
    case = sel.case_get(request.user, number, request=request)
    can_merge = bool(scope_for(request.user).roles & MERGERS) and not case.merged_into_id \
        and case.state != CaseState.CLOSED
    return render(request, "cases/_duplicates_panel.html", {
        "c": case,
        "candidates": dup.duplicate_candidates(request.user, case) if can_merge else [],
        "merged": dup.merged_cases(request.user, case),
        "can_merge": can_merge,
    })


@login_required
@require_POST
def merge_view(request: HttpRequest, number: str) -> HttpResponse:
    _require_merger(request)
    case = sel.case_get(request.user, number, request=request)
    into = Case.objects.filter(sel.case_scope_q(request.user), number=request.POST.get("into", "").strip()).first()
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    if into is None:
        messages.error(request, _("No such case in your scope."))
        return redirect("cases:case", number=number)
    try:
        case_merge(actor=request.user, case=case, into=into, expected_version=version,
                   note=request.POST.get("note", "")[:2000], request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("cases:case", number=number)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("cases:case", number=number)
    messages.success(request, _("%(case)s was merged into %(into)s.") % {"case": case.number, "into": into.number})
    return redirect("cases:case", number=into.number)


@login_required
@require_GET
def duplicates_list(request: HttpRequest) -> HttpResponse:
    """The triage view of duplicates: cases waiting for dispatch, each with its probable duplicates."""
    _require_merger(request)
    qs = (sel.case_inbox(request.user).filter(state__in=TRIAGE_STATES, merged_into__isnull=True)
          .select_related("building"))
    page = paginate(request, qs, default_size=20)
    found = dup.duplicate_candidates_many(request.user, list(page.object_list))
    rows = [(c, found.get(c.pk, [])) for c in page.object_list]
    if request.GET.get("only") == "1":
        rows = [r for r in rows if r[1]]
    return render(request, "cases/hotline_duplicates.html", {"page": page, "rows": rows,
                                                              "only": request.GET.get("only") == "1"})


@login_required
@require_POST
def duplicates_draft(request: HttpRequest) -> HttpResponse:
    """While a report is being written (the report form posts its fields here as they change): the open
    cases it probably repeats. Incomplete fields give an empty answer, never an error."""
    _require_reporter(request)
    from .case_views import ReportForm

    p = request.POST
    category = ReportForm(user=request.user).fields["category"].queryset.filter(pk=p.get("category") or 0).first() \
        if str(p.get("category", "")).isdigit() else None
    description = p.get("description", "").strip()[:5000]
    candidates: list = []
    if category is not None and description:
        lat = lng = None
        try:
            lat, lng = float(p.get("lat", "")), float(p.get("lng", ""))
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                lat = lng = None
        except ValueError:
            lat = lng = None
        if lat is not None and p.get("crs") == "gcj02":
            from jiceng.areas import geo

            lat, lng = geo.to_wgs84(lat, lng, geo.GCJ02)
        building = sel.building_by_code(request.user, p["building_code"]) if p.get("building_code") else None
        if lat is None and building is not None:
            lat, lng = building.lat, building.lng
        probe = dup.Probe(category=category, description=description, created_at=timezone.now(), lat=lat, lng=lng,
                          building_id=building.pk if building else None)
        candidates = dup.duplicate_candidates(request.user, probe)
    return render(request, "cases/_duplicates_draft.html", {"candidates": candidates})
