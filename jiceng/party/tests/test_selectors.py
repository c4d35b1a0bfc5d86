from datetime import timedelta

import pytest
from django.http import Http404

from jiceng.accounts.models import AuditEvent, AuditKind
from jiceng.party import selectors
from jiceng.party.models import PositionTitle
from jiceng.party.selectors import DueState

from .helpers import members, position, residents, today


def test_due_state_is_derived_from_term_end(district):
    org = district.orgs["a"].committee
    people = residents(district.a.building, 6)
    cases = {-1: DueState.OVERDUE, 0: DueState.DUE_SOON, 30: DueState.DUE_SOON, 90: DueState.DUE_SOON,
             91: DueState.CURRENT, 400: DueState.CURRENT}
    made = {days: position(org, p, days_left=days) for days, p in zip(cases, people, strict=True)}
    states = {p.pk: p.due_state for p in selectors.org_positions(None, org)}
    assert {days: states[p.pk] for days, p in made.items()} == cases


def test_positions_due_lists_overdue_and_soon_in_scope_only(district, personas):
    a, b = district.orgs["a"], district.orgs["b"]
    pa, pb = residents(district.a.building, 4), residents(district.b.building, 1, start=200)
    overdue = position(a.committee, pa[0], days_left=-10, title=PositionTitle.SECRETARY)
    soon = position(a.branch, pa[1], days_left=20)
    position(a.branch, pa[2], days_left=200)  # not due yet
    ended = position(a.general, pa[3], days_left=-100)
    ended.ended_on = today() - timedelta(days=50)
    ended.save()
    in_b = position(b.committee, pb[0], days_left=5)

    due = list(selectors.positions_due(personas.community_a))
    assert [p.pk for p in due] == [overdue.pk, soon.pk]
    assert [p.due_state for p in due] == [DueState.OVERDUE, DueState.DUE_SOON]
    assert [p.pk for p in selectors.positions_due(personas.community_a, state=DueState.DUE_SOON)] == [soon.pk]
    assert [p.pk for p in selectors.positions_due(personas.community_b)] == [in_b.pk]
    assert {p.pk for p in selectors.positions_due(personas.subdistrict_staff)} == {overdue.pk, soon.pk, in_b.pk}
    assert list(selectors.positions_due(personas.auditor)) == []


def test_org_detail_due_and_part_time(district, personas):
    org = district.orgs["a"].committee
    p1, p2 = residents(district.a.building, 2)
    position(org, p1, days_left=300, title=PositionTitle.SECRETARY)
    part = position(org, p2, days_left=60, is_part_time=True, source_unit=district.property_company)
    info = selectors.org_detail(personas.community_a, org.pk)
    assert info.reelection_due == part.term_end
    assert info.due_state == DueState.DUE_SOON
    assert [p.pk for p in info.part_time] == [part.pk]
    assert [c.pk for c in info.children] == [district.orgs["a"].general.pk]
    assert [a.pk for a in info.ancestors] == []  # the working committee is above community A's scope
    assert [a.pk for a in selectors.org_detail(personas.subdistrict_staff, org.pk).ancestors] == [
        district.working_committee.pk
    ]


@pytest.mark.parametrize(
    ("persona", "roots"),
    [
        ("district_admin", ["working_committee"]),
        ("subdistrict_staff", ["working_committee"]),
        ("community_a", ["a.committee"]),
        ("community_b", ["b.committee"]),
        ("grid_worker", ["a.general"]),
        ("member", []),
        ("auditor", []),
        ("sysadmin", []),
    ],
)
def test_tree_roots_per_persona(district, personas, persona, roots):
    def resolve(key):
        if key == "working_committee":
            return district.working_committee.pk
        side, attr = key.split(".")
        return getattr(district.orgs[side], attr).pk

    assert [o.pk for o in selectors.org_roots(getattr(personas, persona))] == [resolve(k) for k in roots]


def test_children_count_only_visible_ones(district, personas):
    [root] = selectors.org_roots(personas.subdistrict_staff)
    assert root.visible_children == 2
    kids = list(selectors.org_children(personas.subdistrict_staff, root))
    assert [k.pk for k in kids] == [district.orgs["a"].committee.pk, district.orgs["b"].committee.pk]
    assert all(k.visible_children == 1 for k in kids)


def test_community_b_sees_nothing_of_a(district, personas):
    b = personas.community_b
    a_orgs = vars(district.orgs["a"]).values()
    visible = set(selectors.visible_orgs(b).values_list("pk", flat=True))
    assert visible.isdisjoint({o.pk for o in a_orgs})
    for org in a_orgs:
        with pytest.raises(Http404):
            selectors.org_get(b, org.pk)
    assert AuditEvent.objects.filter(
        kind=AuditKind.SECURITY, action="access.out_of_scope", object_type="party.partyorg", actor=b
    ).count() == len(a_orgs)
    assert list(selectors.org_members(b, district.orgs["a"].committee)) == []


def test_members_of_a_subtree_with_filters(district, personas):
    committee = district.orgs["a"].committee
    people = residents(district.a.building, 3)
    members(district.orgs["a"].group, people[:2], category="retired")
    members(committee, people[2:], category="mobile")
    names = [m.person.name for m in selectors.org_members(personas.community_a, committee)]
    assert len(names) == 4  # three new ones and the fixture's member in the branch
    assert [m.person.name for m in selectors.org_members(personas.community_a, committee, category="mobile")] == [
        people[2].name
    ]
    branch_members = selectors.org_members(personas.community_a, district.orgs["a"].branch, category="retired")
    assert {m.person.pk for m in branch_members} == {people[0].pk, people[1].pk}
    assert selectors.org_members(personas.community_a, committee, q=people[1].name).count() == 1
