"""Reads of dual registration, the service list, claims, pledges and the yearly dual report (双报告).

Every read is scoped: staff see a registration, claim or pledge when their scope covers its community or
the member's workplace organization; a member sees only their own. Each list is one query (plus the
page's count), whatever its length: names come by select_related, states and sums by annotation.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for, scope_q
from jiceng.areas.models import Area

from .dualreg_models import ClaimState, Pledge, Registration, RegistrationState, ServiceClaim, ServiceItem
from .models import Member, MemberCategory, PartyOrg

ACTIVE_REG = (RegistrationState.REQUESTED, RegistrationState.CONFIRMED, RegistrationState.RETURNED)

# Who is expected to register where they live (on Member): an in-service member whose Party organization is
# a unit's own (a resident unit's, their workplace). A member of a community's own branch already has their
# Party life where they live, so has nothing to register and never counts as "not registered".
NEEDS_REGISTRATION = Q(category=MemberCategory.IN_SERVICE, org__unit__isnull=False)


def today_local() -> date:
    return timezone.localdate()


def can_view(user) -> bool:
    return scope_for(user).allows(roles.VIEW_ORG)


def can_change(user, path: str) -> bool:
    scope = scope_for(user)
    return scope.allows(roles.CHANGE_ORG) and scope.covers_path(path)


def _require_view(user) -> None:
    if not can_view(user):
        raise Http404


def _both_sides(user) -> Q:
    """In scope from the community's side or from the workplace organization's side."""
    return scope_q(user, "community_path") | scope_q(user, "org_path")


def communities_in_scope(user) -> QuerySet[Area]:
    return Area.objects.filter(scope_q(user, "path"), kind="community").only("id", "name", "code", "path") \
        .order_by("path")


def community_get(user, community_id: int) -> Area:
    _require_view(user)
    community = communities_in_scope(user).filter(pk=community_id).first()
    if community is None:
        raise Http404
    return community


def workplace_orgs_in_scope(user) -> QuerySet[PartyOrg]:
    """Party organizations in scope that belong to a unit (resident units' organizations)."""
    return PartyOrg.objects.filter(scope_q(user, "area_path"), unit__isnull=False).only("id", "name", "area_path") \
        .order_by("name")


def orgs_in_scope(user) -> QuerySet[PartyOrg]:
    return PartyOrg.objects.filter(scope_q(user, "area_path")).only("id", "name", "path", "area_path").order_by(
        "path")


# --- registrations ----------------------------------------------------------------------------------


def registration_list(user, *, state: str = "", kind: str = "", community_id: int | None = None,
                      org_id: int | None = None, q: str = "") -> QuerySet[Registration]:
    _require_view(user)
    qs = Registration.objects.filter(_both_sides(user)).select_related("org", "member__person", "community")
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if community_id:
        qs = qs.filter(community_id=community_id)
    if org_id:
        qs = qs.filter(org_id=org_id)
    if q:
        qs = qs.filter(Q(member__person__name__icontains=q) | Q(org__name__icontains=q))
    return qs.order_by("-requested_at", "-id")


def registration_get(user, registration_id: int) -> Registration:
    """A registration staff may see, or (for a member) their own; otherwise 404."""
    qs = Registration.objects.select_related("org", "member__person", "community")
    if can_view(user):
        reg = qs.filter(_both_sides(user), pk=registration_id).first()
    else:
        reg = qs.filter(pk=registration_id, member__person_id=getattr(user, "person_id", None) or -1).first()
    if reg is None or (reg.member_id is None and not can_view(user)):
        raise Http404
    return reg


@dataclass
class CountRow:
    id: int
    name: str
    requested: int = 0
    confirmed: int = 0
    returned: int = 0
    members_confirmed: int = 0
    orgs_confirmed: int = 0
    in_service: int = 0

    @property
    def not_registered(self) -> int:
        return max(self.in_service - self.confirmed - self.requested, 0)


def _state_counts() -> dict:
    return {
        "requested": Count("id", filter=Q(state=RegistrationState.REQUESTED)),
        "confirmed": Count("id", filter=Q(state=RegistrationState.CONFIRMED)),
        "returned": Count("id", filter=Q(state=RegistrationState.RETURNED)),
        "members_confirmed": Count("id", filter=Q(state=RegistrationState.CONFIRMED, member__isnull=False)),
        "orgs_confirmed": Count("id", filter=Q(state=RegistrationState.CONFIRMED, member__isnull=True)),
    }


def counts_by_community(user) -> list[CountRow]:
    """Per community in scope: registrations by state (members and organizations). One query."""
    _require_view(user)
    rows = (Registration.objects.filter(scope_q(user, "community_path"))
            .values("community_id", "community__name").annotate(**_state_counts()).order_by("community__name"))
    return [CountRow(id=r["community_id"], name=r["community__name"], requested=r["requested"],
                     confirmed=r["confirmed"], returned=r["returned"], members_confirmed=r["members_confirmed"],
                     orgs_confirmed=r["orgs_confirmed"]) for r in rows]


def counts_by_org(user) -> list[CountRow]:
    """Per workplace organization (a unit's own) in scope with in-service members: how many there are and
    how many are registered (confirmed) where they live. Community branches are not workplace
    organizations and are left out (NEEDS_REGISTRATION). One query."""
    _require_view(user)
    in_service = Q(members__category=MemberCategory.IN_SERVICE)
    confirmed = Subquery(
        Registration.objects.filter(org=OuterRef("pk"), member__isnull=False, state=RegistrationState.CONFIRMED)
        .values("org").annotate(n=Count("id")).values("n")[:1]
    )
    requested = Subquery(
        Registration.objects.filter(org=OuterRef("pk"), member__isnull=False, state=RegistrationState.REQUESTED)
        .values("org").annotate(n=Count("id")).values("n")[:1]
    )
    rows = (PartyOrg.objects.filter(scope_q(user, "area_path"), unit__isnull=False)
            .annotate(in_service=Count("members", filter=in_service), confirmed=confirmed, requested=requested)
            .filter(in_service__gt=0).values("id", "name", "in_service", "confirmed", "requested").order_by("name"))
    return [CountRow(id=r["id"], name=r["name"], in_service=r["in_service"], confirmed=r["confirmed"] or 0,
                     requested=r["requested"] or 0) for r in rows]


@dataclass
class BuildingRow:
    building: Area | None
    members: list[Member] = field(default_factory=list)

    @property
    def registered(self) -> int:
        return sum(1 for m in self.members if m.reg_state == RegistrationState.CONFIRMED)

    @property
    def waiting(self) -> int:
        return sum(1 for m in self.members if m.reg_state == RegistrationState.REQUESTED)

    @property
    def not_registered(self) -> int:
        return len(self.members) - self.registered - self.waiting


def building_view(user, community: Area, *, state: str = "") -> list[BuildingRow]:
    """Members living in the community who are expected to register here (NEEDS_REGISTRATION) or have
    registered here anyway, building by building, with the state of their registration here ("" when
    none). Buildings where none lives are left out. One query."""
    _require_view(user)
    reg = Registration.objects.filter(member=OuterRef("pk"), community=community, state__in=ACTIVE_REG)
    members = (Member.objects.filter(person__community=community, category=MemberCategory.IN_SERVICE)
               .select_related("person__home", "org")
               .annotate(reg_state=Coalesce(Subquery(reg.values("state")[:1]), Value("")),
                         reg_id=Subquery(reg.values("id")[:1]))
               .filter(NEEDS_REGISTRATION | ~Q(reg_state=""))
               .order_by("person__home__path", "person__name"))
    if state == "none":
        members = members.filter(reg_state="")
    elif state:
        members = members.filter(reg_state=state)
    rows: OrderedDict[int | None, BuildingRow] = OrderedDict()
    for member in members:
        home_id = member.person.home_id
        if home_id not in rows:
            rows[home_id] = BuildingRow(building=member.person.home)
        rows[home_id].members.append(member)
    return list(rows.values())


# --- a member's own -----------------------------------------------------------------------------------


def member_community_ids(member: Member) -> set[int]:
    """Where a member may claim items: where they live, and where they are registered (confirmed)."""
    ids = set(Registration.objects.filter(member=member, state=RegistrationState.CONFIRMED)
              .values_list("community_id", flat=True))
    if member.person.community_id:
        ids.add(member.person.community_id)
    return ids


@dataclass
class MemberHome:
    member: Member
    registrations: list[Registration]
    items: list[ServiceItem]
    claims: list[ServiceClaim]
    pledges: list[Pledge]
    confirmed_hours: Decimal
    today: date

    @property
    def can_register(self) -> bool:
        """No registration in progress or in force (a revoked one is history)."""
        return self.member.category == MemberCategory.IN_SERVICE and all(
            r.state == RegistrationState.REVOKED for r in self.registrations)


def member_home(member: Member) -> MemberHome:
    """Everything the member's phone page shows, in a fixed handful of queries."""
    today = today_local()
    registrations = list(Registration.objects.filter(member=member).select_related("community")
                         .order_by("-requested_at", "-id"))
    communities = member_community_ids(member)
    claimed_items = set(ServiceClaim.objects.filter(member=member).exclude(state=ClaimState.WITHDRAWN)
                        .values_list("item_id", flat=True))
    items = list(ServiceItem.objects.filter(community_id__in=communities, ends_on__gte=today)
                 .exclude(pk__in=claimed_items).select_related("community").order_by("starts_on", "id")[:50])
    claims = list(ServiceClaim.objects.filter(member=member).exclude(state=ClaimState.WITHDRAWN)
                  .select_related("item__community").order_by("-claimed_at", "-id"))
    pledges = list(Pledge.objects.filter(member=member).select_related("community"))
    hours = sum((c.hours or Decimal(0) for c in claims if c.state == ClaimState.CONFIRMED), Decimal(0))
    return MemberHome(member=member, registrations=registrations, items=items, claims=claims, pledges=pledges,
                      confirmed_hours=hours, today=today)


def own_claim(member: Member, claim_id: int) -> ServiceClaim:
    claim = ServiceClaim.objects.select_related("item").filter(pk=claim_id, member=member).first()
    if claim is None:
        raise Http404
    return claim


def own_pledge(member: Member, pledge_id: int) -> Pledge:
    pledge = Pledge.objects.filter(pk=pledge_id, member=member).first()
    if pledge is None:
        raise Http404
    return pledge


def own_registration(member: Member, registration_id: int) -> Registration:
    reg = Registration.objects.filter(pk=registration_id, member=member).first()
    if reg is None:
        raise Http404
    return reg


def item_for_member(member: Member, item_id: int) -> ServiceItem:
    item = ServiceItem.objects.filter(pk=item_id, community_id__in=member_community_ids(member)).first()
    if item is None:
        raise Http404
    return item


# --- the service list, claims and pledges for staff ----------------------------------------------------


def item_list(user, *, community_id: int | None = None, category: str = "", current: bool = False,
              q: str = "") -> QuerySet[ServiceItem]:
    _require_view(user)
    qs = ServiceItem.objects.filter(scope_q(user, "community_path")).select_related("community")
    if community_id:
        qs = qs.filter(community_id=community_id)
    if category:
        qs = qs.filter(category=category)
    if current:
        qs = qs.filter(ends_on__gte=today_local())
    if q:
        qs = qs.filter(title__icontains=q)
    return qs.order_by("-starts_on", "-id")


def item_get(user, item_id: int) -> ServiceItem:
    item = item_list(user).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item


def claim_list(user, *, state: str = "", community_id: int | None = None, org_id: int | None = None,
               year: int | None = None, q: str = "") -> QuerySet[ServiceClaim]:
    _require_view(user)
    qs = ServiceClaim.objects.filter(_both_sides(user)).select_related(
        "item__community", "member__person", "member__org")
    if state:
        qs = qs.filter(state=state)
    if community_id:
        qs = qs.filter(item__community_id=community_id)
    if org_id:
        qs = qs.filter(member__org_id=org_id)
    if year:
        qs = qs.filter(served_on__year=year)
    if q:
        qs = qs.filter(Q(member__person__name__icontains=q) | Q(item__title__icontains=q))
    return qs.order_by("-recorded_at", "-claimed_at", "-id")


def claim_get(user, claim_id: int) -> ServiceClaim:
    """A claim staff may see, or the member's own; otherwise 404."""
    qs = ServiceClaim.objects.select_related("item", "member__person")
    if can_view(user):
        claim = qs.filter(_both_sides(user), pk=claim_id).first()
    else:
        claim = qs.filter(pk=claim_id, member__person_id=getattr(user, "person_id", None) or -1).first()
    if claim is None:
        raise Http404
    return claim


def pledge_list(user, *, community_id: int | None = None, state: str = "", q: str = "") -> QuerySet[Pledge]:
    """Pledges in scope; `state` is open, overdue or fulfilled (overdue derived from the due date)."""
    _require_view(user)
    qs = Pledge.objects.filter(_both_sides(user)).select_related("member__person", "member__org", "community")
    today = today_local()
    if community_id:
        qs = qs.filter(community_id=community_id)
    if state == "fulfilled":
        qs = qs.filter(fulfilled_on__isnull=False)
    elif state == "overdue":
        qs = qs.filter(fulfilled_on__isnull=True, due_on__lt=today)
    elif state == "open":
        qs = qs.filter(fulfilled_on__isnull=True, due_on__gte=today)
    if q:
        qs = qs.filter(Q(member__person__name__icontains=q) | Q(text__icontains=q))
    return qs.order_by("-created_at", "-id")


# --- the dual report (双报告) ---------------------------------------------------------------------------


@dataclass
class DualReport:
    year: int
    members: list[Member]
    records: list[ServiceClaim]

    @property
    def total_hours(self) -> Decimal:
        return sum((m.hours for m in self.members), Decimal(0))


def dual_report(user, *, year: int, org_id: int | None = None) -> DualReport:
    """The year's report to the workplace organizations in scope: per in-service member, where they are
    registered, their confirmed service records and hours, and their pledges; then every confirmed record.
    Two queries, whatever the number of members."""
    _require_view(user)
    confirmed = Q(service_claims__state=ClaimState.CONFIRMED, service_claims__served_on__year=year)
    registered = Registration.objects.filter(member=OuterRef("pk"), state=RegistrationState.CONFIRMED)
    pledges = Pledge.objects.filter(member=OuterRef("pk"), created_at__year=year).values("member")
    members = (Member.objects.filter(scope_q(user, "area_path"), category=MemberCategory.IN_SERVICE)
               .select_related("person", "org")
               .annotate(records=Count("service_claims", filter=confirmed),
                         hours=Coalesce(Sum("service_claims__hours", filter=confirmed), Value(Decimal(0)),
                                        output_field=DecimalField(max_digits=9, decimal_places=1)),
                         community_name=Subquery(registered.values("community__name")[:1]),
                         pledges_made=Coalesce(Subquery(pledges.annotate(n=Count("id")).values("n")[:1]),
                                               Value(0)),
                         pledges_kept=Coalesce(Subquery(pledges.filter(fulfilled_on__isnull=False)
                                                        .annotate(n=Count("id")).values("n")[:1]), Value(0)))
               .order_by("org__name", "person__name"))
    records = (ServiceClaim.objects.filter(scope_q(user, "org_path"), state=ClaimState.CONFIRMED,
                                           served_on__year=year, member__category=MemberCategory.IN_SERVICE)
               .select_related("member__person", "member__org", "item__community")
               .order_by("member__org__name", "member__person__name", "served_on", "id"))
    if org_id:
        members = members.filter(org_id=org_id)
        records = records.filter(member__org_id=org_id)
    return DualReport(year=year, members=list(members), records=list(records))
