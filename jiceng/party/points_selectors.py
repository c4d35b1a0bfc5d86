"""Reads of Party members' points, scoped to the user; the rulebook in force looked up in memory.

Rules, stated once:
- An event counts for the year of its date (Asia/Shanghai calendar): held on 31 December it counts for that
  year, under that year's rules and towards that year's caps; on 1 January, the next year's.
- The rulebook in force for year Y is the highest version of the latest year on or before Y. Editing
  makes a new version; entries keep the version they were posted under.
- A member's total for a year is the sum of their entries of that year. Ranks are competition ranks
  (1, 2, 2, 4) by total, highest first, within the member's branch (a Party group's members count with
  the branch above it) and within the community of the member's organization.

Reading points needs `org.view` and `people.view` over the member's organization (names with points); a
member reads their own through `self.view`. The ranking is one statement over members with each one's total
of the year, then organization and community names: three queries whatever the size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from jiceng.accounts import roles
from jiceng.accounts.models import Role
from jiceng.accounts.scope import get_in_scope_or_404, scope_for, scope_q
from jiceng.areas.models import Area, AreaKind

from . import dues_selectors
from .models import Member, OrgKind, PartyOrg
from .points_models import AwardState, PointsAward, PointsEntry, PointsItem, PointsRulebook

ZERO = Decimal("0.00")
COMMUNITY_PATH_LEN = Area.steplen * 3


def this_year() -> int:
    return timezone.localdate().year


# --- the rulebook --------------------------------------------------------------------------------------


class Rules:
    """One rulebook version with its categories, items and class rules (three queries, or none when
    prefetched), looked up in memory."""

    def __init__(self, rulebook: PointsRulebook):
        self.rulebook = rulebook
        self.categories = list(rulebook.categories.all())
        self.items = sorted(rulebook.items.all(), key=lambda i: (i.category.order, i.order, i.pk))
        self._by_code = {i.code: i for i in self.items}
        self._class: dict[tuple[int | None, str], tuple[Decimal, bool]] = {
            (r.item_id, r.member_category): (r.weight, r.excluded) for r in rulebook.class_rules.all()
        }

    @classmethod
    def for_year(cls, year: int) -> Rules | None:
        rulebook = rulebook_in_force(year)
        return cls(rulebook) if rulebook is not None else None

    def item(self, code: str) -> PointsItem | None:
        return self._by_code.get(code)

    def item_for_source(self, source_kind: str, detail: str = "") -> PointsItem | None:
        """The first active item posted from this kind of event (and detail, e.g. the meeting kind)."""
        return next((i for i in self.items if i.matches(source_kind, detail)), None)

    def weight(self, item: PointsItem, member_category: str) -> tuple[Decimal, bool]:
        """(weight, excluded) for a member class on an item: the item's own rule, else the rulebook's."""
        found = self._class.get((item.pk, member_category)) or self._class.get((None, member_category))
        return found if found is not None else (Decimal(1), False)

    def class_rule(self, item_id: int | None, member_category: str) -> tuple[Decimal, bool] | None:
        return self._class.get((item_id, member_category))


def _rulebooks() -> QuerySet[PointsRulebook]:
    return PointsRulebook.objects.prefetch_related("categories", "items__category", "class_rules")


def rulebook_in_force(year: int) -> PointsRulebook | None:
    return _rulebooks().filter(year__lte=year).order_by("-year", "-version").first()


def rulebook_versions() -> list[PointsRulebook]:
    return list(PointsRulebook.objects.select_related("created_by").order_by("-year", "-version"))


def rulebook_get(rulebook_id: int) -> PointsRulebook:
    rulebook = _rulebooks().filter(pk=rulebook_id).first()
    if rulebook is None:
        raise Http404
    return rulebook


def can_edit_rules(user) -> bool:
    """The rulebook is the district's: only a district administrator edits it."""
    return Role.DISTRICT_ADMIN in scope_for(user).roles


# --- scope -------------------------------------------------------------------------------------------------


# Points are read and awarded under the same rights as dues: members' records for staff with org.view
# and people.view, changes by org.change over the member's place. One definition serves both.
can_view_points = dues_selectors.can_view_dues
can_award_for = dues_selectors.can_record_for
visible_points_members = dues_selectors.visible_dues_members


def points_member_get(user, member_id: int, request=None) -> Member:
    if not can_view_points(user):
        raise Http404
    return get_in_scope_or_404(user, Member.objects.select_related("person", "org"), path_field="area_path",
                               request=request, pk=member_id)


def points_member_for_self(user) -> Member:
    """The signed-in Party member's own member record, or 404."""
    if not scope_for(user).allows(roles.VIEW_SELF) or not getattr(user, "person_id", None):
        raise Http404
    member = Member.objects.select_related("person", "org").filter(person_id=user.person_id).first()
    if member is None:
        raise Http404
    return member


def points_org_get(user, org_id: int, request=None) -> PartyOrg:
    if not can_view_points(user):
        raise Http404
    return get_in_scope_or_404(user, PartyOrg.objects.all(), path_field="area_path", request=request, pk=org_id)


# --- one member's ledger -----------------------------------------------------------------------------------


@dataclass
class CategoryTotal:
    code: str
    name: str
    points: Decimal = ZERO


@dataclass
class MemberLedger:
    member: Member
    year: int
    entries: list[PointsEntry]
    total: Decimal
    categories: list[CategoryTotal]
    awards: list[PointsAward] = field(default_factory=list)  # proposals not yet decided


def member_ledger(member: Member, year: int) -> MemberLedger:
    """A member's entries of a year, newest first, with the total and the total per category (the member
    was fetched in scope by the caller). Three queries."""
    entries = list(
        PointsEntry.objects.filter(member=member, year=year)
        .select_related("item__category", "approved_by", "rulebook")
        .order_by("-occurred_on", "-pk")
    )
    by_category: dict[str, CategoryTotal] = {}
    total = ZERO
    for e in entries:
        cat = e.item.category
        row = by_category.setdefault(cat.code, CategoryTotal(cat.code, cat.name))
        row.points += e.points
        total += e.points
    pending = list(
        PointsAward.objects.filter(member=member, state=AwardState.PROPOSED).select_related("item", "proposed_by")
        .order_by("-proposed_at")
    )
    return MemberLedger(member=member, year=year, entries=entries, total=total,
                        categories=list(by_category.values()), awards=pending)


# --- awards waiting for a decision -------------------------------------------------------------------------


def pending_awards(user) -> QuerySet[PointsAward]:
    """Proposed awards and deductions the user could decide (in scope, may change organizations)."""
    scope = scope_for(user)
    if not (scope.allows(roles.CHANGE_ORG) and scope.allows(roles.VIEW_PEOPLE)):
        return PointsAward.objects.none()
    return (
        PointsAward.objects.filter(scope_q(user, "area_path"), state=AwardState.PROPOSED)
        .select_related("member__person", "member__org", "item__category", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def award_get(user, award_id: int, request=None) -> PointsAward:
    if not can_view_points(user):
        raise Http404
    return get_in_scope_or_404(
        user, PointsAward.objects.select_related("member__person", "member__org", "item"), path_field="area_path",
        request=request, pk=award_id,
    )


# --- totals and rankings -----------------------------------------------------------------------------------


@dataclass
class RankedMember:
    member_id: int
    name: str
    org_id: int
    org_name: str
    branch_path: str
    community_path: str
    total: Decimal
    rank_in_branch: int = 0
    rank_in_community: int = 0
    branch_name: str = ""
    community_name: str = ""


@dataclass
class GroupTotal:
    key: str  # a branch's organization path, or a community's area path
    name: str
    id: int | None = None  # the branch's organization, or the community's area
    members: int = 0
    total: Decimal = ZERO

    @property
    def average(self) -> Decimal:
        return (self.total / self.members).quantize(Decimal("0.01")) if self.members else ZERO


@dataclass
class Ranking:
    year: int
    members: list[RankedMember]  # highest total first
    branches: list[GroupTotal]
    communities: list[GroupTotal]


def branch_path_of(org_path: str, org_kind: str) -> str:
    """Members of a Party group count with the branch above it."""
    return org_path[: -PartyOrg.steplen] if org_kind == OrgKind.GROUP else org_path


def _competition_ranks(rows: list[RankedMember], key: str, attr: str) -> None:
    groups: dict[str, list[RankedMember]] = defaultdict(list)
    for r in rows:
        groups[getattr(r, key)].append(r)
    for members in groups.values():
        members.sort(key=lambda r: -r.total)
        previous, rank = None, 0
        for i, r in enumerate(members, start=1):
            if r.total != previous:
                rank, previous = i, r.total
            setattr(r, attr, rank)


def ranking_totals(members: QuerySet[Member], year: int) -> list[tuple]:
    """(member id, name, org id, org name, org path, org kind, area path, total) of every member, None for
    those without entries: one statement, each member's total summed from the index on (year, member,
    points) alone. (A LEFT JOIN with GROUP BY over the seven columns was 7x slower on SQLite:
    docs/PERFORMANCE.md, "Party: compliance roll-up and points ranking".)"""
    total = (
        PointsEntry.objects.filter(member=OuterRef("pk"), year=year)
        .order_by().values("member").annotate(s=Sum("points")).values("s")
    )
    return list(
        members.annotate(total=Subquery(total))
        .values_list("pk", "person__name", "org_id", "org__name", "org__path", "org__kind", "area_path", "total")
        .order_by()
    )


def points_ranking(user, year: int, *, root: PartyOrg | None = None) -> Ranking:
    """Every member in the user's scope (under `root` when given) with their total for the year, their
    rank in their branch and in their community, and totals per branch and per community. Three queries."""
    qs = visible_points_members(user)
    if root is not None:
        qs = qs.filter(org__path__startswith=root.path)
    rows = [
        RankedMember(member_id=pk, name=name, org_id=org_id, org_name=org_name,
                     branch_path=branch_path_of(org_path, org_kind), community_path=area_path[:COMMUNITY_PATH_LEN],
                     total=Decimal(total).quantize(ZERO) if total is not None else ZERO)
        for pk, name, org_id, org_name, org_path, org_kind, area_path, total in ranking_totals(qs, year)
    ]
    _competition_ranks(rows, "branch_path", "rank_in_branch")
    _competition_ranks(rows, "community_path", "rank_in_community")
    branches: dict[str, GroupTotal] = {}
    communities: dict[str, GroupTotal] = {}
    for r in rows:
        for table, k in ((branches, r.branch_path), (communities, r.community_path)):
            g = table.setdefault(k, GroupTotal(k, ""))
            g.members += 1
            g.total += r.total
    org_names = {p: (pk, n) for p, pk, n in
                 PartyOrg.objects.filter(path__in=list(branches)).values_list("path", "id", "name")}
    area_names = {p: (pk, n) for p, pk, n in Area.objects.filter(path__in=list(communities), kind=AreaKind.COMMUNITY)
                  .values_list("path", "id", "name")}
    for table, names in ((branches, org_names), (communities, area_names)):
        for g in table.values():
            g.id, g.name = names.get(g.key, (None, ""))
    for r in rows:
        r.branch_name = branches[r.branch_path].name
        r.community_name = communities[r.community_path].name
    rows.sort(key=lambda r: (-r.total, r.name, r.member_id))
    by_total = lambda g: (-g.total, g.name)  # noqa: E731
    return Ranking(year=year, members=rows, branches=sorted(branches.values(), key=by_total),
                   communities=sorted(communities.values(), key=by_total))
