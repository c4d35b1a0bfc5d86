"""Reads of Party dues, scoped to the user, derived at query time (DESIGN.md rule 5: no sweeps).

Reading dues needs `org.view` and `people.view` over the member's organization (the bracket is derived
from personal pay, so a department that sees only the organization tree does not see dues); a Party
member sees their own through `self.view`.

Rules, stated once:
- A month is its first day. The rate table for a month is the latest table whose `valid_from` is on or
  before that first day; the basis for a month is the latest basis whose `valid_from` is on or before it.
- Amounts are rounded to 0.01 yuan, half up (ROUND_HALF_UP), once, on pay × rate.
- A member owes dues from the month of their first basis (or, without one, the month they joined) up to
  and including the current month; a month is unpaid when it has no live (unvoided) payment. Payments in
  advance are never counted as arrears.
- A member is lapsed (the "6-month lapse" rule) when 6 or more consecutive months in that span are unpaid.

Every function runs a fixed number of queries whatever the number of members: members, bases, payments and
rate tables are each read once, and amounts summed in SQL where no pay figure is needed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from jiceng.accounts import roles
from jiceng.accounts.scope import get_in_scope_or_404, scope_for, scope_q
from jiceng.areas.models import Area, AreaKind
from jiceng.people import personal

from .dues_models import DuesBasis, DuesPayment, DuesRateBracket, DuesRateTable
from .models import Member, OrgKind, PartyOrg

CENT = Decimal("0.01")
LAPSE_MONTHS = 6


# --- months ----------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def month_from_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both included (empty when `last` comes first)."""
    return [month_from_index(i) for i in range(month_index(first), month_index(last) + 1)]


def current_month(today: date | None = None) -> date:
    return month_start(today or timezone.localdate())


# --- rates -----------------------------------------------------------------------------------------


class RateTables:
    """All rate tables with their brackets (two queries), looked up by month in memory."""

    def __init__(self, tables: Iterable[DuesRateTable] | None = None):
        if tables is None:
            tables = DuesRateTable.objects.prefetch_related("brackets").order_by("valid_from")
        self.tables = sorted(tables, key=lambda t: t.valid_from)
        self._starts = [t.valid_from for t in self.tables]

    def for_month(self, month: date) -> DuesRateTable | None:
        i = bisect_right(self._starts, month_start(month))
        return self.tables[i - 1] if i else None


def _class_rows(table: DuesRateTable, dues_class: str) -> list[DuesRateBracket]:
    rows = [b for b in table.brackets.all() if b.dues_class == dues_class]
    return sorted(rows, key=lambda b: (b.up_to is None, b.up_to or Decimal(0)))


def is_flat(table: DuesRateTable, dues_class: str) -> bool:
    rows = _class_rows(table, dues_class)
    return bool(rows) and rows[0].flat_amount is not None


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


@sensitive_variables("pay", "row")
def dues_amount(table: DuesRateTable, dues_class: str, pay: Decimal | None) -> tuple[Decimal, str]:
    """(monthly dues, bracket label) for a class and after-tax monthly pay under one table.

    Brackets include their upper bound: pay of exactly 3000 pays 0.5%, 3000.01 pays 1%."""
    rows = _class_rows(table, dues_class)
    if not rows:
        raise LookupError(f"no rates for {dues_class} in table {table.pk}")
    lower = Decimal(0)
    for row in rows:
        if row.flat_amount is not None:
            return row.flat_amount.quantize(CENT), ""
        if pay is None:
            raise ValueError("this class pays by pay; give the pay")
        if row.up_to is None or pay <= row.up_to:
            label = f"{_number(lower)}–{_number(row.up_to)}" if row.up_to is not None else f">{_number(lower)}"
            return (pay * row.rate).quantize(CENT, rounding=ROUND_HALF_UP), label
        lower = row.up_to
    raise LookupError(f"pay above every bracket of {dues_class} in table {table.pk}")


def basis_pay(basis: DuesBasis) -> Decimal | None:
    """The decrypted pay of a basis, for computing dues only: never shown, logged or audited."""
    return Decimal(personal.decrypt(basis.pay_encrypted)) if basis.pay_encrypted else None


class Bases:
    """Members' bases (one query), looked up by member and month in memory; pay decrypted once per basis."""

    def __init__(self, member_ids: Iterable[int] | QuerySet):
        self._by_member: dict[int, list[DuesBasis]] = defaultdict(list)
        for basis in DuesBasis.objects.filter(member_id__in=member_ids).order_by("member_id", "valid_from", "pk"):
            self._by_member[basis.member_id].append(basis)
        self._pay: dict[int, Decimal | None] = {}

    def history(self, member_id: int) -> list[DuesBasis]:
        return self._by_member.get(member_id, [])

    def first_month(self, member_id: int) -> date | None:
        history = self.history(member_id)
        return history[0].valid_from if history else None

    def for_month(self, member_id: int, month: date) -> DuesBasis | None:
        found = None
        for basis in self.history(member_id):  # ordered by valid_from, then pk: the last one wins
            if basis.valid_from <= month:
                found = basis
        return found

    def pay(self, basis: DuesBasis) -> Decimal | None:
        if basis.pk not in self._pay:
            self._pay[basis.pk] = basis_pay(basis)
        return self._pay[basis.pk]


def due_for_month(member_id: int, month: date, *, bases: Bases, tables: RateTables) -> Decimal | None:
    """The dues a member owes for a month, or None when no basis or no rate table is in force then."""
    basis = bases.for_month(member_id, month_start(month))
    table = tables.for_month(month)
    if basis is None or table is None:
        return None
    return dues_amount(table, basis.dues_class, bases.pay(basis))[0]


def due_amount(member: Member, month: date) -> Decimal | None:
    """The due amount for one member and month (for callers that hold a member already)."""
    return due_for_month(member.pk, month, bases=Bases([member.pk]), tables=RateTables())


# --- arrears and lapse -----------------------------------------------------------------------------


@dataclass
class MemberDues:
    member_id: int
    start: date | None  # the first month dues are owed
    unpaid: list[date] = field(default_factory=list)
    arrears_sum: Decimal = Decimal("0.00")
    unknown_due: int = 0  # unpaid months with no basis in force: counted, not summed
    longest_gap: int = 0

    @property
    def arrears_count(self) -> int:
        return len(self.unpaid)

    @property
    def lapsed(self) -> bool:
        return self.longest_gap >= LAPSE_MONTHS


def _longest_run(months: list[date]) -> int:
    best = run = 0
    previous = None
    for m in months:
        run = run + 1 if previous is not None and month_index(m) == month_index(previous) + 1 else 1
        best = max(best, run)
        previous = m
    return best


def _start_month(member_id: int, joined_on: date | None, bases: Bases) -> date | None:
    first = bases.first_month(member_id)
    if first is not None:
        return first
    return month_start(joined_on) if joined_on else None


def _paid_months(member_ids, *, upto: date) -> dict[int, set[date]]:
    paid: dict[int, set[date]] = defaultdict(set)
    rows = DuesPayment.objects.filter(member_id__in=member_ids, voided_at__isnull=True, month__lte=upto)
    for member_id, month in rows.values_list("member_id", "month"):
        paid[member_id].add(month)
    return paid


def dues_arrears(
    members: Iterable[tuple[int, date | None]] | QuerySet[Member],
    *,
    today: date | None = None,
    with_sums: bool = True,
) -> dict[int, MemberDues]:
    """Arrears per member, for (member id, joined on) pairs or a Member queryset: count, sum and lapse.

    Five queries in all (members when a queryset, bases, payments, two for rate tables), whatever the count."""
    if isinstance(members, QuerySet):
        members = list(members.values_list("pk", "joined_on"))
    members = list(members)
    ids = [m[0] for m in members]
    now = current_month(today)
    bases = Bases(ids)
    paid = _paid_months(ids, upto=now)
    tables = RateTables() if with_sums else None
    result: dict[int, MemberDues] = {}
    for member_id, joined_on in members:
        start = _start_month(member_id, joined_on, bases)
        facts = MemberDues(member_id=member_id, start=start)
        if start is not None:
            facts.unpaid = [m for m in months_between(start, now) if m not in paid[member_id]]
            facts.longest_gap = _longest_run(facts.unpaid)
            if tables is not None:
                for m in facts.unpaid:
                    due = due_for_month(member_id, m, bases=bases, tables=tables)
                    if due is None:
                        facts.unknown_due += 1
                    else:
                        facts.arrears_sum += due
        result[member_id] = facts
    return result


def lapsed_member_ids(members: QuerySet[Member], *, today: date | None = None) -> set[int]:
    """Members (of any queryset, scoped by the caller) with 6 or more consecutive unpaid months: the dues
    half of the 6-month lapse rule, for other code (attendance lapses) to combine. Three queries."""
    facts = dues_arrears(members, today=today, with_sums=False)
    return {member_id for member_id, f in facts.items() if f.lapsed}


# --- scope -----------------------------------------------------------------------------------------


def can_view_dues(user) -> bool:
    scope = scope_for(user)
    return scope.allows(roles.VIEW_ORG) and scope.allows(roles.VIEW_PEOPLE)


def can_record_for(user, area_path: str) -> bool:
    scope = scope_for(user)
    return scope.allows(roles.CHANGE_ORG) and scope.covers_path(area_path)


def visible_dues_members(user) -> QuerySet[Member]:
    if not can_view_dues(user):
        return Member.objects.none()
    return Member.objects.filter(scope_q(user, "area_path"))


def dues_org_get(user, org_id: int, request=None) -> PartyOrg:
    """An organization whose dues the user may read, or 404 (out of scope logged)."""
    if not can_view_dues(user):
        raise Http404
    return get_in_scope_or_404(user, PartyOrg.objects.select_related("area"), path_field="area_path",
                               request=request, pk=org_id)


def dues_member_get(user, member_id: int, request=None) -> Member:
    if not can_view_dues(user):
        raise Http404
    return get_in_scope_or_404(user, Member.objects.select_related("person", "org"), path_field="area_path",
                               request=request, pk=member_id)


def dues_member_for_self(user) -> Member:
    """The Party member record of the signed-in member, or 404."""
    if not scope_for(user).allows(roles.VIEW_SELF) or not getattr(user, "person_id", None):
        raise Http404
    member = Member.objects.select_related("person", "org").filter(person_id=user.person_id).first()
    if member is None:
        raise Http404
    return member


# --- one member --------------------------------------------------------------------------------------


@dataclass
class MemberHistory:
    member: Member
    bases: list[DuesBasis]  # newest first
    payments: list[DuesPayment]  # newest first, voided ones too
    facts: MemberDues
    current_due: Decimal | None
    current_bracket: str


def member_history(member: Member, *, today: date | None = None) -> MemberHistory:
    """A member's bases, payments and arrears (the member was fetched in scope by the caller)."""
    facts = dues_arrears([(member.pk, member.joined_on)], today=today)[member.pk]
    bases = list(DuesBasis.objects.filter(member=member).order_by("-valid_from", "-pk"))
    payments = list(
        DuesPayment.objects.filter(member=member).select_related("recorded_by", "voided_by").order_by("-month", "-pk")
    )
    due = due_amount(member, current_month(today))
    current = next((b for b in bases if b.valid_from <= current_month(today)), None)
    return MemberHistory(
        member=member,
        bases=bases,
        payments=payments,
        facts=facts,
        current_due=due,
        current_bracket=current.bracket if current else "",
    )


# --- a branch ledger ---------------------------------------------------------------------------------


@dataclass
class LedgerRow:
    member: Member
    cells: list[DuesPayment | None | str]  # a payment, None (unpaid and owed) or "" (not owed yet / future)
    paid_sum: Decimal
    facts: MemberDues


@dataclass
class Ledger:
    org: PartyOrg
    year: int
    months: list[date]
    rows: list[LedgerRow]
    total_due: Decimal  # recorded dues for the year
    total_paid: Decimal
    unpaid_months: int  # member-months owed this year without a payment


def ledger_members(user, org: PartyOrg) -> QuerySet[Member]:
    """The members of an organization and those under it, within the user's dues scope."""
    return (
        visible_dues_members(user)
        .filter(org__path__startswith=org.path)
        .select_related("person", "org")
        .only("id", "joined_on", "area_path", "category", "person__id", "person__name", "org__id", "org__name",
              "org__path")
        .order_by("org__path", "person__name", "pk")
    )


def org_ledger(user, org: PartyOrg, year: int, *, today: date | None = None) -> Ledger:
    """Members × months of a year: paid, unpaid (owed) or not owed. Seven queries whatever the size."""
    now = current_month(today)
    members = list(ledger_members(user, org))
    facts = dues_arrears([(m.pk, m.joined_on) for m in members], today=today)
    months = [date(year, m, 1) for m in range(1, 13)]
    payments: dict[tuple[int, date], DuesPayment] = {
        (p.member_id, p.month): p
        for p in DuesPayment.objects.filter(
            member__in=[m.pk for m in members], voided_at__isnull=True, month__year=year
        )
    }
    rows = []
    total_due = total_paid = Decimal("0.00")
    unpaid = 0
    for member in members:
        f = facts[member.pk]
        cells: list[DuesPayment | None | str] = []
        paid_sum = Decimal("0.00")
        for month in months:
            payment = payments.get((member.pk, month))
            if payment is not None:
                cells.append(payment)
                paid_sum += payment.amount_paid
                total_due += payment.amount_due
            elif f.start is not None and f.start <= month <= now:
                cells.append(None)
                unpaid += 1
            else:
                cells.append("")
        total_paid += paid_sum
        rows.append(LedgerRow(member=member, cells=cells, paid_sum=paid_sum, facts=f))
    return Ledger(org=org, year=year, months=months, rows=rows, total_due=total_due, total_paid=total_paid,
                  unpaid_months=unpaid)


# --- roll-ups ------------------------------------------------------------------------------------------


@dataclass
class RollupRow:
    org_id: int | None
    name: str
    members: int = 0
    due: Decimal = Decimal("0.00")  # recorded dues of the year
    paid: Decimal = Decimal("0.00")
    unpaid_months: int = 0  # member-months owed in the year (to the current month) with no payment
    in_arrears: int = 0  # members with at least one such month


@dataclass
class CommunityRollup:
    area: Area | None
    total: RollupRow
    branches: list[RollupRow]


def _branch_path(org_path: str, org_kind: str) -> str:
    """Members of a Party group are counted with the branch above it."""
    return org_path[: -PartyOrg.steplen] if org_kind == OrgKind.GROUP else org_path


def _add(row: RollupRow, *, due: Decimal, paid: Decimal, unpaid: int) -> None:
    row.members += 1
    row.due += due
    row.paid += paid
    row.unpaid_months += unpaid
    row.in_arrears += 1 if unpaid else 0


def dues_rollup(user, year: int, *, today: date | None = None) -> list[CommunityRollup]:
    """Per community, then per branch: members, recorded dues and payments of the year, unpaid member-months.

    Sums come from one grouped SQL query over the payments; the members (with their first basis month and
    the count of months paid in the year's owed span) from one more; then organizations and communities.
    No pay is decrypted: the roll-up needs no amount that is not already recorded."""
    now = current_month(today)
    first, last = date(year, 1, 1), min(date(year, 12, 1), now)
    members = visible_dues_members(user)
    first_basis = (
        DuesBasis.objects.filter(member=OuterRef("pk")).order_by().values("member").annotate(m=Min("valid_from"))
        .values("m")
    )
    rows = list(
        members.annotate(first_basis=Subquery(first_basis)).values_list(
            "pk", "joined_on", "first_basis", "org__path", "org__kind", "area_path"
        )
    )
    sums = {
        r["member_id"]: r
        for r in DuesPayment.objects.filter(member__in=members, voided_at__isnull=True, month__year=year)
        .values("member_id")
        .annotate(
            due=Sum("amount_due"),
            paid=Sum("amount_paid"),
            counted=Count("pk", filter=Q(month__lte=now)),
        )
    }
    community_len = Area.steplen * 3
    communities: dict[str, CommunityRollup] = {}
    branches: dict[tuple[str, str], RollupRow] = {}
    for member_id, joined_on, first_basis_month, org_path, org_kind, area_path in rows:
        start = first_basis_month or (month_start(joined_on) if joined_on else None)
        owed = len(months_between(max(start, first), last)) if start is not None and year <= now.year else 0
        s = sums.get(member_id, {})
        unpaid = max(owed - (s.get("counted") or 0), 0)
        due, paid = s.get("due") or Decimal(0), s.get("paid") or Decimal(0)
        community_path = area_path[:community_len]
        c = communities.setdefault(community_path, CommunityRollup(area=None, total=RollupRow(None, ""), branches=[]))
        _add(c.total, due=due, paid=paid, unpaid=unpaid)
        key = (community_path, _branch_path(org_path, org_kind))
        if key not in branches:
            branches[key] = RollupRow(None, "")
            c.branches.append(branches[key])
        _add(branches[key], due=due, paid=paid, unpaid=unpaid)
    orgs = {o.path: o for o in PartyOrg.objects.filter(path__in={k[1] for k in branches}).only("id", "name", "path")}
    for (_, path), row in branches.items():
        org = orgs.get(path)
        row.org_id, row.name = (org.pk, org.name) if org else (None, "")
    areas = {
        a.path: a
        for a in Area.objects.filter(path__in=list(communities), kind=AreaKind.COMMUNITY).only("id", "name", "path")
    }
    result = []
    for path, c in sorted(communities.items()):
        c.area = areas.get(path)
        c.total.name = c.area.name if c.area else ""
        c.branches.sort(key=lambda r: r.name)
        result.append(c)
    return result
