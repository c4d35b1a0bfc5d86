"""Reads for supervision, scoped like every case read and derived at query time from stored dates:

- near due: the running stage's deadline falls within workflow.NEAR_DUE_HOURS from now;
- overdue: that deadline has passed. A suspended or finished case has no running deadline, so it is
  neither (case_selectors.with_due);
- an order is open until replied or escalated, and late when open past its reply date.

Every list runs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for

from . import workflow
from .case_models import Case
from .case_selectors import case_scope_q, with_due
from .supervision_models import SupervisionLevel, SupervisionOrder
from .supervision_services import ROLE_LEVEL

DUE_KINDS = ("overdue", "near_due")
ORDER_STATES = ("open", "late", "replied", "all")


def can_view(user) -> bool:
    scope = scope_for(user)
    return scope.allows(roles.VIEW_ORG)


def can_supervise(user) -> bool:
    return bool(scope_for(user).roles & set(ROLE_LEVEL))


def _open_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}replied_at__isnull": True, f"{prefix}escalation__isnull": True})


def due_cases(user, *, kind: str = "overdue", community: int | None = None, q: str = "",
              now: datetime | None = None) -> QuerySet[Case]:
    """The user's cases that are overdue or near due at `now`, most urgent first, with the number of
    open urging orders on each (one query for the page, one for its count)."""
    if not can_view(user):
        raise Http404
    now = now or timezone.now()
    open_orders = (SupervisionOrder.objects.filter(_open_q(), case=OuterRef("pk")).order_by()
                   .values("case").annotate(n=Count("pk")).values("n"))
    qs = (with_due(Case.objects.filter(case_scope_q(user), merged_into__isnull=True))
          .select_related("category", "unit", "community", "grid")
          .annotate(open_orders=Coalesce(Subquery(open_orders), 0)))
    if kind == "near_due":
        qs = qs.filter(current_due__gte=now, current_due__lt=now + timedelta(hours=workflow.NEAR_DUE_HOURS))
    else:
        qs = qs.filter(current_due__lt=now)
    if community:
        qs = qs.filter(community_id=community)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q))
    return qs.order_by("current_due", "id")


def orders(user, *, state: str = "open", level: str = "", community: int | None = None,
           now: datetime | None = None) -> QuerySet[SupervisionOrder]:
    """Urging orders on the user's cases, each with its case, people and escalation joined in."""
    if not can_view(user):
        raise Http404
    now = now or timezone.now()
    qs = (SupervisionOrder.objects.filter(case__in=Case.objects.filter(case_scope_q(user)).values("pk"))
          .select_related("case", "case__community", "case__unit", "issued_by", "replied_by", "escalation")
          .annotate(late=ExpressionWrapper(_open_q() & Q(reply_due__lt=now), output_field=BooleanField())))
    if state == "open":
        qs = qs.filter(_open_q())
    elif state == "late":
        qs = qs.filter(_open_q(), reply_due__lt=now)
    elif state == "replied":
        qs = qs.filter(replied_at__isnull=False)
    if level in SupervisionLevel.values:
        qs = qs.filter(level=level)
    if community:
        qs = qs.filter(case__community_id=community)
    return qs.order_by("reply_due", "id")


@dataclass(frozen=True)
class Summary:
    overdue: int
    near_due: int
    open_by_level: dict[str, int]
    late: int


def summary(user, *, now: datetime | None = None) -> Summary:
    """The workbench's counters: three queries whatever the size of the area."""
    now = now or timezone.now()
    overdue = due_cases(user, kind="overdue", now=now).count()
    near = due_cases(user, kind="near_due", now=now).count()
    agg = orders(user, state="open", now=now).order_by().aggregate(
        late=Count("pk", filter=Q(reply_due__lt=now)),
        **{lvl: Count("pk", filter=Q(level=lvl)) for lvl in SupervisionLevel.values})
    return Summary(overdue=overdue, near_due=near, late=agg.pop("late"), open_by_level=agg)


def case_orders(case: Case) -> list[SupervisionOrder]:
    """The orders on one case (already fetched in the user's scope), oldest first."""
    return list(case.supervision_orders.select_related("issued_by", "replied_by", "escalation")
                .order_by("issued_at", "id"))


def order_get(user, order_id: int) -> SupervisionOrder:
    order = orders(user, state="all").filter(pk=order_id).first()
    if order is None:
        raise Http404
    return order
