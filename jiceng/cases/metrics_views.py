"""Metrics pages: the three-rates dashboard (charts, heat map by grid, rankings, drill-down by area) and
the monthly topics (每月一题), each table exportable to Excel. Figures come from jiceng.cases.metrics.

Reading needs org.view; an area outside the user's scope is 404; exporting needs data.export.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import scope_for
from jiceng.core.excel import xlsx_response

from . import metrics
from .calendar import LOCAL
from .models import Category

PERIOD_KINDS = ("recent", "month", "quarter", "year", "custom")
TABLES = ("month", "area", "grid", "category", "unit")


def _int(params: QueryDict, name: str) -> int | None:
    value = params.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _date(params: QueryDict, name: str, errors: dict) -> date | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def parse_filters(user, params: QueryDict) -> metrics.MetricFilters:
    """The filters of a metrics page or API call; ValidationError names each bad field. An area
    outside the user's scope is 404."""
    errors: dict[str, list[str]] = {}
    kind = params.get("period", "recent") or "recent"
    if kind not in PERIOD_KINDS:
        errors["period"] = [_("Choose a month, a quarter, a year or a range.")]
        kind = "recent"
    start, end = _date(params, "start", errors), _date(params, "end", errors)
    value = params.get("value", "").strip()
    period = None
    if not errors:
        try:
            period = metrics.period_of(kind if kind != "recent" else "", value, start, end)
        except (ValueError, TypeError):
            field = "end" if kind == "custom" and start and end else ("start" if kind == "custom" else "value")
            errors[field] = [{
                "month": _("Enter a month as YYYY-MM."), "quarter": _("Enter a quarter as YYYYQn, e.g. 2026Q4."),
                "year": _("Enter a year, e.g. 2026."),
            }.get(kind, _("Enter a start and an end, the end not before the start."))]
        if kind == "custom" and not (start and end):
            errors["start"] = [_("Enter a start and an end, the end not before the start.")]
    category = None
    if (cat_id := _int(params, "category")) is not None:
        category = Category.objects.filter(pk=cat_id).first()
        if category is None:
            errors["category"] = [_("Unknown category.")]
    if errors:
        raise ValidationError(errors)
    area = metrics.metrics_area(user, _int(params, "area"))
    return metrics.MetricFilters(period=period, area=area, unit_id=_int(params, "unit"), category=category)


def _require_view(request: HttpRequest) -> None:
    if not metrics.can_view_metrics(request.user):
        raise Http404


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _export(request: HttpRequest, name: str, title: str, headers: list[str], rows: list[list]) -> HttpResponse:
    if not scope_for(request.user).allows(roles.EXPORT):
        raise Http404
    audit_record(actor=request.user, kind=AuditKind.EXPORT, action=f"metrics.export.{name}", request=request,
                 changes={"rows": len(rows), "query": request.GET.urlencode()[:500]})
    return xlsx_response(f"metrics-{name}", title, headers, rows)


def _rate_headers() -> list[str]:
    return [str(metrics.RATE_LABELS[r]) for r in metrics.RATE_NAMES]


def _export_table(request: HttpRequest, board: metrics.Dashboard, table: str) -> HttpResponse:
    rows_of = {"month": board.by_month, "area": board.by_area, "grid": board.by_grid,
               "category": board.by_category, "unit": board.by_unit}
    first = {"month": _("Month"), "area": _("Area"), "grid": _("Grid"), "category": _("Category"),
             "unit": _("Unit")}[table]
    headers = [first, _("Code"), _("Cases"), *_rate_headers(), _("Dispatched and due"), _("Responded in time"),
               _("Rated"), _("Satisfied"), _("Basically satisfied"), _("Answered on solved"), _("Solved"),
               _("Closed"), _("Closed on time"), _("Handled"), _("Reworked or reopened")]
    rows = []
    for r in rows_of[table]:
        c = r.counts
        rows.append([r.label, r.code, c.cases, *[c.rates[n] for n in metrics.RATE_NAMES], c.response_due,
                     c.responded, c.rated, c.satisfied, c.basically, c.answered, c.resolved, c.closed, c.on_time,
                     c.handled, c.reworked])
    return _export(request, table, f"{first} {board.filters.period.label}", headers, rows)


def _table(rows: list[metrics.MetricRow]) -> list[dict]:
    return [{"row": r, "rates": [_pct(r.counts.rates[n]) for n in metrics.RATE_NAMES]} for r in rows]


def _ranking(rows: list[metrics.MetricRow], rate: str) -> list[tuple]:
    return [(rank, r, _pct(r.counts.rates[rate])) for rank, r in metrics.metrics_ranking(rows, rate)]


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    try:
        f = parse_filters(request.user, request.GET)
        errors = {}
    except ValidationError as exc:
        errors = exc.message_dict
        f = metrics.MetricFilters(period=metrics.period_of(""))
    board = metrics.metrics_dashboard(request.user, f)
    table = request.GET.get("table", "")
    if request.GET.get("format") == "xlsx" and not errors:
        if table not in TABLES:
            raise Http404
        return _export_table(request, board, table)
    rate = request.GET.get("rank", "satisfaction")
    rate = rate if rate in metrics.RATE_NAMES else "satisfaction"
    query = request.GET.copy()
    query.pop("area", None)
    chart = {
        "api": reverse("api:cases_metrics") + "?" + request.GET.urlencode(),
        "geojson": reverse("api:areas_geojson") + "?kind=grid",
        "drill": reverse("cases:metrics") + "?" + (query.urlencode() + "&" if query else "") + "area=",
        "rates": list(metrics.RATE_NAMES),
        "labels": {**{n: str(metrics.RATE_LABELS[n]) for n in metrics.RATE_NAMES},
                   "cases": _("Cases"), "month": _("Month"), "noData": _("No cases in this period."),
                   "open": _("Drill down")},
        "data": board.as_dict(),
    }
    level_labels = {"subdistrict": _("Subdistrict"), "community": _("Community"), "grid": _("Grid")}
    return render(request, "cases/metrics_dashboard.html", {
        "board": board,
        "f": f,
        "errors": errors,
        "total_rates": [(n, metrics.RATE_LABELS[n], _pct(board.total.rates[n]), metrics.RATE_FORMULAS[n])
                        for n in metrics.RATE_NAMES],
        "rate_labels": [(n, metrics.RATE_LABELS[n], metrics.RATE_FORMULAS[n]) for n in metrics.RATE_NAMES],
        "months": _table(board.by_month),
        "areas": _table(board.by_area),
        "level_label": level_labels[board.area_level],
        "categories_table": _table(board.by_category),
        "units": _table(board.by_unit),
        "rank": rate,
        "area_ranking": _ranking(board.by_area, rate),
        "unit_ranking": _ranking(board.by_unit, rate),
        "can_export": scope_for(request.user).allows(roles.EXPORT),
        "categories": Category.objects.filter(depth=1).order_by("path").only("id", "code", "name"),
        "period_kinds": [("recent", _("Last 12 months")), ("month", _("Month")), ("quarter", _("Quarter")),
                         ("year", _("Year")), ("custom", _("Date range"))],
        "params": request.GET,
        "chart": chart,
        "drill_area": f.area,
    })


@login_required
@require_GET
def topics(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    today = timezone.localtime(timezone.now(), LOCAL).date()
    month = request.GET.get("month", "") or f"{today:%Y-%m}"
    errors = {}
    try:
        metrics.period_of("month", month)
    except ValueError:
        errors["month"] = [_("Enter a month as YYYY-MM.")]
        month = f"{today:%Y-%m}"
    area = metrics.metrics_area(request.user, _int(request.GET, "area"))
    result = metrics.metrics_topics(request.user, month=month, area=area)
    if request.GET.get("format") == "xlsx" and not errors:
        headers = [_("Rank"), _("Category"), _("Cases"), _("Months in the top list"), _("Recurring"),
                   _("Case number"), _("Title"), _("Community"), _("Grid"), _("State"), _("Reported at")]
        rows = []
        for t in result.topics:
            for c in t.cases or [None]:
                rows.append([t.rank, f"{t.code} {t.name}", t.count, t.months_in_top, _("Yes") if t.recurring else "",
                             c.number if c else "", c.title if c else "", c.community.name if c and c.community else "",
                             c.grid.name if c and c.grid else "", c.get_state_display() if c else "",
                             c.created_at if c else None])
        return _export(request, "topics", f"{_('Monthly topics')} {result.month}", headers, rows)
    return render(request, "cases/metrics_topics.html", {
        "result": result,
        "errors": errors,
        "month": month,
        "area": area,
        "window": metrics.TOPIC_WINDOW_MONTHS,
        "recurring_months": metrics.TOPIC_RECURRING_MONTHS,
        "can_export": scope_for(request.user).allows(roles.EXPORT),
    })
