"""Reads of whistles, always scoped: staff of the district, the subdistrict and the community see the
whistles whose area their scope covers; a department handler sees the whistles that summon their unit.
Late check-ins and report-backs are derived here from the stored deadlines, never swept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind, Role
from jiceng.accounts.scope import scope_for, scope_q

from . import calendar
from .case_models import Case
from .whistle_models import ResponseState, Whistle, WhistleEvent, WhistleResponse, WhistleState
from .whistle_services import WHISTLERS

_STAFF_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF, Role.COMMUNITY_STAFF})


def whistle_scope_q(user) -> Q:
    scope = scope_for(user)
    q = Q(pk__in=[])
    if not scope.allows(roles.VIEW_ORG):
        return q
    if scope.roles & _STAFF_ROLES:
        q |= scope_q(user, "area_path")
    if Role.DEPARTMENT_HANDLER in scope.roles and scope.unit_ids:
        q |= Q(pk__in=WhistleResponse.objects.filter(unit_id__in=scope.unit_ids).values("whistle_id"))
    return q


def late_q(now: datetime | None = None, prefix: str = "") -> Q:
    """Responses whose running clock has passed: not checked in by the check-in deadline, or checked in
    and not reported back by the report-back deadline."""
    now = now or timezone.now()
    return (Q(**{f"{prefix}state": ResponseState.SUMMONED, f"{prefix}check_in_due__lt": now})
            | Q(**{f"{prefix}state": ResponseState.CHECKED_IN, f"{prefix}report_due__lt": now}))


def response_flags(r: WhistleResponse, now: datetime | None = None) -> dict[str, bool]:
    """What a row shows about one department's clocks, from its stored times (no query)."""
    now = now or timezone.now()
    checked = r.checked_in_at
    reported = r.reported_at
    return {
        "check_in_overdue": checked is None and now > r.check_in_due,
        "check_in_late": checked is not None and checked > r.check_in_due,
        "report_overdue": reported is None and now > r.report_due,
        "report_late": reported is not None and reported > r.report_due,
    }


@dataclass(frozen=True)
class WhistleFilters:
    state: str = ""
    overdue: bool = False
    unit: int | None = None
    emergency: bool = False


def whistle_list(user, filters: WhistleFilters | None = None) -> QuerySet:
    """The user's whistles, newest first, with their responses, units and cases prefetched (a fixed number
    of queries whatever the page length)."""
    f = filters or WhistleFilters()
    qs = Whistle.objects.filter(whistle_scope_q(user)).select_related("subdistrict")
    if f.state in WhistleState.values:
        qs = qs.filter(state=f.state)
    if f.emergency:
        qs = qs.filter(emergency=True)
    if f.unit:
        qs = qs.filter(Exists(WhistleResponse.objects.filter(whistle=OuterRef("pk"), unit_id=f.unit)))
    if f.overdue:
        qs = qs.filter(state=WhistleState.OPEN).filter(
            Exists(WhistleResponse.objects.filter(late_q(), whistle=OuterRef("pk"))))
    return qs.prefetch_related(
        Prefetch("responses", queryset=WhistleResponse.objects.select_related("unit").order_by("-role", "id")),
        Prefetch("cases", queryset=Case.objects.only("id", "number", "title").order_by("id")),
    ).order_by("-created_at", "-id")


def whistle_get(user, whistle_id: int, *, request=None) -> Whistle:
    """One whistle in the user's scope, or 404 (an out-of-scope attempt is logged as a security event)."""
    whistle = whistle_list(user).filter(pk=whistle_id).first()
    if whistle is not None:
        return whistle
    outside = Whistle.objects.filter(pk=whistle_id).first()
    if outside is not None and user.is_authenticated:
        audit_record(actor=user, kind=AuditKind.SECURITY, action="access.out_of_scope", obj=outside,
                     request=request, changes={"path": request.path if request is not None else ""})
    raise Http404


@dataclass(frozen=True)
class WhistleDetail:
    whistle: Whistle
    responses: list[WhistleResponse]
    events: list[WhistleEvent]
    can_oversee: bool  # rate and close
    my_unit_ids: frozenset[int]  # the responses this user answers for


def whistle_detail(user, whistle_id: int, *, request=None) -> WhistleDetail:
    whistle = whistle_get(user, whistle_id, request=request)
    scope = scope_for(user)
    events = list(whistle.events.select_related("actor", "response__unit").order_by("at", "id"))
    mine = scope.unit_ids if Role.DEPARTMENT_HANDLER in scope.roles else frozenset()
    return WhistleDetail(whistle, list(whistle.responses.all()), events,
                         bool(scope.roles & WHISTLERS) and scope.covers_path(whistle.area_path), frozenset(mine))


def response_get(user, whistle_id: int, response_id: int, *, request=None) -> WhistleResponse:
    whistle = whistle_get(user, whistle_id, request=request)
    response = next((r for r in whistle.responses.all() if r.pk == response_id), None)
    if response is None:
        raise Http404
    response.whistle = whistle
    return response


def case_whistles(user, case: Case) -> list[Whistle]:
    """The whistles on a case that the user may see (for the case page's panel)."""
    return list(whistle_list(user).filter(cases=case))


def may_whistle(user) -> bool:
    return bool(scope_for(user).roles & WHISTLERS)


# --- department statistics -------------------------------------------------------------------------


PERIOD_MIN, PERIOD_MAX = date(1900, 1, 1), date(9000, 12, 31)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """A period of local calendar days, start and end included, as aware instants [from, to).

    Days are kept within years 1900-9000: at the edges of the calendar (0001-01-01, 9999-12-31) the
    next day or the shift to UTC overflows, and no whistle lies outside those years, so the answer
    is the same. (The fuzzed API found ?start=0001-01-01 to be a server error.)"""
    start, end = (min(max(d, PERIOD_MIN), PERIOD_MAX) for d in (start, end))
    return (datetime.combine(start, time(0), calendar.LOCAL),
            datetime.combine(end + timedelta(days=1), time(0), calendar.LOCAL))


def department_stats(user, start: date, end: date) -> list[dict]:
    """Per department, over whistles made in the period and visible to the user: whistles received, checked
    in on time, reported back on time, ratings given and their average. One query."""
    scope = scope_for(user)
    if not scope.allows(roles.VIEW_ORG) or not (scope.roles & (_STAFF_ROLES | {Role.DEPARTMENT_HANDLER})):
        raise Http404
    lo, hi = period_bounds(start, end)
    rows = (WhistleResponse.objects
            .filter(whistle__in=Whistle.objects.filter(whistle_scope_q(user)),
                    whistle__created_at__gte=lo, whistle__created_at__lt=hi)
            .values("unit_id", "unit__name")
            .annotate(received=Count("id"),
                      lead=Count("id", filter=Q(role="lead")),
                      checked_in_on_time=Count("id", filter=Q(checked_in_at__lte=F("check_in_due"))),
                      reported_on_time=Count("id", filter=Q(reported_at__lte=F("report_due"))),
                      rated=Count("rating"),
                      average_rating=Avg("rating"))
            .order_by("unit__name", "unit_id"))
    if Role.DEPARTMENT_HANDLER in scope.roles and not scope.roles & _STAFF_ROLES:
        rows = rows.filter(unit_id__in=scope.unit_ids)
    out = []
    for r in rows:
        n = r["received"]
        out.append({**r, "unit_name": r["unit__name"],
                    "check_in_rate": r["checked_in_on_time"] / n if n else None,
                    "report_rate": r["reported_on_time"] / n if n else None,
                    "average_rating": round(r["average_rating"], 2) if r["average_rating"] is not None else None})
    return out


def pending_responses(user, limit: int = 5) -> tuple[int, list[WhistleResponse]]:
    """The responses a department handler's units still owe on open whistles (to check in or to report
    back), soonest due first: their count and the first few. Two queries; none for other roles."""
    scope = scope_for(user)
    if Role.DEPARTMENT_HANDLER not in scope.roles or not scope.unit_ids:
        return 0, []
    qs = (WhistleResponse.objects.filter(unit_id__in=scope.unit_ids, whistle__state=WhistleState.OPEN,
                                         state__in=[ResponseState.SUMMONED, ResponseState.CHECKED_IN])
          .select_related("whistle", "unit").order_by("check_in_due", "id"))
    return qs.count(), list(qs[:limit])
