"""JSON API of the feedback metrics (mounted with the cases at /api/v1/cases): the same figures as the
dashboard page, and the monthly topics. Needs org.view; an area out of scope is 404; bad filters 422."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Field, Query, Schema
from ninja.errors import ValidationError

from jiceng.party.api import unprocessable

from . import metrics
from .api import router
from .metrics_views import parse_filters


class RatesOut(Schema):
    response: float | None = Field(None, description=str(metrics.RATE_FORMULAS["response"]))
    resolution: float | None = Field(None, description=str(metrics.RATE_FORMULAS["resolution"]))
    satisfaction: float | None = Field(None, description=str(metrics.RATE_FORMULAS["satisfaction"]))
    on_time: float | None = Field(None, description=str(metrics.RATE_FORMULAS["on_time"]))
    rework: float | None = Field(None, description=str(metrics.RATE_FORMULAS["rework"]))


class CountsOut(Schema):
    cases: int
    response_due: int
    responded: int
    answered: int
    resolved: int
    rated: int
    satisfied: int
    basically: int
    closed: int
    on_time: int
    handled: int
    reworked: int
    rates: RatesOut


class RowOut(CountsOut):
    key: int | str | None
    label: str
    code: str


class PeriodOut(Schema):
    start: str
    end: str
    label: str


class DashboardOut(Schema):
    period: PeriodOut
    area: int | None
    area_level: str
    total: CountsOut
    by_month: list[RowOut]
    by_area: list[RowOut]
    by_grid: list[RowOut]
    by_category: list[RowOut]
    by_unit: list[RowOut]


class MetricsQuery(Schema):
    period: str = Field("recent", description="recent, month, quarter, year or custom")
    value: str = Field("", description="2026-11 for a month, 2026Q4 for a quarter, 2026 for a year")
    start: str = Field("", description="custom range: first day, YYYY-MM-DD (Asia/Shanghai)")
    end: str = Field("", description="custom range: last day, YYYY-MM-DD")
    area: int | None = Field(None, description="drill down into this area (district, subdistrict, community, grid)")
    unit: int | None = None
    category: int | None = Field(None, description="a major class takes in its minor classes")


def _require(request) -> None:
    if not metrics.can_view_metrics(request.auth):
        raise Http404


@router.get("/metrics", url_name="cases_metrics", response=DashboardOut,
            summary="Response, resolution, satisfaction, on-time closure and rework rates")
def metrics_get(request, q: Query[MetricsQuery]):
    _require(request)
    try:
        f = parse_filters(request.auth, request.GET)
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return metrics.metrics_dashboard(request.auth, f).as_dict()


class TopicCaseOut(Schema):
    number: str
    title: str
    state: str
    community_id: int | None
    grid_id: int | None


class TopicOut(Schema):
    rank: int
    category_id: int
    code: str
    name: str
    count: int
    months_in_top: int
    recurring: bool
    cases: list[TopicCaseOut]


class TopicsOut(Schema):
    month: str
    area: int | None
    window: list[str]
    topics: list[TopicOut]


class TopicsQuery(Schema):
    month: str = Field(..., pattern=r"^\d{4}-\d{2}$")
    area: int | None = None


@router.get("/metrics/topics", url_name="cases_metrics_topics", response=TopicsOut,
            summary="Monthly topics: the most frequent recurring problem classes of a month")
def metrics_topics_get(request, q: Query[TopicsQuery]):
    _require(request)
    try:
        metrics.period_of("month", q.month)
    except ValueError as exc:
        raise ValidationError([{"type": "value_error", "loc": ["query", "month"], "msg": "YYYY-MM"}]) from exc
    area = metrics.metrics_area(request.auth, q.area)
    result = metrics.metrics_topics(request.auth, month=q.month, area=area)
    return {"month": result.month, "area": area.pk if area else None, "window": result.window,
            "topics": [{**{k: getattr(t, k) for k in ("rank", "category_id", "code", "name", "count",
                                                        "months_in_top", "recurring")},
                        "cases": [{"number": c.number, "title": c.title, "state": c.state,
                                   "community_id": c.community_id, "grid_id": c.grid_id} for c in t.cases]}
                       for t in result.topics]}
