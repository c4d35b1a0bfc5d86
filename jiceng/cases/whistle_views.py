"""Whistle pages: the list (a department's whistles for its handlers), whistling from a case or from cases
picked in the inbox, one whistle with each department's clocks and state, its actions, and department
statistics with an Excel export. Out of scope or lacking permission reads as not found."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import scope_for
from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate
from jiceng.units.models import Unit
from jiceng.web.forms import submit_service_form

from . import calendar
from . import case_selectors as case_sel
from . import whistle_selectors as sel
from . import whistle_services as svc
from .case_services import ConflictError
from .models import Urgency
from .whistle_models import ResponseState, WhistleState

CASE_NUMBER = re.compile(r"GL\d{13}")
RESPONSE_ACTIONS = ("check_in", "report", "rate")


def _require_view(request: HttpRequest) -> None:
    if not scope_for(request.user).allows(roles.VIEW_ORG):
        raise Http404


def _rows(page_or_list, now=None):
    """Each whistle with its responses and their derived clock flags (no query)."""
    now = now or timezone.now()
    return [(w, [(r, sel.response_flags(r, now)) for r in w.responses.all()]) for w in page_or_list]


@login_required
@require_GET
def whistle_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    g = request.GET
    filters = sel.WhistleFilters(
        state=g.get("state", "") if g.get("state", "") in WhistleState.values else "",
        overdue=g.get("overdue") == "1", emergency=g.get("emergency") == "1",
        unit=int(g["unit"]) if g.get("unit", "").isdigit() else None)
    page = paginate(request, sel.whistle_list(request.user, filters))
    scope = scope_for(request.user)
    return render(request, "cases/whistle_list.html", {
        "page": page, "rows": _rows(page.object_list), "f": filters, "states": WhistleState.choices,
        "can_whistle": sel.may_whistle(request.user),
        "units": Unit.objects.filter(pk__in=scope.unit_ids).order_by("name") if scope.unit_ids else [],
    })


class WhistleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Matter"), max_length=200)
    cases = forms.CharField(label=gettext_lazy("Case numbers"), max_length=4000,
                            help_text=gettext_lazy("One or more case numbers, separated by spaces."))
    description = forms.CharField(label=gettext_lazy("What must be solved"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    urgency = forms.ChoiceField(label=gettext_lazy("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    lead = forms.ModelChoiceField(label=gettext_lazy("Lead department"), queryset=Unit.objects.none())
    co = forms.ModelMultipleChoiceField(label=gettext_lazy("Co-handling departments"), required=False,
                                        queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        units = case_sel.dispatch_units(user)
        self.fields["lead"].queryset = units
        self.fields["co"].queryset = units

    def clean_cases(self):
        numbers = list(dict.fromkeys(CASE_NUMBER.findall(self.cleaned_data["cases"])))
        if not numbers:
            raise ValidationError(_("Give at least one case number."))
        found = {c.number: c for c in case_sel.case_inbox(self.user).filter(number__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise ValidationError(_("No such case in your area: %(list)s") % {"list": "、".join(missing)})
        return [found[n] for n in numbers]


@login_required
@require_http_methods(["GET", "POST"])
def whistle_new(request: HttpRequest) -> HttpResponse:
    """Whistle on cases: from a case page (?case=) or from the cases picked in the inbox (POST with
    `start`, which only fills the form)."""
    _require_view(request)
    if not sel.may_whistle(request.user):
        raise Http404
    picked = request.POST.getlist("pick") if "start" in request.POST else request.GET.getlist("case")
    numbers = [m for p in picked for m in CASE_NUMBER.findall(p)]
    initial = {"cases": " ".join(dict.fromkeys(numbers))}
    if len(numbers) == 1:
        first = case_sel.case_inbox(request.user).filter(number=numbers[0]).first()
        if first is not None:
            initial.update(title=first.title, urgency=first.urgency, lead=first.unit_id or first.suggested_unit_id)
    bound = request.method == "POST" and "start" not in request.POST
    form = WhistleForm(request.POST if bound else None, user=request.user, initial=initial)
    created = {}

    def call(d):
        created["w"] = svc.whistle_create(actor=request.user, title=d["title"], cases=d["cases"], lead=d["lead"],
                                          co=list(d["co"]), description=d["description"], urgency=d["urgency"],
                                          request=request)

    if bound and submit_service_form(request, form, call):
        messages.success(request, _("Whistled: the departments are notified."))
        return redirect("cases:whistle", whistle_id=created["w"].pk)
    return render(request, "cases/whistle_new.html", {"form": form})


@login_required
@require_GET
def whistle_page(request: HttpRequest, whistle_id: int) -> HttpResponse:
    _require_view(request)
    d = sel.whistle_detail(request.user, whistle_id, request=request)
    now = timezone.now()
    lead_reported = any(r.role == "lead" and r.state == ResponseState.REPORTED for r in d.responses)
    return render(request, "cases/whistle_detail.html", {
        "d": d, "w": d.whistle, "rows": [(r, sel.response_flags(r, now)) for r in d.responses],
        "can_close": d.can_oversee and d.whistle.state == WhistleState.OPEN and lead_reported,
        "ratings": svc.RATINGS, "states": dict(ResponseState.choices),
    })


@login_required
@require_POST
def response_act(request: HttpRequest, whistle_id: int, response_id: int, action: str) -> HttpResponse:
    _require_view(request)
    if action not in RESPONSE_ACTIONS:
        raise Http404
    response = sel.response_get(request.user, whistle_id, response_id, request=request)
    p = request.POST
    try:
        version = int(p.get("version", ""))
    except ValueError:
        version = 0
    note = p.get("note", "")[:2000]
    try:
        if action == "check_in":
            svc.whistle_check_in(actor=request.user, response=response, expected_version=version, note=note,
                                 request=request)
        elif action == "report":
            svc.whistle_report(actor=request.user, response=response, expected_version=version, note=note,
                               photos=request.FILES.getlist("photos"), request=request)
        else:
            rating = int(p["rating"]) if p.get("rating", "").isdigit() else 0
            svc.whistle_rate(actor=request.user, response=response, expected_version=version, rating=rating,
                             comment=p.get("comment", "")[:500], request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("cases:whistle", whistle_id=whistle_id)


@login_required
@require_POST
def whistle_close(request: HttpRequest, whistle_id: int) -> HttpResponse:
    _require_view(request)
    whistle = sel.whistle_get(request.user, whistle_id, request=request)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        svc.whistle_close(actor=request.user, whistle=whistle, expected_version=version,
                          note=request.POST.get("note", "")[:2000], request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Whistle closed."))
    return redirect("cases:whistle", whistle_id=whistle_id)


def _period(request: HttpRequest) -> tuple[date, date]:
    """The period from ?start=&end= (local dates), by default the last 30 days."""
    today = timezone.localtime(timezone.now(), calendar.LOCAL).date()
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = today - timedelta(days=29)
    try:
        end = date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


STATS_HEADERS = (gettext_lazy("Department"), gettext_lazy("Whistles received"), gettext_lazy("As lead"),
                 gettext_lazy("Checked in on time"), gettext_lazy("Reported back on time"),
                 gettext_lazy("Ratings"), gettext_lazy("Average rating"))


@login_required
@require_GET
def whistle_stats(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    start, end = _period(request)
    rows = sel.department_stats(request.user, start, end)
    if request.GET.get("format") == "xlsx":
        if not scope_for(request.user).allows(roles.EXPORT):
            raise Http404
        audit_record(actor=request.user, kind=AuditKind.EXPORT, action="whistles.stats.export", request=request,
                     changes={"rows": len(rows), "start": str(start), "end": str(end)})
        return xlsx_response("whistle-stats", _("Department statistics"), [str(h) for h in STATS_HEADERS], [
            [r["unit_name"], r["received"], r["lead"], r["checked_in_on_time"], r["reported_on_time"], r["rated"],
             r["average_rating"]] for r in rows])
    return render(request, "cases/whistle_stats.html", {
        "rows": rows, "start": start, "end": end, "headers": STATS_HEADERS,
        "can_export": scope_for(request.user).allows(roles.EXPORT)})
