"""JSON API of the case taxonomy and the working-day calendar (mounted at /api/v1/cases).

Reading needs org.view; changing needs the district administrator role; otherwise 404. Bad input
gets 422 with one message per field.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from jiceng.party.api import PageQuery, field_error, page_of, unprocessable

from . import calendar, selectors, services
from .models import CalendarOverride, CaseClass, Category, LimitUnit, RequestType, Stage, TimeLimit, Urgency
from .taxonomy import MAX_AMOUNT, LimitSpec

router = Router(tags=["cases"])


class LimitOut(Schema):
    stage: str
    urgency: str
    order: int
    step: str
    amount: int
    unit: str


class LimitIn(Schema):
    stage: Stage
    urgency: Urgency = Urgency.NORMAL
    step: str = Field("", max_length=50)
    amount: int = Field(..., ge=1, le=MAX_AMOUNT)
    unit: LimitUnit


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    depth: int
    level: str
    parent_code: str
    case_class: str
    request_type: str
    urgency_levels: list[str]
    unit_kind: str
    is_major_hazard: bool
    hazard_unit_kinds: list[str]
    active: bool
    limits: list[LimitOut]


class EffectiveLimitOut(Schema):
    stage: str
    urgency: str
    source_category_id: int
    inherited: bool
    limits: list[LimitOut]


class CategoryDetailOut(CategoryOut):
    children: list[int]
    effective_limits: list[EffectiveLimitOut]


class CategoryPage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[CategoryOut]


class CategoryFilter(PageQuery):
    q: str = ""
    case_class: CaseClass | None = None
    request_type: RequestType | None = None
    active: bool | None = None
    major_hazard: bool = False


class CategoryPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    active: bool | None = None
    urgency_levels: list[Urgency] | None = None
    unit_kind: str | None = None
    is_major_hazard: bool | None = None
    hazard_unit_kinds: list[str] | None = None
    limits: list[LimitIn] | None = Field(None, description="Replaces the category's own limits when given")


def _limit(lim: TimeLimit) -> dict:
    return {"stage": lim.stage, "urgency": lim.urgency, "order": lim.order, "step": lim.step,
            "amount": lim.amount, "unit": lim.unit}


def category_out(c: Category, parent_code: str) -> dict:
    return {
        "id": c.pk, "code": c.code, "name": c.name, "depth": c.depth, "level": c.level, "parent_code": parent_code,
        "case_class": c.case_class, "request_type": c.request_type, "urgency_levels": c.urgency_levels,
        "unit_kind": c.unit_kind, "is_major_hazard": c.is_major_hazard, "hazard_unit_kinds": c.hazard_unit_kinds,
        "active": c.active, "limits": [_limit(lim) for lim in c.limits.all()],
    }


@router.get("/categories", response=CategoryPage, summary="Case categories in tree order")
def category_list(request, filters: Query[CategoryFilter]):
    qs = selectors.category_list(
        request.auth, q=filters.q, case_class=filters.case_class or "", request_type=filters.request_type or "",
        active="" if filters.active is None else ("1" if filters.active else "0"), hazard=filters.major_hazard,
    )
    page = page_of(qs, filters, lambda c: c)
    parents = selectors.parent_codes(page["items"])
    page["items"] = [category_out(c, parents.get(c.pk, "")) for c in page["items"]]
    return page


def _detail_out(user, category_id: int) -> dict:
    info = selectors.category_detail(user, category_id)
    out = category_out(info.category, info.parent.code if info.parent else "")
    out["children"] = [c.pk for c in info.children]
    out["effective_limits"] = [
        {"stage": e["stage"], "urgency": e["urgency"], "source_category_id": e["source"].pk,
         "inherited": e["inherited"], "limits": [_limit(lim) for lim in e["limits"]]}
        for e in info.effective
    ]
    return out


class SuggestionOut(Schema):
    category_id: int
    code: str
    name: str
    score: float = Field(..., description="Text similarity of the description and the category's names, 0 to 1.25")


class SuggestQuery(Schema):
    text: str = Field(..., max_length=5000, description="The report's description as written so far")


@router.get("/category-suggestions", response=list[SuggestionOut],
            summary="The categories a report's description is probably about, best first (for the reporter to "
                    "keep or change)")
def category_suggest(request, query: Query[SuggestQuery]):
    from jiceng.accounts.scope import scope_for

    from . import workflow
    from .category_suggest import category_suggestions

    if not (scope_for(request.auth).roles & workflow.REPORTERS):
        raise Http404
    return [{"category_id": s.category.pk, "code": s.category.code, "name": s.category.name, "score": s.score}
            for s in category_suggestions(query.text)]


@router.get("/categories/{category_id}", response=CategoryDetailOut, summary="A category with its time limits")
def category_detail(request, category_id: int):
    return _detail_out(request.auth, category_id)


@router.patch("/categories/{category_id}", response=CategoryDetailOut, summary="Change a category")
def category_update(request, category_id: int, payload: CategoryPatch):
    if not services.can_edit_taxonomy(request.auth):
        raise Http404
    category = selectors.category_get(request.auth, category_id)
    sent = payload.model_dump(exclude_unset=True)
    limits = None
    if payload.limits is not None:
        limits = [LimitSpec(stage=lim.stage, urgency=lim.urgency, amount=lim.amount, unit=lim.unit,
                            step=lim.step.strip()) for lim in payload.limits]
    try:
        services.category_update(
            actor=request.auth,
            category=category,
            name=sent.get("name") or category.name,
            active=category.active if sent.get("active") is None else sent["active"],
            urgency_levels=[str(u) for u in sent["urgency_levels"]] if sent.get("urgency_levels") is not None
            else category.urgency_levels,
            unit_kind=category.unit_kind if sent.get("unit_kind") is None else sent["unit_kind"],
            is_major_hazard=category.is_major_hazard if sent.get("is_major_hazard") is None
            else sent["is_major_hazard"],
            hazard_unit_kinds=category.hazard_unit_kinds if sent.get("hazard_unit_kinds") is None
            else sent["hazard_unit_kinds"],
            limits=limits,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return _detail_out(request.auth, category_id)


# --- deadlines and the calendar ----------------------------------------------------------------------------


class DeadlineIn(Schema):
    start: datetime = Field(..., description="When the stage starts; without a zone, Asia/Shanghai time")
    category_id: int
    stage: Stage
    urgency: Urgency = Urgency.NORMAL


class StepOut(Schema):
    step: str
    amount: int
    unit: str
    deadline: datetime


class DeadlineOut(Schema):
    category_id: int
    stage: str
    urgency: str
    start: datetime
    deadline: datetime | None
    source_category_id: int | None
    steps: list[StepOut]


@router.post("/deadline", response=DeadlineOut, summary="Preview when a stage of a case falls due")
def deadline(request, payload: DeadlineIn):
    start = payload.start if timezone.is_aware(payload.start) else timezone.make_aware(payload.start)
    result = selectors.deadline_preview(request.auth, category_id=payload.category_id, stage=payload.stage,
                                        urgency=payload.urgency, start=start)
    return {
        "category_id": result.category.pk, "stage": result.stage, "urgency": result.urgency, "start": start,
        "deadline": result.deadline, "source_category_id": result.source.pk if result.source else None,
        "steps": [{"step": s.step, "amount": s.amount, "unit": s.unit, "deadline": s.deadline}
                  for s in result.steps],
    }


class DayOut(Schema):
    date: date
    working: bool
    holiday: str
    makeup: bool
    override: bool
    note: str


class YearOut(Schema):
    year: int
    covered: bool
    warning: str
    working_days: int
    days: list[DayOut]


@router.get("/calendar/{int:year}", response=YearOut, summary="Every day of a year: working or not")
def calendar_year(request, year: int):
    selectors.require_view(request.auth)
    if not 2000 <= year <= 2100:
        raise Http404
    days = calendar.year_days(year)
    return {
        "year": year,
        "covered": calendar.package_covers(year),
        "warning": calendar.calendar_coverage_warning([year]),
        "working_days": sum(1 for d in days if d["working"]),
        "days": [{"date": d["date"], "working": d["working"], "holiday": d["holiday"],
                  "makeup": d["makeup"], "override": d["override"] is not None,
                  "note": d["override"].note if d["override"] else ""}
                 for d in days],
    }


class OverrideIn(Schema):
    date: date
    is_working_day: bool
    note: str = Field("", max_length=100)


class OverrideOut(Schema):
    date: date
    is_working_day: bool
    note: str


def _override_out(o: CalendarOverride) -> dict:
    return {"date": o.date, "is_working_day": o.is_working_day, "note": o.note}


@router.post("/calendar/overrides", response={201: OverrideOut}, summary="Declare a day working or off")
def override_set(request, payload: OverrideIn):
    if not services.can_edit_taxonomy(request.auth):
        raise Http404
    if not 2000 <= payload.date.year <= 2100:
        raise field_error("date", "The year must be between 2000 and 2100.")
    try:
        override = services.calendar_override_set(actor=request.auth, day=payload.date,
                                                  is_working_day=payload.is_working_day, note=payload.note,
                                                  request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return 201, _override_out(override)


@router.delete("/calendar/overrides/{day}", response={204: None}, summary="Remove a day's override")
def override_delete(request, day: date):
    if not services.can_edit_taxonomy(request.auth):
        raise Http404
    try:
        removed = services.calendar_override_delete(actor=request.auth, day=day, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    if not removed:
        raise Http404
    return 204, None


# Case endpoints register on this router (kept in their own module).
# hotline_api: the 12345 push endpoint; merge_api: duplicates and merges.
from . import (  # noqa: E402, F401
    case_api,
    followup_api,
    hotline_api,
    merge_api,
    metrics_api,
    supervision_api,
    suspension_api,  # noqa: E402, F401  (suspension with approval)
)
