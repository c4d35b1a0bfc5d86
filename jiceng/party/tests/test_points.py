"""Points (积分制): the default rulebook (5 categories, 15 items), the rulebook across year boundaries and
versions, caps, class exclusions and weights, the approval rule for manual awards, idempotent posting
(from sources and from approved meetings), and the ranking equal to a recount with a fixed query count."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from jiceng.accounts.models import AuditEvent
from jiceng.party import points_selectors as sel
from jiceng.party.meeting_models import MeetingKind
from jiceng.party.meeting_services import meeting_plan, meeting_record_held, meeting_review, meeting_submit
from jiceng.party.models import MemberCategory
from jiceng.party.points_models import AwardState, PointsEntry, PointsRulebook, SourceKind
from jiceng.party.points_services import (
    ClassSpec,
    ItemSpec,
    points_award_decide,
    points_award_propose,
    points_post_for_source,
    points_rulebook_edit,
)

from .helpers import members, residents


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def specs(rulebook: PointsRulebook, **changes) -> list[ItemSpec]:
    """The rulebook's items as specs, with {code: {field: value}} changes applied."""
    out = []
    for item in rulebook.items.select_related("category").order_by("order"):
        spec = ItemSpec(code=item.code, name=item.name, category_code=item.category.code, points=item.points,
                        yearly_cap=item.yearly_cap, unit=item.unit, source_kind=item.source_kind,
                        source_detail=item.source_detail, active=item.active)
        for field, value in changes.get(item.code.replace(".", "_"), {}).items():
            setattr(spec, field, value)
        out.append(spec)
    return out


def post_hours(member, source_id: int, hours, on: date, actor=None):
    return points_post_for_source(actor=actor, source_kind=SourceKind.SERVICE_RECORD, source_id=source_id,
                                  member=member, at=on, quantity=hours)


@pytest.fixture
def branch_members(district):
    return members(district.orgs["a"].branch, residents(district.a.building, 4, start=300))


def test_the_default_rulebook_has_the_seeds_five_categories_and_fifteen_items(db):
    rules = sel.Rules.for_year(2026)
    assert rules is not None and rules.rulebook.version == 1
    assert len(rules.categories) == 5 and len(rules.items) == 15
    assert {c.name for c in rules.categories} == {"政治学习", "组织生活", "服务群众", "先锋作用", "遵规守纪"}
    # Deductions are items with negative points; every automatic source has an item.
    assert sum(1 for i in rules.items if i.points < 0) == 3
    assert rules.item_for_source(SourceKind.MEETING, MeetingKind.THEME_DAY).code == "life.theme_day"
    assert rules.item_for_source(SourceKind.SERVICE_RECORD).code == "service.record"
    assert rules.item_for_source(SourceKind.VOLUNTEER_HOURS).code == "service.volunteer"
    assert sel.Rules.for_year(2017) is None


def test_posting_is_idempotent_per_source_and_member(branch_members):
    m = branch_members[0]
    first = post_hours(m, 7, 3, date(2025, 5, 1))
    again = post_hours(m, 7, 3, date(2025, 5, 1))
    assert first.pk == again.pk and first.points == Decimal("3.00")
    assert PointsEntry.objects.filter(member=m).count() == 1
    assert AuditEvent.objects.filter(action="points.post").count() == 1
    # The same source for another member is another entry; another source for the same member too.
    post_hours(branch_members[1], 7, 3, date(2025, 5, 1))
    post_hours(m, 8, 2, date(2025, 5, 2))
    assert PointsEntry.objects.count() == 3


def test_yearly_cap_cuts_the_entry_that_passes_it_and_resets_next_year(branch_members):
    m = branch_members[0]  # service.record: 1 per hour, cap 40
    a = post_hours(m, 1, 30, date(2025, 6, 1))
    b = post_hours(m, 2, 15, date(2025, 7, 1))
    c = post_hours(m, 3, 5, date(2025, 12, 31))
    assert (a.points, b.points, b.requested, b.capped) == (Decimal(30), Decimal(10), Decimal(15), True)
    assert (c.points, c.capped) == (Decimal(0), True)  # written, so the event is seen, but worth nothing
    # 1 January is the next year: its own cap.
    d = post_hours(m, 4, 5, date(2026, 1, 1))
    assert (d.year, d.points, d.capped) == (2026, Decimal(5), False)
    assert sel.member_ledger(m, 2025).total == Decimal(40)


def test_deduction_cap_bounds_the_absolute_total(branch_members, personas, district):
    m = branch_members[0]
    other = _second_changer(district)
    for i in range(7):  # discipline.absence: −2 each, cap 12
        award = points_award_propose(actor=personas.community_a, member=m, item_code="discipline.absence",
                                     occurred_on=date(2025, 3, 1 + i), reason=f"absent {i}")
        points_award_decide(actor=other, award=award, approve=True)
    points = list(PointsEntry.objects.filter(member=m).order_by("pk").values_list("points", flat=True))
    assert points == [Decimal(-2)] * 6 + [Decimal(0)]
    assert sel.member_ledger(m, 2025).total == Decimal(-12)


def test_the_rulebook_of_the_events_year_applies_across_the_year_boundary(branch_members, personas):
    base = sel.rulebook_in_force(2026)
    points_rulebook_edit(actor=personas.district_admin, year=2026,
                         items=specs(base, service_record={"points": Decimal(2)}), note="double in 2026")
    m = branch_members[0]
    old = post_hours(m, 10, 1, date(2025, 12, 31))
    new = post_hours(m, 11, 1, date(2026, 1, 1))
    assert (old.year, old.points, old.rulebook.year) == (2025, Decimal(1), 2018)
    assert (new.year, new.points, new.rulebook.year) == (2026, Decimal(2), 2026)
    # Years after 2026 follow 2026's rules until a later year's.
    assert sel.rulebook_in_force(2030).year == 2026 and sel.rulebook_in_force(2025).year == 2018


def test_editing_makes_a_new_version_and_keeps_the_older(branch_members, personas):
    base = sel.rulebook_in_force(2025)
    m = branch_members[0]
    before = post_hours(m, 1, 4, date(2025, 3, 1))
    v1 = points_rulebook_edit(actor=personas.district_admin, year=2025,
                              items=specs(base, service_record={"points": Decimal("1.5")}))
    v2 = points_rulebook_edit(actor=personas.district_admin, year=2025,
                              items=specs(v1, service_record={"points": Decimal(3)}))
    assert (v1.year, v1.version, v2.version) == (2025, 1, 2)
    assert sel.rulebook_in_force(2025).pk == v2.pk
    # The posted entry keeps its version and points; the default is untouched for 2018–2024.
    before.refresh_from_db()
    assert (before.rulebook_id, before.points) == (base.pk, Decimal(4))
    assert sel.rulebook_in_force(2024).pk == base.pk
    assert base.items.get(code="service.record").points == Decimal(1)
    after = post_hours(m, 2, 4, date(2025, 4, 1))
    assert (after.rulebook_id, after.points) == (v2.pk, Decimal(12))
    # The cap counts by item code across versions: 4 + 12 so far, of 40.
    last = post_hours(m, 3, 10, date(2025, 5, 1))
    assert (last.points, last.capped) == (Decimal(24), True)


def test_only_the_district_administrator_edits_the_rulebook_and_errors_name_fields(personas):
    base = sel.rulebook_in_force(2025)
    for persona in (personas.subdistrict_staff, personas.community_a, personas.member):
        with pytest.raises(PermissionDenied):
            points_rulebook_edit(actor=persona, year=2025, items=specs(base))
    with pytest.raises(ValidationError) as err:
        points_rulebook_edit(actor=personas.district_admin, year=2025,
                             items=specs(base, study_self={"points": "lots"}, study_report={"code": "study.self"}))
    assert set(err.value.message_dict) == {"items-1-points", "items-2-code"}
    assert PointsRulebook.objects.count() == 1


def test_excluded_and_weighted_member_classes(district, personas):
    org = district.orgs["a"].branch
    retired = members(org, residents(district.a.building, 1, start=400), MemberCategory.RETIRED)[0]
    mobile = members(org, residents(district.a.building, 1, start=401), MemberCategory.MOBILE)[0]
    worker = members(org, residents(district.a.building, 1, start=402), MemberCategory.NEW_EMPLOYMENT)[0]
    base = sel.rulebook_in_force(2025)
    points_rulebook_edit(
        actor=personas.district_admin, year=2025, items=specs(base),
        class_rules=[ClassSpec(MemberCategory.MOBILE, excluded=True),
                     ClassSpec(MemberCategory.NEW_EMPLOYMENT, weight="1.5"),
                     ClassSpec(MemberCategory.RETIRED, weight="0.5", item_code="service.record")],
    )
    assert post_hours(mobile, 1, 4, date(2025, 3, 1)) is None
    assert post_hours(worker, 1, 4, date(2025, 3, 1)).points == Decimal(6)
    assert post_hours(retired, 1, 4, date(2025, 3, 1)).points == Decimal(2)
    # The retired weight is for that item only; another item counts in full.
    volunteer = points_post_for_source(actor=None, source_kind=SourceKind.VOLUNTEER_HOURS, source_id=1,
                                       member=retired, at=date(2025, 3, 2), quantity=4)
    assert volunteer.points == Decimal(4) and volunteer.weight == Decimal(1)
    # The class rules are of the 2025 version: 2024 knows none of them.
    assert post_hours(mobile, 2, 4, date(2024, 3, 1)).points == Decimal(4)


def _second_changer(district):
    from jiceng.accounts.models import Role, RoleGrant, User

    user = User.objects.create_user(username="second_a", password="x-Long-pass-2026")
    RoleGrant.objects.create(user=user, role=Role.COMMUNITY_STAFF, area=district.a.area)
    return user


def test_manual_award_needs_a_reason_and_another_approver(branch_members, personas, district):
    m = branch_members[0]
    with pytest.raises(ValidationError) as err:
        points_award_propose(actor=personas.community_a, member=m, item_code="pioneer.honour",
                             occurred_on=date(2025, 5, 1), reason=" ")
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:  # automatic items are not awarded by hand
        points_award_propose(actor=personas.community_a, member=m, item_code="service.record",
                             occurred_on=date(2025, 5, 1), reason="helped")
    assert "item_code" in err.value.message_dict
    with pytest.raises(PermissionDenied):  # community B governs nothing of A
        points_award_propose(actor=personas.community_b, member=m, item_code="pioneer.honour",
                             occurred_on=date(2025, 5, 1), reason="award")
    award = points_award_propose(actor=personas.community_a, member=m, item_code="pioneer.honour",
                                 occurred_on=date(2025, 5, 1), reason="City award")
    assert award.state == AwardState.PROPOSED and not PointsEntry.objects.exists()
    with pytest.raises(ValidationError) as err:
        points_award_decide(actor=personas.community_a, award=award, approve=True)
    assert "decision" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        points_award_decide(actor=personas.community_b, award=award, approve=True)
    with pytest.raises(PermissionDenied):
        points_award_decide(actor=None, award=award, approve=True)
    with pytest.raises(ValidationError):  # a rejection needs a reason
        points_award_decide(actor=personas.subdistrict_staff, award=award, approve=False)
    points_award_decide(actor=personas.subdistrict_staff, award=award, approve=True)
    entry = PointsEntry.objects.get()
    assert (entry.points, entry.source_kind, entry.source_id, entry.approved_by) == (
        Decimal(10), SourceKind.MANUAL, award.pk, personas.subdistrict_staff)
    assert entry.reason == "City award"
    # Decided once: a second decision is a conflict, not a second entry.
    stale = type(award).objects.get(pk=award.pk)
    stale.state = AwardState.PROPOSED
    with pytest.raises(ValidationError):
        points_award_decide(actor=_second_changer(district), award=stale, approve=True)
    assert PointsEntry.objects.count() == 1


def test_a_rejected_award_posts_nothing(branch_members, personas):
    award = points_award_propose(actor=personas.community_a, member=branch_members[0], item_code="study.self",
                                 occurred_on=date(2025, 5, 1), reason="Online course")
    points_award_decide(actor=personas.district_admin, award=award, approve=False, reason="No evidence")
    award.refresh_from_db()
    assert award.state == AwardState.REJECTED and award.decision_reason == "No evidence"
    assert not PointsEntry.objects.exists()


def test_an_approved_meeting_credits_those_present_once(district, personas, branch_members):
    org = district.orgs["a"].branch
    meeting = meeting_plan(actor=None, org=org, kind=MeetingKind.THEME_DAY, planned_on=date(2025, 3, 3))
    everyone = list(org.members.all())
    present = everyone[:3]
    meeting_record_held(actor=None, meeting=meeting, held_on=date(2025, 3, 3), minutes="m",
                        attendance=[{"member_id": m.pk, "present": m in present} for m in everyone])
    meeting_submit(actor=None, meeting=meeting)
    assert not PointsEntry.objects.exists()  # held and submitted is not yet verified
    meeting_review(actor=personas.subdistrict_staff, meeting=meeting, approve=True)
    entries = PointsEntry.objects.filter(source_kind=SourceKind.MEETING, source_id=meeting.pk)
    assert sorted(e.member_id for e in entries) == sorted(m.pk for m in present)
    assert {(e.item_code, e.points, e.approved_by_id) for e in entries} == {
        ("life.theme_day", Decimal(2), personas.subdistrict_staff.pk)}
    from jiceng.party.points_services import points_post_for_meeting

    points_post_for_meeting(actor=None, meeting=meeting)
    assert entries.count() == 3


def test_a_sent_back_meeting_credits_nobody(district, personas, branch_members):
    org = district.orgs["a"].branch
    meeting = meeting_plan(actor=None, org=org, kind=MeetingKind.THEME_DAY, planned_on=date(2025, 3, 3))
    meeting_record_held(actor=None, meeting=meeting, held_on=date(2025, 3, 3), minutes="m",
                        attendance=[{"member_id": m.pk, "present": True} for m in org.members.all()])
    meeting_submit(actor=None, meeting=meeting)
    meeting_review(actor=personas.subdistrict_staff, meeting=meeting, approve=False, reason="no photos")
    assert not PointsEntry.objects.exists()


def test_posting_needs_org_change_and_a_real_source(branch_members, personas):
    with pytest.raises(PermissionDenied):
        post_hours(branch_members[0], 1, 1, date(2025, 1, 1), actor=personas.member)
    with pytest.raises(ValueError):
        points_post_for_source(actor=None, source_kind=SourceKind.MANUAL, source_id=1, member=branch_members[0],
                               at=date(2025, 1, 1))
    with pytest.raises(ValidationError):
        post_hours(branch_members[0], 1, 0, date(2025, 1, 1))
    # A community worker confirming a service record may post for a member of another community's branch.
    entry = post_hours(branch_members[0], 1, 2, date(2025, 1, 1), actor=personas.community_b)
    assert entry.points == Decimal(2) and entry.approved_by == personas.community_b


def _recount(year: int) -> dict[int, Decimal]:
    totals = defaultdict(Decimal)
    for member_id, points in PointsEntry.objects.filter(year=year).values_list("member_id", "points"):
        totals[member_id] += points
    return totals


def test_ranking_equals_a_recount_with_competition_ranks(district, personas):
    a_branch, b_branch = district.orgs["a"].branch, district.orgs["b"].branch
    a = members(a_branch, residents(district.a.building, 5, start=500))
    b = members(b_branch, residents(district.b.building, 3, start=600))
    group = members(district.orgs["a"].group, residents(district.a.building, 1, start=700))
    hours = {a[0].pk: 5, a[1].pk: 5, a[2].pk: 3, b[0].pk: 8, group[0].pk: 4}
    for i, (member_id, h) in enumerate(hours.items()):
        member = next(m for m in [*a, *b, *group] if m.pk == member_id)
        post_hours(member, i, h, date(2025, 4, 1))
    post_hours(a[3], 99, 6, date(2024, 4, 1))  # another year: not counted in 2025
    data = sel.points_ranking(personas.district_admin, 2025)
    recount = _recount(2025)
    everyone = {r.member_id: r for r in data.members}
    assert {k: v.total for k, v in everyone.items() if v.total} == dict(recount)
    assert everyone[a[3].pk].total == 0 and personas.member.person.member.pk in everyone
    # Branch A counts its group's member: 5, 5, 4, 3, 0, 0 (+ the member persona's 0) → ranks 1, 1, 3, 4, 5 …
    assert (everyone[a[0].pk].rank_in_branch, everyone[a[1].pk].rank_in_branch) == (1, 1)
    assert everyone[group[0].pk].rank_in_branch == 3 and everyone[a[2].pk].rank_in_branch == 4
    assert everyone[a[3].pk].rank_in_branch == 5
    assert everyone[b[0].pk].rank_in_branch == 1 and everyone[b[0].pk].rank_in_community == 1
    branch_totals = {g.name: (g.members, g.total) for g in data.branches}
    assert branch_totals[a_branch.name] == (7, Decimal(17)) and branch_totals[b_branch.name] == (3, Decimal(8))
    assert {g.name: g.total for g in data.communities} == {"A社区": Decimal(17), "B社区": Decimal(8)}
    # Community B's worker sees B alone; the member persona sees no ranking.
    assert {r.member_id for r in sel.points_ranking(personas.community_b, 2025).members} == {m.pk for m in b}
    assert sel.points_ranking(personas.member, 2025).members == []


@pytest.mark.parametrize("n", [3, 30])
def test_ranking_runs_a_fixed_number_of_queries(district, personas, n):
    people = members(district.orgs["a"].branch, residents(district.a.building, n, start=100))
    for i, m in enumerate(people):
        post_hours(m, i, 1 + i % 4, date(2025, 2, 1))
    user = type(personas.community_a).objects.get(pk=personas.community_a.pk)
    with CaptureQueriesContext(connection) as ctx:
        data = sel.points_ranking(user, 2025)
    assert len(data.members) == n + 1
    # The scope (grants, their units' areas), the GROUP BY, organization and community names: five at any size.
    assert len(ctx.captured_queries) == 5
