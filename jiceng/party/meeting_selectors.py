"""Reads of Party meetings and obligations, scoped to the user, derived at query time (DESIGN.md rule 5).

Rules, stated once:
- Dates are calendar dates in Asia/Shanghai (`timezone.localdate()`); a meeting belongs to the month,
  quarter and year of its `held_on` date: held on 31 March it counts for Q1, on 1 April for Q2.
- The rule in force for a period is the latest `ObligationRule` for (organization kind, meeting kind)
  whose `valid_from` is on or before the first day of the period; a count of 0 means no obligation.
- A meeting counts towards a period when it was held in it, its quorum was met and it was not sent back.
- Status of a period: exempt (an exemption for it) · met (held ≥ expected) · upcoming (starts after today)
  · due_now (today lies in it) · missing (ended, held < expected).
- Attendance lapse: a member whose last attended meeting (or, never having attended, their joining date)
  is 3 months or more before today is flagged for a talk; 6 months or more, escalated. Six or more
  consecutive unpaid months of dues escalate too (the dues half of the 6-month rule).

Roll-ups read organizations, rules, exemptions and meeting counts grouped by organization, kind and month
in SQL: a fixed number of queries whatever the size of the subtree.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import ExtractMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.accounts import roles
from jiceng.accounts.scope import convened_org_ids, get_in_scope_or_404, scope_for, scope_q

from . import dues_selectors
from .meeting_models import (
    Exemption,
    Meeting,
    MeetingAttachment,
    MeetingAttendance,
    MeetingKind,
    MeetingState,
    ObligationRule,
    Period,
)
from .models import Member, PartyOrg

TALK_MONTHS = 3
ESCALATE_MONTHS = 6


class Status:
    MET = "met"
    MISSING = "missing"
    EXEMPT = "exempt"
    UPCOMING = "upcoming"
    DUE_NOW = "due_now"


STATUS_LABELS = {
    Status.MET: _("Met"),
    Status.MISSING: _("Missing"),
    Status.EXEMPT: _("Exempt"),
    Status.UPCOMING: _("Upcoming"),
    Status.DUE_NOW: _("Due now"),
}
# For a roll-up cell covering several periods, the worst status shows.
_SEVERITY = {Status.MISSING: 4, Status.DUE_NOW: 3, Status.UPCOMING: 2, Status.EXEMPT: 1, Status.MET: 0}


# --- dates and periods -------------------------------------------------------------------------------


def today_local() -> date:
    return timezone.localdate()


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's end (31 May − 3 months = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


@dataclass(frozen=True)
class PeriodSpan:
    period: str
    start: date
    end: date  # inclusive
    label: str

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _end(start: date, months: int) -> date:
    return date.fromordinal(add_months(start, months).toordinal() - 1)


@functools.lru_cache(maxsize=64)
def periods_of_year(period: str, year: int) -> tuple[PeriodSpan, ...]:
    # Cached (the spans are frozen): a district roll-up asks for the same spans once per organization.
    if period == Period.MONTHLY:
        return tuple(PeriodSpan(period, date(year, m, 1), _end(date(year, m, 1), 1), f"{m}") for m in range(1, 13))
    if period == Period.QUARTERLY:
        return tuple(PeriodSpan(period, date(year, 3 * q - 2, 1), _end(date(year, 3 * q - 2, 1), 3), f"Q{q}")
                     for q in range(1, 5))
    return (PeriodSpan(period, date(year, 1, 1), date(year, 12, 31), str(year)),)


def period_start_for(period: str, day: date) -> date:
    """The first day of the month, quarter or year that contains `day`."""
    if period == Period.MONTHLY:
        return day.replace(day=1)
    if period == Period.QUARTERLY:
        return date(day.year, 3 * quarter_of(day) - 2, 1)
    return date(day.year, 1, 1)


def quarter_span(year: int, quarter: int) -> PeriodSpan:
    return periods_of_year(Period.QUARTERLY, year)[quarter - 1]


# --- the rulebook ------------------------------------------------------------------------------------


class Rulebook:
    """Every obligation rule (one query), looked up by organization kind, meeting kind and date."""

    def __init__(self, rules: Iterable[ObligationRule] | None = None):
        if rules is None:
            rules = ObligationRule.objects.order_by("valid_from", "pk")
        self._by_pair: dict[tuple[str, str], list[ObligationRule]] = defaultdict(list)
        for rule in sorted(rules, key=lambda r: (r.valid_from, r.pk or 0)):
            self._by_pair[(rule.org_kind, rule.meeting_kind)].append(rule)

    def in_force(self, org_kind: str, meeting_kind: str, day: date) -> ObligationRule | None:
        rules = self._by_pair.get((org_kind, meeting_kind), [])
        i = bisect_right([r.valid_from for r in rules], day)
        return rules[i - 1] if i else None

    def kinds_for(self, org_kind: str) -> list[str]:
        """Meeting kinds with any rule for this organization kind, in the glossary's order."""
        present = {mk for (ok, mk) in self._by_pair if ok == org_kind}
        return [k for k in MeetingKind.values if k in present]


# --- scope -------------------------------------------------------------------------------------------


def can_view(user) -> bool:
    return scope_for(user).allows(roles.VIEW_ORG)


def can_change(user, area_path: str) -> bool:
    scope = scope_for(user)
    return scope.allows(roles.CHANGE_ORG) and scope.covers_path(area_path)


def review_path(org: PartyOrg) -> str:
    """The area path a reviewer must cover: the higher organization's (for a root organization, the
    parent of its area)."""
    parent = PartyOrg.objects.filter(path=org.path[: -PartyOrg.steplen]).first() if org.depth > 1 else None
    if parent is not None:
        return parent.area_path
    return org.area_path[: -PartyOrg.steplen] if len(org.area_path) > PartyOrg.steplen else "\0"


def can_review(user, meeting: Meeting) -> bool:
    """Review is the higher organization's: a user who may change organizations over the parent
    organization's area (a user scoped below it, to the meeting's own organization, may not)."""
    scope = scope_for(user)
    return scope.allows(roles.CHANGE_ORG) and scope.covers_path(review_path(meeting.org))


def visible_meetings(user) -> QuerySet[Meeting]:
    if not can_view(user):
        return Meeting.objects.none()
    return Meeting.objects.filter(scope_q(user, "area_path"))


def meeting_list(user, *, org_id: int | None = None, kind: str = "", state: str = "", year: int | None = None,
                 subtree: bool = True) -> QuerySet[Meeting]:
    qs = visible_meetings(user).select_related("org", "chair", "recorder")
    if org_id:
        org = PartyOrg.objects.filter(pk=org_id).only("path").first()
        if org is None:
            return qs.none()
        qs = qs.filter(org__path__startswith=org.path) if subtree else qs.filter(org_id=org_id)
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if year:
        qs = qs.filter(Q(held_on__year=year) | Q(held_on__isnull=True, planned_on__year=year))
    return qs.order_by("-planned_on", "-pk")


def meeting_get(user, meeting_id: int, request=None) -> Meeting:
    if not can_view(user):
        raise Http404
    return get_in_scope_or_404(
        user, Meeting.objects.select_related("org", "chair", "recorder", "reviewed_by"), path_field="area_path",
        request=request, pk=meeting_id,
    )


def org_get(user, org_id: int, request=None) -> PartyOrg:
    if not can_view(user):
        raise Http404
    return get_in_scope_or_404(user, PartyOrg.objects.select_related("area"), path_field="area_path",
                               request=request, pk=org_id)


def compliance_org_get(user, org_id: int, request=None) -> PartyOrg:
    """The organization whose compliance calendar the user may read: one in scope, or the one whose
    meetings they convene (scope.convened_org_ids), or 404."""
    if org_id in convened_org_ids(user):
        return PartyOrg.objects.select_related("area").get(pk=org_id)
    return org_get(user, org_id, request=request)


def visible_orgs(user) -> QuerySet[PartyOrg]:
    if not can_view(user):
        return PartyOrg.objects.none()
    return PartyOrg.objects.filter(scope_q(user, "area_path")).order_by("path")


def attendance_rows(meeting: Meeting) -> list[MeetingAttendance]:
    return list(
        meeting.attendance.select_related("member__person", "member__org").order_by("member__person__name", "pk")
    )


def meeting_attachments(meeting: Meeting) -> list[MeetingAttachment]:
    return list(MeetingAttachment.objects.filter(meeting=meeting).order_by("uploaded_at", "pk"))


def meeting_attachment_get(user, meeting_id: int, attachment_id: int, request=None) -> MeetingAttachment:
    """A file of a meeting the user may see, or 404: the meeting's scope decides."""
    meeting = meeting_get(user, meeting_id, request=request)
    attachment = MeetingAttachment.objects.filter(meeting=meeting, pk=attachment_id).first()
    if attachment is None:
        raise Http404
    return attachment


def eligible_members(org: PartyOrg) -> QuerySet[Member]:
    """Members expected at a meeting of `org`: those of the organization and the organizations under it."""
    return Member.objects.filter(org__path__startswith=org.path).select_related("person", "org").order_by(
        "person__name", "pk"
    )


def committee_person_ids(org: PartyOrg, on: date) -> set[int]:
    """People holding a post in the organization's committee on a date (ended posts excluded)."""
    qs = org.positions.held_on(on)
    return set(qs.values_list("person_id", flat=True))


# --- compliance ----------------------------------------------------------------------------------------


@dataclass
class Cell:
    span: PeriodSpan
    expected: int
    held: int
    status: str

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class RuleRow:
    kind: str
    period: str
    cells: list[Cell]

    @property
    def kind_label(self) -> str:
        return str(MeetingKind(self.kind).label)

    @property
    def missing(self) -> int:
        return sum(1 for c in self.cells if c.status == Status.MISSING)


@dataclass
class Calendar:
    org: PartyOrg
    year: int
    rows: list[RuleRow]

    @property
    def missing(self) -> int:
        return sum(r.missing for r in self.rows)


def _status(expected: int, held: int, span: PeriodSpan, exempt: bool, today: date) -> str:
    if exempt:
        return Status.EXEMPT
    if held >= expected:
        return Status.MET
    if span.start > today:
        return Status.UPCOMING
    if span.contains(today):
        return Status.DUE_NOW
    return Status.MISSING


def _counted(qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Meetings that count towards an obligation: held, quorum met, not sent back."""
    return qs.filter(held_on__isnull=False, quorum_met=True).exclude(state__in=[MeetingState.PLANNED,
                                                                               MeetingState.SENT_BACK])


def _counts_by_month(org_ids: Iterable[int], year: int) -> dict[tuple[int, str, int], int]:
    """Counted meetings per (organization, kind, month) of a year, grouped in SQL (one query)."""
    rows = (
        _counted(Meeting.objects.filter(org_id__in=org_ids, held_on__year=year))
        .annotate(m=ExtractMonth("held_on"))
        .values("org_id", "kind", "m")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(r["org_id"], r["kind"], r["m"]): r["n"] for r in rows}


def _exemptions(org_ids: Iterable[int], year: int) -> set[tuple[int, str, date]]:
    rows = Exemption.objects.filter(org_id__in=org_ids, period_start__year=year).values_list(
        "org_id", "meeting_kind", "period_start"
    )
    return set(rows)


def _calendar(org: PartyOrg, year: int, *, rulebook: Rulebook, counts: dict, exemptions: set, today: date,
              only: PeriodSpan | None = None) -> Calendar:
    rows = []
    for kind in rulebook.kinds_for(org.kind):
        by_period: dict[str, list[Cell]] = defaultdict(list)
        for period in Period.values:
            for span in periods_of_year(period, year):
                if only is not None and (span.end < only.start or span.start > only.end):
                    continue
                rule = rulebook.in_force(org.kind, kind, span.start)
                if rule is None or rule.count == 0 or rule.period != period:
                    continue
                held = sum(counts.get((org.pk, kind, m), 0) for m in range(span.start.month, span.end.month + 1))
                exempt = (org.pk, kind, span.start) in exemptions
                by_period[period].append(Cell(span, rule.count, held, _status(rule.count, held, span, exempt, today)))
        for period, cells in by_period.items():
            rows.append(RuleRow(kind=kind, period=period, cells=cells))
    return Calendar(org=org, year=year, rows=rows)


def compliance_calendar(org: PartyOrg, year: int, *, today: date | None = None) -> Calendar:
    """For each rule of the organization's kind and each of its periods in the year: expected, held
    (counted meetings) and status. The organization was fetched in scope by the caller. Three queries."""
    return _calendar(
        org, year, rulebook=Rulebook(), counts=_counts_by_month([org.pk], year),
        exemptions=_exemptions([org.pk], year), today=today or today_local(),
    )


@dataclass
class RollupRow:
    org: PartyOrg
    cells: dict[str, str]  # meeting kind → worst status in the quarter ("" when no rule)
    behind: int  # missing periods in the quarter
    calendar: Calendar = field(repr=False)


@dataclass
class Rollup:
    year: int
    quarter: int
    kinds: list[str]
    rows: list[RollupRow]

    @property
    def kind_labels(self) -> list[str]:
        return [str(MeetingKind(k).label) for k in self.kinds]


def compliance_rollup(user, year: int, quarter: int, *, root: PartyOrg | None = None,
                      today: date | None = None) -> Rollup:
    """Every organization in the user's scope (under `root` when given) × meeting kind for one quarter:
    the worst status of the periods overlapping it and the number missing. Four queries in all."""
    orgs_qs = visible_orgs(user)
    if root is not None:
        orgs_qs = orgs_qs.filter(path__startswith=root.path)
    orgs = list(orgs_qs)
    ids = [o.pk for o in orgs]
    rulebook = Rulebook()
    counts = _counts_by_month(ids, year)
    exemptions = _exemptions(ids, year)
    span = quarter_span(year, quarter)
    now = today or today_local()
    kinds: list[str] = []
    rows = []
    for org in orgs:
        cal = _calendar(org, year, rulebook=rulebook, counts=counts, exemptions=exemptions, today=now, only=span)
        cells: dict[str, str] = {}
        for row in cal.rows:
            if row.kind not in kinds:
                kinds.append(row.kind)
            worst = max((c.status for c in row.cells), key=lambda s: _SEVERITY[s], default="")
            if worst:
                previous = cells.get(row.kind, "")
                cells[row.kind] = worst if not previous or _SEVERITY[worst] > _SEVERITY[previous] else previous
        if cal.rows:
            rows.append(RollupRow(org=org, cells=cells, behind=cal.missing, calendar=cal))
    kinds = [k for k in MeetingKind.values if k in kinds]
    return Rollup(year=year, quarter=quarter, kinds=kinds, rows=rows)


@dataclass
class RollupGroup:
    """One organization of the level being looked at, with everything under it folded in."""

    org: PartyOrg
    cells: dict[str, str]  # meeting kind → worst status anywhere in the subtree
    orgs: int  # organizations in the subtree with obligations this quarter
    orgs_behind: int
    missing: int  # missing periods in the subtree


def rollup_groups(data: Rollup, root: PartyOrg | None = None) -> list[RollupGroup]:
    """Fold the roll-up's rows up the tree to one level: the children of `root`, or without a root the
    highest organizations in the rows (a district official sees the working committees, a community
    worker their committee). No query: paths say who is under whom."""
    if not data.rows:
        return []
    steplen = PartyOrg.steplen
    depth = root.depth + 1 if root is not None else min(r.org.depth for r in data.rows)
    level = {r.org.path: r.org for r in data.rows if r.org.depth == depth}
    groups: dict[str, RollupGroup] = {p: RollupGroup(org=o, cells={}, orgs=0, orgs_behind=0, missing=0)
                                      for p, o in level.items()}
    for row in data.rows:
        group = groups.get(row.org.path[: depth * steplen])
        if group is None:
            continue
        group.orgs += 1
        group.orgs_behind += row.behind > 0
        group.missing += row.behind
        for kind, status in row.cells.items():
            previous = group.cells.get(kind, "")
            if status and (not previous or _SEVERITY[status] > _SEVERITY[previous]):
                group.cells[kind] = status
    return sorted(groups.values(), key=lambda g: g.org.path)


# --- attendance lapses ------------------------------------------------------------------------------------


@dataclass
class Lapse:
    member: Member
    since: date | None  # last attended meeting, or joining date when never attended
    attended: bool
    level: str  # "talk" or "escalate"
    dues_lapsed: bool

    @property
    def level_label(self) -> str:
        return str(_("Escalated") if self.level == "escalate" else _("Talk due"))


def lapse_members(user) -> QuerySet[Member]:
    """Members whose attendance the user may read: org.view and people.view (names of people)."""
    scope = scope_for(user)
    if not (scope.allows(roles.VIEW_ORG) and scope.allows(roles.VIEW_PEOPLE)):
        return Member.objects.none()
    return Member.objects.filter(scope_q(user, "area_path"))


def attendance_lapses(user, *, today: date | None = None, org: PartyOrg | None = None) -> list[Lapse]:
    """Members with no attended meeting for 3 months (talk) or 6 (escalate), with the dues lapse
    folded in. Four queries whatever the number of members."""
    now = today or today_local()
    talk_before = add_months(now, -TALK_MONTHS)
    escalate_before = add_months(now, -ESCALATE_MONTHS)
    members_qs = lapse_members(user)
    if org is not None:
        members_qs = members_qs.filter(org__path__startswith=org.path)
    members = list(members_qs.select_related("person", "org").order_by("org__path", "person__name", "pk"))
    ids = [m.pk for m in members]
    last = dict(
        MeetingAttendance.objects.filter(member_id__in=ids, present=True, meeting__held_on__isnull=False,
                                         meeting__held_on__lte=now)
        .values("member_id").annotate(last=Max("meeting__held_on")).order_by().values_list("member_id", "last")
    )
    dues_lapsed = dues_selectors.lapsed_member_ids(Member.objects.filter(pk__in=ids), today=now)
    result = []
    for m in members:
        since = last.get(m.pk) or m.joined_on
        owes = m.pk in dues_lapsed
        if since is None or since <= escalate_before or owes:
            level = "escalate"
        elif since <= talk_before:
            level = "talk"
        else:
            continue
        result.append(Lapse(member=m, since=since, attended=m.pk in last, level=level, dues_lapsed=owes))
    return result
