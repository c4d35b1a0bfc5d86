"""Taxonomy and calendar pages. Reading needs org.view; changing needs the district administrator
role; anything else reads as not found."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import scope_for
from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate
from jiceng.units.models import UnitKind

from . import calendar, selectors, services, taxonomy
from .category_suggest import suggestion_outcomes
from .forms import CategoryForm, ImportForm, LimitFormSet, OverrideForm
from .models import CaseClass, LimitUnit, RequestType, Stage, Urgency


def _require_admin(request: HttpRequest) -> None:
    if not services.can_edit_taxonomy(request.user):
        raise Http404


def _unit_kind_labels() -> dict[str, str]:
    return {k: str(v) for k, v in UnitKind.choices}


@login_required
@require_GET
def taxonomy_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    filters = {
        "q": g.get("q", "").strip(),
        "case_class": g.get("case_class", "") if g.get("case_class", "") in CaseClass.values else "",
        "request_type": g.get("request_type", "") if g.get("request_type", "") in RequestType.values else "",
        "active": g.get("active", "") if g.get("active", "") in ("1", "0") else "",
        "hazard": g.get("hazard") == "1",
    }
    qs = selectors.category_list(request.user, **filters)
    scope = scope_for(request.user)
    if g.get("format") == "xlsx":
        if not scope.allows(roles.EXPORT):
            raise Http404
        rows = list(qs)
        audit_record(actor=request.user, kind=AuditKind.EXPORT, action="taxonomy.export", request=request,
                     changes={"rows": len(rows), "filters": {k: v for k, v in filters.items() if v}})
        return xlsx_response("taxonomy", _("Case categories"), taxonomy.headers(),
                             taxonomy.export_rows(rows, selectors.parent_codes(rows)))
    return render(request, "cases/taxonomy.html", {
        "page": paginate(request, qs, default_size=200),
        **filters,
        "case_classes": CaseClass.choices,
        "request_types": RequestType.choices,
        "unit_kinds": _unit_kind_labels(),
        "can_export": scope.allows(roles.EXPORT),
        "can_edit": services.can_edit_taxonomy(request.user),
        "warning": calendar.calendar_coverage_warning(),
        "suggestions": suggestion_outcomes(request.user),
    })


def _preview(request: HttpRequest, category_id: int) -> tuple[dict | None, str]:
    """The deadline preview asked for on the detail page, or an error message."""
    g = request.GET
    if "start" not in g:
        return None, ""
    stage, urgency = g.get("stage", ""), g.get("urgency", "")
    try:
        start = datetime.fromisoformat(g["start"])
    except ValueError:
        return None, _("Enter a valid start date and time.")
    if stage not in Stage.values or urgency not in Urgency.values:
        return None, _("Choose a stage and an urgency.")
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    result = selectors.deadline_preview(request.user, category_id=category_id, stage=stage, urgency=urgency,
                                        start=start)
    return {"result": result, "start": start, "stage": stage, "urgency": urgency}, ""


@login_required
@require_GET
def category_detail(request: HttpRequest, category_id: int) -> HttpResponse:
    info = selectors.category_detail(request.user, category_id)
    preview, preview_error = _preview(request, category_id)
    return render(request, "cases/category.html", {
        "d": info,
        "c": info.category,
        "unit_kinds": _unit_kind_labels(),
        "can_edit": services.can_edit_taxonomy(request.user),
        "stages": Stage.choices,
        "urgencies": Urgency.choices,
        "units": dict(LimitUnit.choices),
        "preview": preview,
        "preview_error": preview_error,
        "preview_start": request.GET.get("start") or timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    })


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    _require_admin(request)
    category = selectors.category_get(request.user, category_id)
    initial = {
        "name": category.name, "active": category.active, "urgency_levels": category.urgency_levels,
        "unit_kind": category.unit_kind, "is_major_hazard": category.is_major_hazard,
        "hazard_unit_kinds": category.hazard_unit_kinds,
    }
    limits_initial = [
        {"stage": lim.stage, "urgency": lim.urgency, "step": lim.step, "amount": lim.amount, "unit": lim.unit}
        for lim in category.limits.order_by("stage", "urgency", "order")
    ]
    if request.method == "POST":
        form = CategoryForm(request.POST)
        formset = LimitFormSet(request.POST, prefix="limits")
        if form.is_valid() and formset.is_valid():
            limits = [f.spec() for f in formset.forms
                      if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            data = form.cleaned_data
            try:
                services.category_update(
                    actor=request.user, category=category, name=data["name"], active=data["active"],
                    urgency_levels=data["urgency_levels"], unit_kind=data["unit_kind"],
                    is_major_hazard=data["is_major_hazard"], hazard_unit_kinds=data["hazard_unit_kinds"],
                    limits=limits, request=request,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    if field == "limits":
                        formset._non_form_errors = formset.error_class(errors)
                    else:
                        form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The category was saved."))
                return redirect("cases:category", category.pk)
    else:
        form = CategoryForm(initial=initial)
        formset = LimitFormSet(initial=limits_initial, prefix="limits")
    return render(request, "cases/category_edit.html", {"c": category, "form": form, "formset": formset})


@login_required
@require_http_methods(["GET", "POST"])
def taxonomy_import(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.taxonomy_import(actor=request.user, content=form.cleaned_data["file"].read(),
                                          request=request)
        if result.ok:
            messages.success(request, _("Imported %(rows)s rows: %(created)s created, %(updated)s updated.")
                             % {"rows": result.rows, "created": result.created, "updated": result.updated})
            return redirect("cases:taxonomy")
    return render(request, "cases/import.html", {"form": form, "result": result,
                                                 "columns": taxonomy.headers()})


# --- the calendar -------------------------------------------------------------------------------------------


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    return min(max(year, 2000), 2100)


@login_required
@require_GET
def calendar_year(request: HttpRequest) -> HttpResponse:
    selectors.require_view(request.user)
    year = _year(request)
    days = calendar.year_days(year)
    months: list[dict] = []
    for day in days:
        d = day["date"]
        if d.day == 1:
            # Leading blanks so each month's grid starts on Monday.
            months.append({"month": d.month, "cells": [None] * d.weekday()})
        months[-1]["cells"].append(day)
    overrides = [day["override"] for day in days if day["override"] is not None]
    return render(request, "cases/calendar.html", {
        "year": year,
        "months": months,
        "overrides": overrides,
        "working_days": sum(1 for day in days if day["working"]),
        "warning": calendar.calendar_coverage_warning([year]),
        "can_edit": services.can_edit_taxonomy(request.user),
        "form": OverrideForm(initial={"date": date(year, 1, 1) if year != timezone.localdate().year
                                      else timezone.localdate()}),
        "periods": calendar.WORKING_PERIODS,
    })


@login_required
@require_POST
def calendar_override_add(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = OverrideForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.calendar_override_set(actor=request.user, day=d["date"], is_working_day=d["is_working_day"],
                                           note=d["note"], request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The calendar was changed."))
        return redirect(f"{_calendar_url()}?year={d['date'].year}")
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}")
    return redirect(_calendar_url())


@login_required
@require_POST
def calendar_override_delete(request: HttpRequest, day: str) -> HttpResponse:
    _require_admin(request)
    try:
        when = date.fromisoformat(day)
    except ValueError as exc:
        raise Http404 from exc
    try:
        removed = services.calendar_override_delete(actor=request.user, day=when, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    if not removed:
        raise Http404
    messages.success(request, _("The override was removed."))
    return redirect(f"{_calendar_url()}?year={when.year}")


def _calendar_url() -> str:
    from django.urls import reverse

    return reverse("cases:calendar")
