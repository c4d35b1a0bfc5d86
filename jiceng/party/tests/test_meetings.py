"""Party meetings as obligations: the rulebook across period boundaries (Asia/Shanghai dates), quorum,
exemptions, the review state machine, the subtree roll-up (equal to per-organization computation, fixed
query count), attendance lapses at 3 and 6 months, and scope."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from jiceng.accounts.models import AuditEvent
from jiceng.party import meeting_selectors as sel
from jiceng.party.meeting_models import Exemption, MeetingKind, MeetingState, ObligationRule, Period, QuorumRule
from jiceng.party.meeting_services import (
    exemption_grant,
    meeting_plan,
    meeting_record_held,
    meeting_review,
    meeting_submit,
)
from jiceng.party.models import MemberStatus, OrgKind, Position, PositionTitle
from jiceng.party.services import party_org_create

from .helpers import members, residents

MM = MeetingKind.MEMBERS_MEETING
CM = MeetingKind.COMMITTEE_MEETING


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def held(org, kind, on: date, people=(), present=None, state=None):
    """A meeting of `org` held on `on` with everyone in `people` (default: all its members) present, or
    only those in `present`."""
    meeting = meeting_plan(actor=None, org=org, kind=kind, planned_on=on)
    people = list(people) or list(sel.eligible_members(org))  # by default everyone came
    present_ids = {m.pk for m in (people if present is None else present)}
    rows = [{"member_id": m.pk, "present": m.pk in present_ids} for m in people]
    meeting_record_held(actor=None, meeting=meeting, held_on=on, attendance=rows, minutes="minutes")
    if state in (MeetingState.SUBMITTED, MeetingState.APPROVED, MeetingState.SENT_BACK):
        meeting_submit(actor=None, meeting=meeting)
    if state in (MeetingState.APPROVED, MeetingState.SENT_BACK):
        meeting_review(actor=None, meeting=meeting, approve=state == MeetingState.APPROVED, reason="incomplete")
    return meeting


def row(cal, kind, period=None):
    return next(r for r in cal.rows if r.kind == kind and (period is None or r.period == period))


# --- the rulebook and periods ---------------------------------------------------------------------------


def test_default_rulebook_is_loaded_as_data(db):
    book = sel.Rulebook()
    mm = book.in_force(OrgKind.BRANCH, MM, date(2025, 1, 1))
    assert (mm.period, mm.count, mm.quorum) == (Period.QUARTERLY, 1, QuorumRule.VOTING_MAJORITY)
    cm = book.in_force(OrgKind.BRANCH, CM, date(2025, 1, 1))
    assert (cm.period, cm.quorum) == (Period.MONTHLY, QuorumRule.COMMITTEE_MAJORITY)
    assert book.in_force(OrgKind.GROUP, MeetingKind.GROUP_MEETING, date(2025, 1, 1)).period == Period.MONTHLY
    for kind in (MeetingKind.LIFE_MEETING, MeetingKind.MEMBER_APPRAISAL):
        assert book.in_force(OrgKind.BRANCH, kind, date(2025, 1, 1)).period == Period.YEARLY
    assert book.in_force(OrgKind.BRANCH, MeetingKind.THEME_DAY, date(2025, 1, 1)).period == Period.MONTHLY
    assert book.in_force(OrgKind.BRANCH, MM, date(2010, 1, 1)) is None  # before the 2018 regulations


def test_quarter_boundary_31_march_q1_and_1_april_q2(district, personas):
    branch = district.orgs["a"].branch
    held(branch, MM, date(2025, 3, 31))
    cal = sel.compliance_calendar(branch, 2025, today=date(2026, 1, 5))
    q = row(cal, MM).cells
    assert [c.held for c in q] == [1, 0, 0, 0]
    assert [c.status for c in q] == ["met", "missing", "missing", "missing"]
    held(branch, MM, date(2025, 4, 1))
    q = row(sel.compliance_calendar(branch, 2025, today=date(2025, 12, 31)), MM).cells
    assert [c.held for c in q] == [1, 1, 0, 0]


def test_year_boundary(district, personas):
    branch = district.orgs["a"].branch
    held(branch, MM, date(2024, 12, 31))
    held(branch, MeetingKind.LIFE_MEETING, date(2025, 1, 1))
    cal_2024 = sel.compliance_calendar(branch, 2024, today=date(2025, 6, 1))
    cal_2025 = sel.compliance_calendar(branch, 2025, today=date(2025, 6, 1))
    assert row(cal_2024, MM).cells[3].status == "met"
    assert row(cal_2025, MM).cells[0].status == "missing"
    assert row(cal_2024, MeetingKind.LIFE_MEETING).cells[0].status == "missing"
    assert row(cal_2025, MeetingKind.LIFE_MEETING).cells[0].status == "met"


def test_statuses_for_current_and_future_periods(district):
    branch = district.orgs["a"].branch
    cal = sel.compliance_calendar(branch, 2025, today=date(2025, 5, 15))
    months = row(cal, MeetingKind.THEME_DAY).cells
    assert [c.status for c in months[:6]] == ["missing"] * 4 + ["due_now", "upcoming"]
    held(branch, MeetingKind.THEME_DAY, date(2025, 5, 4))
    months = row(sel.compliance_calendar(branch, 2025, today=date(2025, 5, 15)), MeetingKind.THEME_DAY).cells
    assert months[4].status == "met"


def test_current_period_uses_shanghai_date(district, personas, monkeypatch):
    """16:30 UTC on 31 March is already 1 April in Shanghai: Q1 is over (missing), Q2 is due now."""
    assert settings.TIME_ZONE == "Asia/Shanghai"
    instant = datetime(2025, 3, 31, 16, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    assert sel.today_local() == date(2025, 4, 1)
    cells = row(sel.compliance_calendar(district.orgs["a"].branch, 2025), MM).cells
    assert [c.status for c in cells] == ["missing", "due_now", "upcoming", "upcoming"]


def test_a_later_rule_replaces_the_default(district):
    ObligationRule.objects.create(org_kind=OrgKind.BRANCH, meeting_kind=MeetingKind.PARTY_LESSON,
                                  period=Period.MONTHLY, count=2, valid_from=date(2025, 7, 1))
    cal = sel.compliance_calendar(district.orgs["a"].branch, 2025, today=date(2025, 12, 31))
    assert len(row(cal, MeetingKind.PARTY_LESSON, Period.QUARTERLY).cells) == 2  # Q1, Q2 under the old rule
    monthly = row(cal, MeetingKind.PARTY_LESSON, Period.MONTHLY).cells
    assert [c.span.start.month for c in monthly] == [7, 8, 9, 10, 11, 12]
    assert {c.expected for c in monthly} == {2}


# --- quorum -----------------------------------------------------------------------------------------


@pytest.fixture
def branch_of_four(district):
    """Community A's branch with four voting members besides the member persona and one probationary."""
    branch = district.orgs["a"].branch
    people = members(branch, residents(district.a.building, 4, start=200))
    probationary = members(branch, residents(district.a.building, 1, start=300))[0]
    probationary.status = MemberStatus.PROBATIONARY
    probationary.save(update_fields=["status"])
    everyone = list(branch.members.order_by("pk"))
    return branch, people, probationary, everyone


def test_members_meeting_quorum_exactly_half_is_not_enough(branch_of_four):
    branch, four, probationary, everyone = branch_of_four  # 4 voting, 1 probationary (no vote)
    half = held(branch, MM, date(2025, 2, 10), everyone, present=[*four[:2], probationary])
    assert (half.quorum_base, half.quorum_present, half.quorum_met) == (4, 2, False)
    more = held(branch, MM, date(2025, 5, 10), everyone, present=four[:3])
    assert (more.quorum_present, more.quorum_met) == (3, True)
    cells = row(sel.compliance_calendar(branch, 2025, today=date(2025, 12, 31)), MM).cells
    assert [c.held for c in cells[:2]] == [0, 1]  # the meeting without quorum does not count


def test_members_meeting_odd_base(branch_of_four):
    branch, four, _probationary, everyone = branch_of_four
    four[0].status = MemberStatus.PROBATIONARY  # 3 voting now
    four[0].save(update_fields=["status"])
    one = held(branch, MM, date(2025, 2, 10), everyone, present=[four[0], four[1]])
    assert (one.quorum_base, one.quorum_present, one.quorum_met) == (3, 1, False)
    assert held(branch, MM, date(2025, 2, 11), everyone, present=four[1:3]).quorum_met


def test_committee_meeting_quorum_counts_posts(branch_of_four):
    branch, four, _p, everyone = branch_of_four
    for m in four:
        Position.objects.create(org=branch, person=m.person, title=PositionTitle.COMMITTEE_MEMBER,
                                term_start=date(2024, 1, 1), term_end=date(2027, 1, 1))
    # Two of four committee members and an ordinary member present: exactly half, no quorum.
    half = held(branch, CM, date(2025, 3, 3), everyone, present=[four[0], four[1], everyone[0]])
    assert (half.quorum_rule, half.quorum_base, half.quorum_present, half.quorum_met) == (
        QuorumRule.COMMITTEE_MAJORITY, 4, 2, False)
    assert held(branch, CM, date(2025, 3, 4), everyone, present=four[:3]).quorum_met
    Position.objects.filter(person=four[3].person).update(ended_on=date(2025, 1, 1))
    after = held(branch, CM, date(2025, 3, 5), everyone, present=four[:2])  # an ended post is not counted
    assert (after.quorum_base, after.quorum_present, after.quorum_met) == (3, 2, True)


def test_meeting_without_a_quorum_rule_always_counts(district):
    m = held(district.orgs["a"].branch, MeetingKind.THEME_DAY, date(2025, 1, 5))
    assert (m.quorum_rule, m.quorum_met) == (QuorumRule.NONE, True)


# --- state machine and review ---------------------------------------------------------------------------


def test_state_machine_and_review_only_by_the_higher_organization(district, personas):
    committee = district.orgs["a"].committee  # parent: the subdistrict's working committee
    meeting = meeting_plan(actor=personas.community_a, org=committee, kind=CM, planned_on=date(2025, 3, 1))
    assert meeting.state == MeetingState.PLANNED
    with pytest.raises(ValidationError):
        meeting_submit(actor=personas.community_a, meeting=meeting)  # not held yet
    meeting_record_held(actor=personas.community_a, meeting=meeting, held_on=date(2025, 3, 2), attendance=[],
                        minutes="")
    with pytest.raises(ValidationError) as err:
        meeting_submit(actor=personas.community_a, meeting=meeting)
    assert "minutes" in err.value.message_dict
    meeting_record_held(actor=personas.community_a, meeting=meeting, held_on=date(2025, 3, 2), attendance=[],
                        minutes="We met.")
    meeting_submit(actor=personas.community_a, meeting=meeting)
    assert meeting.state == MeetingState.SUBMITTED
    with pytest.raises(ValidationError):  # a submitted meeting is frozen
        meeting_record_held(actor=personas.community_a, meeting=meeting, held_on=date(2025, 3, 2), attendance=[])
    for lower in (personas.community_a, personas.community_b, personas.grid_worker):
        with pytest.raises(PermissionDenied):
            meeting_review(actor=lower, meeting=meeting, approve=True)
    with pytest.raises(ValidationError) as err:
        meeting_review(actor=personas.subdistrict_staff, meeting=meeting, approve=False, reason="  ")
    assert "reason" in err.value.message_dict
    meeting_review(actor=personas.subdistrict_staff, meeting=meeting, approve=False, reason="No decisions")
    meeting.refresh_from_db()
    assert (meeting.state, meeting.review_reason) == (MeetingState.SENT_BACK, "No decisions")
    # Corrected, resubmitted, approved; a second review is a conflict, not a silent overwrite.
    meeting_record_held(actor=personas.community_a, meeting=meeting, held_on=date(2025, 3, 2), attendance=[],
                        minutes="We met.", decisions="Decided.")
    meeting_submit(actor=personas.community_a, meeting=meeting)
    meeting_review(actor=personas.district_admin, meeting=meeting, approve=True)
    with pytest.raises(ValidationError) as err:
        meeting_review(actor=personas.subdistrict_staff, meeting=meeting, approve=False, reason="late")
    assert "state" in err.value.message_dict
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.APPROVED
    actions = list(AuditEvent.objects.filter(object_id=str(meeting.pk), action__startswith="meeting.")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["meeting.plan", "meeting.record_held", "meeting.record_held", "meeting.submit",
                       "meeting.review", "meeting.record_held", "meeting.submit", "meeting.review"]


def test_branch_meetings_are_reviewed_by_the_community(district, personas):
    """A branch's higher organization is the grid general branch, inside community A's scope."""
    m = held(district.orgs["a"].branch, MM, date(2025, 3, 3), state=MeetingState.SUBMITTED)
    assert sel.can_review(personas.community_a, m) and not sel.can_review(personas.community_b, m)
    meeting_review(actor=personas.community_a, meeting=m, approve=True)
    assert m.state == MeetingState.APPROVED


def test_sent_back_meetings_do_not_count_approved_and_submitted_do(district):
    branch = district.orgs["a"].branch
    held(branch, MeetingKind.THEME_DAY, date(2025, 1, 5), state=MeetingState.SENT_BACK)
    held(branch, MeetingKind.THEME_DAY, date(2025, 2, 5), state=MeetingState.APPROVED)
    held(branch, MeetingKind.THEME_DAY, date(2025, 3, 5), state=MeetingState.SUBMITTED)
    meeting_plan(actor=None, org=branch, kind=MeetingKind.THEME_DAY, planned_on=date(2025, 4, 5))  # planned only
    cells = row(sel.compliance_calendar(branch, 2025, today=date(2025, 12, 31)), MeetingKind.THEME_DAY).cells
    assert [c.held for c in cells[:4]] == [0, 1, 1, 0]


def test_record_held_rejects_future_dates_and_strangers(district):
    branch = district.orgs["a"].branch
    meeting = meeting_plan(actor=None, org=branch, kind=MM, planned_on=date(2025, 3, 1))
    stranger = members(district.orgs["b"].branch, residents(district.b.building, 1, start=400))[0]
    with pytest.raises(ValidationError) as err:
        meeting_record_held(actor=None, meeting=meeting, held_on=date(2025, 3, 1),
                            attendance=[{"member_id": stranger.pk, "present": True}])
    assert "attendance" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        meeting_record_held(actor=None, meeting=meeting, held_on=sel.add_months(sel.today_local(), 1), attendance=[])
    assert "held_on" in err.value.message_dict
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PLANNED and not meeting.attendance.exists()  # nothing half-written


def test_plan_needs_change_permission_in_scope(district, personas):
    for user in (personas.community_b, personas.grid_worker, personas.department):
        with pytest.raises(PermissionDenied):
            meeting_plan(actor=user, org=district.orgs["a"].branch, kind=MM, planned_on=date(2025, 3, 1))


# --- exemptions -----------------------------------------------------------------------------------------------


def test_exemption_marks_the_period_and_is_granted_by_the_higher_organization(district, personas):
    branch = district.orgs["a"].branch
    exemption = exemption_grant(actor=personas.community_a, org=branch, meeting_kind=MM, day=date(2025, 5, 20),
                                reason="Flood relief")
    assert exemption.period_start == date(2025, 4, 1)
    cells = row(sel.compliance_calendar(branch, 2025, today=date(2025, 12, 31)), MM).cells
    assert [c.status for c in cells] == ["missing", "exempt", "missing", "due_now"]
    with pytest.raises(ValidationError):
        exemption_grant(actor=personas.community_a, org=branch, meeting_kind=MM, day=date(2025, 6, 1), reason="x")
    with pytest.raises(PermissionDenied):  # community A's own committee answers to the subdistrict
        exemption_grant(actor=personas.community_a, org=district.orgs["a"].committee, meeting_kind=CM,
                        day=date(2025, 5, 1), reason="x")
    with pytest.raises(ValidationError) as err:  # groups hold no members' meetings
        exemption_grant(actor=personas.community_a, org=district.orgs["a"].group, meeting_kind=MM,
                        day=date(2025, 5, 1), reason="x")
    assert "meeting_kind" in err.value.message_dict
    assert Exemption.objects.count() == 1


# --- roll-up ---------------------------------------------------------------------------------------------------


def _branches(district, n: int) -> list:
    general = district.orgs["a"].general
    return [
        party_org_create(actor=None, parent=general, kind=OrgKind.BRANCH, name=f"Extra {i}", code=f"PX{i:03d}",
                         area=district.a.compound)
        for i in range(n)
    ]


def _rollup_queries(user, year: int, quarter: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        sel.compliance_rollup(user, year, quarter, today=date(2025, 12, 31))
    return len(ctx.captured_queries)


def test_rollup_equals_per_org_calendar_and_runs_fixed_queries(district, personas):
    extra = _branches(district, 2)
    members(extra[0], residents(district.a.building, 2, start=700))
    held(extra[0], MM, date(2025, 4, 2))
    held(extra[0], MeetingKind.THEME_DAY, date(2025, 5, 2))
    exemption_grant(actor=None, org=extra[1], meeting_kind=MM, day=date(2025, 4, 1), reason="merged")
    user = personas.subdistrict_staff
    _rollup_queries(user, 2025, 2)  # warm the user's scope cache, as any request would
    small = _rollup_queries(user, 2025, 2)
    rollup = sel.compliance_rollup(user, 2025, 2, today=date(2025, 12, 31))
    for r in rollup.rows:
        own = sel.compliance_calendar(r.org, 2025, today=date(2025, 12, 31))
        q2 = [(x.kind, c.span, c.held, c.status) for x in own.rows for c in x.cells
              if c.span.start <= date(2025, 6, 30) and c.span.end >= date(2025, 4, 1)]
        assert q2 == [(x.kind, c.span, c.held, c.status) for x in r.calendar.rows for c in x.cells]
        assert r.behind == sum(1 for *_, s in q2 if s == "missing")
    by_org = {r.org.pk: r for r in rollup.rows}
    assert by_org[extra[0].pk].cells[MM] == "met"
    assert by_org[extra[1].pk].cells[MM] == "exempt"
    assert by_org[extra[0].pk].cells[MeetingKind.THEME_DAY] == "missing"  # April and June missing
    assert district.orgs["b"].branch.pk in by_org  # the subdistrict sees community B's branches
    more = [party_org_create(actor=None, parent=district.orgs["a"].general, kind=OrgKind.BRANCH, name=f"More {i}",
                             code=f"PM{i:03d}", area=district.a.compound) for i in range(18)]
    for org in more[:5]:
        held(org, MM, date(2025, 5, 5))
    assert len(sel.compliance_rollup(user, 2025, 2).rows) == len(rollup.rows) + 18
    assert _rollup_queries(user, 2025, 2) == small


def test_rollup_is_scoped(district, personas):
    rollup = sel.compliance_rollup(personas.community_b, 2025, 1, today=date(2025, 12, 31))
    names = {r.org.pk for r in rollup.rows}
    assert district.orgs["b"].branch.pk in names
    assert not names & {district.orgs["a"].branch.pk, district.orgs["a"].committee.pk}


# --- attendance lapses --------------------------------------------------------------------------------------


def test_lapses_at_three_and_six_months(district, personas):
    branch = district.orgs["a"].branch
    today = sel.today_local()
    fresh, talk, edge, escalate = members(branch, residents(district.a.building, 4, start=500))
    everyone = [fresh, talk, edge, escalate]
    absent_at_all = [m for m in branch.members.all() if m not in everyone]  # the member persona, never attended
    held(branch, MeetingKind.THEME_DAY, sel.add_months(today, -6), everyone, present=[escalate])
    held(branch, MeetingKind.THEME_DAY, sel.add_months(today, -3), everyone, present=[talk])
    held(branch, MeetingKind.THEME_DAY, date.fromordinal(sel.add_months(today, -3).toordinal() + 1), everyone,
         present=[edge])
    held(branch, MeetingKind.THEME_DAY, today, everyone, present=[fresh])
    lapses = {x.member.pk: x for x in sel.attendance_lapses(personas.community_a, today=today)}
    assert fresh.pk not in lapses and edge.pk not in lapses  # 3 months less a day: not yet
    assert lapses[talk.pk].level == "talk"
    assert lapses[escalate.pk].level == "escalate"
    assert all(lapses[m.pk].level == "escalate" and not lapses[m.pk].attended for m in absent_at_all)
    # Attendance at a meeting of another kind or an absence with a reason is still no Party life.
    assert sel.attendance_lapses(personas.community_b, today=today) == []


def test_lapse_uses_joining_date_for_members_who_never_attended(district, personas):
    today = sel.today_local()
    new = members(district.orgs["a"].branch, residents(district.a.building, 1, start=600))[0]
    new.joined_on = sel.add_months(today, -1)
    new.save(update_fields=["joined_on"])
    assert new.pk not in {x.member.pk for x in sel.attendance_lapses(personas.community_a, today=today)}
    new.joined_on = sel.add_months(today, -4)
    new.save(update_fields=["joined_on"])
    lapse = next(x for x in sel.attendance_lapses(personas.community_a, today=today) if x.member.pk == new.pk)
    assert lapse.level == "talk" and lapse.since == new.joined_on


def test_lapses_need_people_view(personas):
    assert sel.attendance_lapses(personas.department) == []


# --- scope --------------------------------------------------------------------------------------------------


def test_community_b_cannot_see_a_meetings(district, personas):
    m = held(district.orgs["a"].branch, MM, date(2025, 3, 3))
    assert m in sel.meeting_list(personas.community_a)
    assert not sel.meeting_list(personas.community_b).exists()
    with pytest.raises(Http404):
        sel.meeting_get(personas.community_b, m.pk)
    for user in (personas.member, personas.auditor, personas.sysadmin):
        assert not sel.visible_meetings(user).exists()


def test_add_months_clamps():
    assert sel.add_months(date(2025, 5, 31), -3) == date(2025, 2, 28)
    assert sel.add_months(date(2024, 8, 31), -6) == date(2024, 2, 29)
    assert sel.add_months(date(2025, 1, 15), -1) == date(2024, 12, 15)


def test_holidays_do_not_move_a_meeting_out_of_its_period_nor_excuse_it(district, personas):
    """Obligations run on calendar periods: a meeting held on a statutory holiday counts where its date
    falls, a make-up working day is an ordinary day, and a month of holidays still owes its theme day
    unless the higher organization exempts it."""
    from jiceng.cases.calendar import is_working_day

    branch = district.orgs["a"].branch
    spring, national, make_up = date(2025, 1, 29), date(2025, 10, 1), date(2025, 9, 28)
    # The premise, from the working-day calendar: two holidays and a Sunday worked in their place.
    assert not is_working_day(spring) and not is_working_day(national) and is_working_day(make_up)
    held(branch, MeetingKind.THEME_DAY, spring)  # Spring Festival: January's theme day
    held(branch, MM, make_up)  # make-up working day, a Sunday: Q3's members' meeting
    held(branch, MM, national)  # National Day: Q4's, not Q3's
    cal = sel.compliance_calendar(branch, 2025, today=date(2026, 1, 5))
    theme = row(cal, MeetingKind.THEME_DAY).cells
    assert theme[0].held == 1 and theme[0].status == "met"
    assert theme[1].status == "missing"  # February (holidays till 4 Feb) still owes its theme day
    assert [c.held for c in row(cal, MM).cells] == [0, 0, 1, 1]
    exemption_grant(actor=personas.community_a, org=branch, meeting_kind=MeetingKind.THEME_DAY,
                    day=date(2025, 2, 3), reason="Spring Festival")
    cal = sel.compliance_calendar(branch, 2025, today=date(2026, 1, 5))
    assert row(cal, MeetingKind.THEME_DAY).cells[1].status == "exempt"


def test_six_months_of_unpaid_dues_escalate_a_member_who_attends(district, personas):
    """The 6-month rule counts arrears: a member at every meeting but six months behind with dues is
    escalated; paying one month breaks the run and the flag goes, with nothing swept or stored."""
    from decimal import Decimal

    from jiceng.party.dues_models import DuesClass
    from jiceng.party.dues_services import dues_basis_set, dues_payment_record

    branch = district.orgs["a"].branch
    payer, owes = members(branch, residents(district.a.building, 2, start=650))
    today = date(2026, 5, 1)
    for m in (payer, owes):
        dues_basis_set(actor=None, member=m, dues_class=DuesClass.IN_SERVICE, valid_from=date(2025, 10, 1),
                       pay=Decimal("4000"))
    for month in range(10, 13):
        dues_payment_record(actor=None, member=payer, month=date(2025, month, 1), paid_on=date(2025, 12, 1))
    for month in range(1, 6):
        dues_payment_record(actor=None, member=payer, month=date(2026, month, 1), paid_on=date(2026, 4, 30))
    held(branch, MeetingKind.THEME_DAY, date(2026, 4, 20), [payer, owes])  # both attended last month
    lapses = {x.member.pk: x for x in sel.attendance_lapses(personas.community_a, today=today)}
    assert payer.pk not in lapses
    assert lapses[owes.pk].level == "escalate" and lapses[owes.pk].dues_lapsed and lapses[owes.pk].attended
    dues_payment_record(actor=None, member=owes, month=date(2026, 1, 1), paid_on=date(2026, 4, 30))
    assert owes.pk not in {x.member.pk for x in sel.attendance_lapses(personas.community_a, today=today)}
