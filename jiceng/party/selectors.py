"""Reads of the Party organization tree, scoped to the user.

Visibility is by the organization's anchoring area (`area_path`) against the user's scope, and needs
`org.view`. The tree shown to a user starts at the visible organizations whose parent they cannot see.
Re-election due is derived at query time from `term_end` (DESIGN.md rule 5: derive, don't sweep).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Concat, Length, Substr
from django.http import Http404
from django.utils import timezone

from jiceng.accounts import roles
from jiceng.accounts.scope import get_in_scope_or_404, scope_for, scope_q

from .models import Member, PartyOrg, Position, PositionTitle

DUE_WINDOW_DAYS = 90


class DueState:
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    CURRENT = "current"


def visible_orgs(user) -> QuerySet[PartyOrg]:
    """Every Party organization the user may see (none without `org.view`)."""
    if not scope_for(user).allows(roles.VIEW_ORG):
        return PartyOrg.objects.none()
    return PartyOrg.objects.filter(scope_q(user, "area_path"))


def org_get(user, org_id: int, request=None) -> PartyOrg:
    """One organization in scope, or 404 (an out-of-scope attempt is logged as a security event)."""
    if not scope_for(user).allows(roles.VIEW_ORG):
        raise Http404
    return get_in_scope_or_404(
        user, PartyOrg.objects.select_related("area", "unit"), path_field="area_path", request=request, pk=org_id
    )


def with_tree_info(user, qs: QuerySet[PartyOrg]) -> QuerySet[PartyOrg]:
    """Annotate the number of visible children and of direct members, in the same query.

    Children are found as a range on the indexed `path` (parent path + "0000" … + "ZZZZ", treebeard's
    alphabet) at the next depth, so each count is an index range scan, not a scan of the table."""
    steplen = PartyOrg.steplen
    children = (
        PartyOrg.objects.filter(
            scope_q(user, "area_path"),
            depth=OuterRef("depth") + 1,
            path__gte=Concat(OuterRef("path"), Value("0" * steplen)),
            path__lte=Concat(OuterRef("path"), Value("Z" * steplen)),
        )
        .order_by()
        .values("depth")
        .annotate(n=Count("pk"))
        .values("n")
    )
    members = Member.objects.filter(org=OuterRef("pk")).order_by().values("org").annotate(n=Count("pk")).values("n")
    return qs.annotate(visible_children=Subquery(children), direct_members=Subquery(members)).select_related("area")


def org_roots(user) -> QuerySet[PartyOrg]:
    """The tops of the user's tree: visible organizations whose parent the user cannot see."""
    steplen = PartyOrg.steplen
    visible = visible_orgs(user)
    parent_visible = visible_orgs(user).filter(path=OuterRef("parent_path"))
    roots = (
        visible.annotate(parent_path=Substr("path", 1, Length("path") - steplen))
        .annotate(parent_visible=Exists(parent_visible))
        .filter(parent_visible=False)
        .order_by("path")
    )
    return with_tree_info(user, roots)


def org_children(user, org: PartyOrg) -> QuerySet[PartyOrg]:
    """The visible direct children of a (visible) organization."""
    qs = visible_orgs(user).filter(path__startswith=org.path, depth=org.depth + 1).order_by("path")
    return with_tree_info(user, qs)


def org_search(user, *, kind: str = "", q: str = "") -> QuerySet[PartyOrg]:
    qs = visible_orgs(user)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs.select_related("area").order_by("path")


def due_annotation(today: date | None = None) -> Case:
    """`due_state` of a position: overdue once its term has ended, due soon within 90 days."""
    today = today or timezone.localdate()
    return Case(
        When(term_end__lt=today, then=Value(DueState.OVERDUE)),
        When(term_end__lte=today + timedelta(days=DUE_WINDOW_DAYS), then=Value(DueState.DUE_SOON)),
        default=Value(DueState.CURRENT),
        output_field=CharField(),
    )


# Posts listed by rank, as an organization's roster reads: secretary first.
TITLE_RANK = Case(
    *(When(title=t, then=Value(i)) for i, t in enumerate(PositionTitle.values)),
    default=Value(len(PositionTitle.values)),
    output_field=IntegerField(),
)


def org_positions(user, org: PartyOrg, *, include_ended: bool = False) -> QuerySet[Position]:
    """Posts in an organization (visible to the caller already), with holder, unit and due state."""
    qs = Position.objects.filter(org=org)
    if not include_ended:
        qs = qs.filter(ended_on__isnull=True)
    return (
        qs.select_related("person", "source_unit")
        .annotate(due_state=due_annotation(), title_rank=TITLE_RANK)
        .order_by(F("ended_on").asc(nulls_first=True), "title_rank", "is_part_time", "term_start", "pk")
    )


@dataclass
class OrgDetail:
    org: PartyOrg
    ancestors: list[PartyOrg]  # visible ones only, from the top
    positions: list[Position]
    part_time: list[Position]
    children: list[PartyOrg]
    member_count: int  # of the whole visible subtree
    reelection_due: date | None  # the earliest term end among current posts
    due_state: str | None


def org_detail(user, org_id: int, request=None) -> OrgDetail:
    org = org_get(user, org_id, request=request)
    ancestor_paths = [org.path[: PartyOrg.steplen * d] for d in range(1, org.depth)]
    ancestors = list(visible_orgs(user).filter(path__in=ancestor_paths).order_by("depth")) if ancestor_paths else []
    positions = list(org_positions(user, org))
    children = list(org_children(user, org))
    member_count = org_members(user, org).count()
    due = min((p.term_end for p in positions), default=None)
    due_state = None
    if due is not None:
        states = {p.due_state for p in positions}
        due_state = next((s for s in (DueState.OVERDUE, DueState.DUE_SOON, DueState.CURRENT) if s in states), None)
    return OrgDetail(
        org=org,
        ancestors=ancestors,
        positions=positions,
        part_time=[p for p in positions if p.is_part_time],
        children=children,
        member_count=member_count,
        reelection_due=due,
        due_state=due_state,
    )


def org_members(user, org: PartyOrg, *, category: str = "", status: str = "", q: str = "") -> QuerySet[Member]:
    """Members of the organization and every organization under it, within the user's scope.

    Only masked personal data travels with them (the person's name and masked phone)."""
    qs = Member.objects.filter(scope_q(user, "area_path"), org__path__startswith=org.path)
    if category:
        qs = qs.filter(category=category)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(person__name__icontains=q)
    return (
        qs.select_related("org")
        .only(
            "id",
            "category",
            "status",
            "joined_on",
            "full_on",
            "org__id",
            "org__name",
            "org__code",
            "person__id",
            "person__name",
            "person__gender",
            "person__phone_masked",
        )
        .select_related("person")
        .order_by("org__path", "person__name", "pk")
    )


def positions_due(user, *, state: str = "", kind: str = "", today: date | None = None) -> QuerySet[Position]:
    """Current posts in scope whose re-election is overdue or due within 90 days, soonest first."""
    today = today or timezone.localdate()
    if not scope_for(user).allows(roles.VIEW_ORG):
        return Position.objects.none()
    qs = Position.objects.filter(
        scope_q(user, "org__area_path"),
        ended_on__isnull=True,
        term_end__lte=today + timedelta(days=DUE_WINDOW_DAYS),
    ).annotate(due_state=due_annotation(today))
    if state in (DueState.OVERDUE, DueState.DUE_SOON):
        qs = qs.filter(due_state=state)
    if kind:
        qs = qs.filter(org__kind=kind)
    return qs.select_related("org", "person", "source_unit").order_by("term_end", "org__path", "pk")


def person_positions(user, person) -> QuerySet[Position]:
    """A person's Party posts in organizations the user may see (for the person's page)."""
    return (
        Position.objects.filter(person=person, org__in=visible_orgs(user))
        .select_related("org", "source_unit")
        .annotate(due_state=due_annotation())
        .order_by(F("ended_on").asc(nulls_first=True), "-term_start")
    )
