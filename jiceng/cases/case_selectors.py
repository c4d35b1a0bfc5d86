"""Reads of cases, always through the user's scope: area roles see the cases placed in their area;
a department handler sees the cases dispatched to its unit; unplaced triage cases are the district
administrator's. Overdue and near-due are derived here from the stored deadlines, never swept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import BooleanField, DateTimeField, ExpressionWrapper, F, Q, QuerySet, Value, When
from django.db.models import Case as Switch
from django.http import Http404
from django.utils import timezone

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind, Role
from jiceng.accounts.scope import scope_for, scope_q

from . import workflow
from .case_models import Case, CaseEvent, CaseState, DispatchCatalogue
from .whistle_models import Whistle

_AREA_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER})
# Which deadline runs in each state; suspended and finished cases have none.
_DUE_BY_STATE = {
    CaseState.TRIAGE: "dispatch_due",
    CaseState.REGISTERED: "dispatch_due",
    CaseState.RETURNED: "dispatch_due",
    CaseState.DISPATCHED: "handle_due",
    CaseState.ACCEPTED: "handle_due",
    CaseState.HANDLED: "verify_due",
}


def case_scope_q(user) -> Q:
    scope = scope_for(user)
    if not scope.allows(roles.VIEW_ORG):
        return Q(pk__in=[])
    q = Q(pk__in=[])
    if scope.roles & _AREA_ROLES:
        q |= scope_q(user, "area_path")
        if Role.DISTRICT_ADMIN in scope.roles:
            q |= Q(area_path="")
    if Role.DEPARTMENT_HANDLER in scope.roles and scope.unit_ids:
        q |= Q(unit_id__in=scope.unit_ids)
        # A department summoned by a whistle reads the cases it was summoned on.
        q |= Q(pk__in=Whistle.cases.through.objects.filter(
            whistle__responses__unit_id__in=scope.unit_ids).values("case_id"))
    return q


def with_due(qs: QuerySet) -> QuerySet:
    """Annotate the running stage's deadline (`current_due`) and whether it has passed (`overdue`)."""
    now = timezone.now()
    current = Switch(*[When(state=s, then=F(f)) for s, f in _DUE_BY_STATE.items()],
                     default=Value(None, output_field=DateTimeField()), output_field=DateTimeField())
    return qs.annotate(current_due=current).annotate(
        overdue=ExpressionWrapper(Q(current_due__lt=now), output_field=BooleanField()))


@dataclass(frozen=True)
class InboxFilters:
    state: str = ""
    category: int | None = None
    channel: str = ""
    community: int | None = None
    overdue: bool = False
    near_due: bool = False
    q: str = ""
    mine: bool = False  # the tasks the user's unit or grid must work on now


_WORKING = (CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.SUSPENDED)


def _mine_q(user) -> Q:
    scope = scope_for(user)
    q = Q(pk__in=[])
    if scope.unit_ids:
        q |= Q(unit_id__in=scope.unit_ids)
    if Role.GRID_WORKER in scope.roles:
        q |= Q(unit__isnull=True) & scope_q(user, "area_path")
    return q & Q(state__in=_WORKING)


def case_inbox(user, filters: InboxFilters | None = None) -> QuerySet:
    """The user's cases, newest first, with everything a list row shows joined in (no query per row)."""
    f = filters or InboxFilters()
    qs = with_due(Case.objects.filter(case_scope_q(user))).select_related(
        "category", "unit", "community", "grid", "suggested_unit")
    if f.state:
        qs = qs.filter(state=f.state)
    if f.category:
        # A major class takes in its minor classes.
        from .models import Category

        path = Category.objects.filter(pk=f.category).values_list("path", flat=True).first() or "-"
        qs = qs.filter(category__path__startswith=path)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.community:
        qs = qs.filter(community_id=f.community)
    now = timezone.now()
    if f.overdue or f.near_due:
        # Only a running stage has a deadline (current_due is NULL otherwise); saying so lets the
        # database seek the (state, area_path) index instead of computing the deadline of every
        # case in scope: 6.9 s -> 0.06 s for the district's overdue page on SQLite at 300,000 cases.
        qs = qs.filter(state__in=list(_DUE_BY_STATE))
    if f.overdue:
        qs = qs.filter(current_due__lt=now)
    if f.near_due:
        qs = qs.filter(current_due__gte=now, current_due__lt=now + timedelta(hours=workflow.NEAR_DUE_HOURS))
    if f.mine:
        qs = qs.filter(_mine_q(user))
    if f.q:
        qs = qs.filter(Q(number__icontains=f.q) | Q(title__icontains=f.q) | Q(source_ref=f.q))
    return qs.order_by("-created_at", "-id")


def inbox_rows(ids: list[int]) -> list[Case]:
    """The rows of one inbox page, in the order of `ids`, with what a row shows joined in. The page
    of ids is taken first (paginate over `case_inbox(...).values_list("pk", flat=True)`): sorting a
    district's year of ids on the covering (area_path, created_at, id) index is cheap, sorting the
    whole joined rows is not (docs/PERFORMANCE.md, the case inbox)."""
    found = {c.pk: c for c in inbox_rows_query(ids)}
    return [found[pk] for pk in ids if pk in found]


def inbox_rows_query(ids: list[int]) -> QuerySet:
    # A row shows its community's and grid's names, never their boundaries (large JSON polygons).
    return with_due(Case.objects.filter(pk__in=ids)).select_related(
        "category", "unit", "community", "grid", "suggested_unit").defer("community__geometry", "grid__geometry")


def case_get(user, number: str, *, request=None) -> Case:
    """One case in the user's scope, or 404 (an out-of-scope attempt is logged as a security event)."""
    case = with_due(Case.objects.filter(case_scope_q(user), number=number)).select_related(
        "category", "unit", "suggested_unit", "building", "district", "subdistrict", "community", "grid",
        "hotline_ticket").first()
    if case is not None:
        return case
    outside = Case.objects.filter(number=number).first()
    if outside is not None and user.is_authenticated:
        audit_record(actor=user, kind=AuditKind.SECURITY, action="access.out_of_scope", obj=outside,
                     request=request, changes={"path": request.path if request is not None else ""})
    raise Http404


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    events: list[CaseEvent]
    actions: list[str]
    handler_ids: frozenset[int]


def case_detail(user, number: str, *, request=None) -> CaseDetail:
    case = case_get(user, number, request=request)
    events = list(case.events.select_related("actor").order_by("seq"))
    actions = workflow.allowed_actions(scope_for(user), case)
    handlers = frozenset(e.actor_id for e in events if e.transition == "handle")
    if user.pk in handlers:
        actions = [a for a in actions if a not in workflow.NOT_BY_HANDLER]
    return CaseDetail(case, events, actions, handlers)


def hotline_due(case: Case):
    """The city platform's own deadline of a 12345 work order (its handle deadline once dispatched), or
    None; read from the ticket case_get joined in."""
    try:
        return case.hotline_ticket.due_at
    except Case.hotline_ticket.RelatedObjectDoesNotExist:
        return None


def is_near_due(case: Case) -> bool:
    due = getattr(case, "current_due", None)
    now = timezone.now()
    return due is not None and now <= due < now + timedelta(hours=workflow.NEAR_DUE_HOURS)


def catalogue_list(user) -> QuerySet:
    """The dispatch catalogue entries on areas in the user's scope (readable by staff)."""
    if not scope_for(user).allows(roles.VIEW_ORG) or not (scope_for(user).roles & _AREA_ROLES):
        raise Http404
    return (DispatchCatalogue.objects.filter(scope_q(user, "area__path"))
            .select_related("category", "area", "unit").order_by("category__code", "area__path"))


def can_edit_catalogue(user) -> bool:
    return Role.DISTRICT_ADMIN in scope_for(user).roles


def dispatch_units(user) -> QuerySet:
    """Units a dispatcher may send cases to: departments (they serve across the district) and the
    units registered in the user's area."""
    from jiceng.units.models import Unit, UnitKind

    return Unit.objects.filter(Q(kind=UnitKind.DEPARTMENT) | scope_q(user, "home_area__path")).order_by("kind", "name")


def grids_in_scope(user) -> QuerySet:
    """Grids a triage case may be placed in."""
    from jiceng.areas.models import Area

    return Area.objects.filter(scope_q(user, "path"), kind="grid").order_by("path")


def communities_in_scope(user) -> QuerySet:
    from jiceng.areas.models import Area

    if not (scope_for(user).roles & _AREA_ROLES):
        return Area.objects.none()
    # For the inbox's filter list: names only, not the boundary polygons.
    return Area.objects.filter(scope_q(user, "path"), kind="community").defer("geometry").order_by("path")


def building_by_code(user, code: str):
    """A building in the user's scope by its code (typed, or read from its QR poster), or None."""
    from jiceng.areas.models import Area

    return Area.objects.filter(scope_q(user, "path"), kind="building", code=code.strip()).first()
