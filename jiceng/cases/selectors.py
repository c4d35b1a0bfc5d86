"""Reads of the taxonomy and the calendar.

The taxonomy is district-wide reference data: every staff role that may view the organization
(org.view) reads all of it; without that permission it reads as not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for

from .calendar import WorkingCalendar
from .models import Category, TimeLimit, Urgency


def require_view(user) -> None:
    if not scope_for(user).allows(roles.VIEW_ORG):
        raise Http404


def category_list(user, *, q: str = "", case_class: str = "", request_type: str = "", active: str = "",
                  hazard: bool = False) -> QuerySet[Category]:
    """Categories in tree order (parents before their children), with their own limits prefetched:
    two queries whatever the length. A filter keeps the matching categories and their major classes."""
    require_view(user)
    qs = Category.objects.all()
    cond = Q()
    if q:
        cond &= Q(name__icontains=q) | Q(code__icontains=q)
    if case_class:
        cond &= Q(case_class=case_class)
    if request_type:
        cond &= Q(request_type=request_type)
    if active in ("1", "0"):
        cond &= Q(active=active == "1")
    if hazard:
        cond &= Q(is_major_hazard=True)
    if cond:
        qs = qs.filter(cond)
    return qs.order_by("path").prefetch_related(Prefetch("limits", queryset=TimeLimit.objects.order_by(
        "stage", "urgency", "order")))


def parent_codes(categories) -> dict[int, str]:
    """Each category's parent code, for categories whose parents may not be in the list: one query."""
    categories = list(categories)
    paths = {c.path[: -Category.steplen] for c in categories if c.depth > 1}
    by_path = dict(Category.objects.filter(path__in=paths).values_list("path", "code")) if paths else {}
    return {c.pk: by_path.get(c.path[: -Category.steplen], "") for c in categories if c.depth > 1}


@dataclass
class CategoryDetail:
    category: Category
    parent: Category | None
    children: list[Category]
    own_limits: list[TimeLimit]
    # Every (stage, urgency) with the limits that apply and the category they come from.
    effective: list[dict]


def category_get(user, category_id: int) -> Category:
    require_view(user)
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise Http404
    return category


def _ancestors_and_self(category: Category) -> list[Category]:
    """The category and its major class, nearest first: one query."""
    paths = [category.path[:i] for i in range(Category.steplen, len(category.path) + 1, Category.steplen)]
    found = {c.path: c for c in Category.objects.filter(path__in=paths).prefetch_related("limits")}
    return [found[p] for p in reversed(paths) if p in found]


def _pick(chain: list[Category], stage: str, urgency: str) -> tuple[list[TimeLimit], Category | None]:
    """The limits of `stage` at `urgency`: the category's own, else its major class's; a level with
    no limit of its own at that urgency falls back to the normal one."""
    for wanted in dict.fromkeys([urgency, Urgency.NORMAL]):
        for c in chain:
            rows = sorted((lim for lim in c.limits.all() if lim.stage == stage and lim.urgency == wanted),
                          key=lambda lim: lim.order)
            if rows:
                return rows, c
    return [], None


def category_detail(user, category_id: int) -> CategoryDetail:
    from .models import Stage

    category = category_get(user, category_id)
    chain = _ancestors_and_self(category)
    category = chain[0]
    parent = chain[1] if len(chain) > 1 else None
    children = list(Category.objects.get_children(category)) if category.depth == 1 else []
    effective = []
    for stage in Stage.values:
        for urgency in Urgency.values:
            rows, source = _pick(chain, stage, urgency)
            if rows:
                effective.append({"stage": stage, "urgency": urgency, "limits": rows, "source": source,
                                  "inherited": source is not None and source.pk != category.pk,
                                  "fallback": rows[0].urgency != urgency})
    return CategoryDetail(category, parent, children, list(category.limits.all()), effective)


@dataclass
class StepDeadline:
    step: str
    amount: int
    unit: str
    deadline: datetime


@dataclass
class DeadlinePreview:
    category: Category
    stage: str
    urgency: str
    deadline: datetime | None
    steps: list[StepDeadline]
    source: Category | None


def deadline_preview(user, *, category_id: int, stage: str, urgency: str, start: datetime) -> DeadlinePreview:
    """When `stage` of a case of this category at this urgency, starting at `start`, falls due.
    Staged limits run one after the other: each step starts when the previous one falls due."""
    category = category_get(user, category_id)
    rows, source = _pick(_ancestors_and_self(category), stage, urgency)
    cal = WorkingCalendar()
    at = start
    steps = []
    for lim in rows:
        at = cal.deadline_add(at, lim.amount, lim.unit)
        steps.append(StepDeadline(lim.step, lim.amount, lim.unit, at))
    return DeadlinePreview(category, stage, urgency, at if steps else None, steps, source)
