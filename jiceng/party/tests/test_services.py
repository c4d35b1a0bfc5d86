from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiceng.accounts.models import AuditEvent
from jiceng.party import services
from jiceng.party.models import Member, MemberStatus, OrgKind, PartyOrg, Position, PositionTitle

from .helpers import residents, today


def _create(actor, parent, kind, code, area, **extra):
    return services.party_org_create(
        actor=actor, parent=parent, kind=kind, code=code, name=f"org {code}", area=area, **extra
    )


def test_create_child_sets_area_path_tree_and_audit(district, personas):
    committee = district.orgs["a"].committee
    org = _create(personas.community_a, committee, OrgKind.BRANCH, "PX-1", district.a.compound)
    org.refresh_from_db()
    assert org.area_path == district.a.compound.path
    assert org.get_parent().pk == committee.pk
    event = AuditEvent.objects.get(action="party_org.create", object_id=str(org.pk))
    assert event.actor == personas.community_a
    assert event.changes["parent"] == committee.code
    assert event.changes["code"] == "PX-1"


@pytest.mark.parametrize(
    ("parent_key", "kind"),
    [
        ("committee", OrgKind.GENERAL_BRANCH),
        ("committee", OrgKind.BRANCH),  # a branch may skip the general branch
        ("general", OrgKind.BRANCH),
        ("branch", OrgKind.GROUP),
    ],
)
def test_allowed_nesting(district, parent_key, kind):
    parent = getattr(district.orgs["a"], parent_key)
    org = _create(None, parent, kind, f"P-{parent_key}-{kind}", district.a.area)
    assert org.kind == kind


@pytest.mark.parametrize(
    ("parent_key", "kind"),
    [
        ("committee", OrgKind.GROUP),
        ("committee", OrgKind.COMMITTEE),
        ("general", OrgKind.GENERAL_BRANCH),
        ("general", OrgKind.GROUP),
        ("branch", OrgKind.BRANCH),
        ("group", OrgKind.GROUP),
        ("committee", OrgKind.WORKING_COMMITTEE),
    ],
)
def test_refused_nesting_is_a_kind_error_and_writes_nothing(district, parent_key, kind):
    parent = getattr(district.orgs["a"], parent_key)
    before = (PartyOrg.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        _create(None, parent, kind, "P-BAD", district.a.area)
    assert "kind" in exc.value.message_dict
    assert (PartyOrg.objects.count(), AuditEvent.objects.count()) == before


def test_roots_only_for_working_committee_or_committee(district):
    assert _create(None, None, OrgKind.COMMITTEE, "P-ROOT-C", district.s2).is_root()
    with pytest.raises(ValidationError) as exc:
        _create(None, None, OrgKind.BRANCH, "P-ROOT-B", district.s2)
    assert "parent" in exc.value.message_dict


def test_code_unique_name_required_no_future_founding(district):
    with pytest.raises(ValidationError) as exc:
        services.party_org_create(
            actor=None,
            parent=district.orgs["a"].committee,
            kind=OrgKind.BRANCH,
            code=district.orgs["b"].branch.code,
            name=" ",
            area=district.a.area,
            founded_on=today() + timedelta(days=1),
        )
    assert set(exc.value.message_dict) == {"code", "name", "founded_on"}


def test_scope_and_permission(district, personas):
    committee_a = district.orgs["a"].committee
    # Community B governs nothing of A: neither A's tree nor A's areas.
    with pytest.raises(PermissionDenied):
        _create(personas.community_b, committee_a, OrgKind.BRANCH, "P-X1", district.a.area)
    # Community A may not anchor an organization in B, even under its own tree.
    with pytest.raises(PermissionDenied):
        _create(personas.community_a, committee_a, OrgKind.BRANCH, "P-X2", district.b.area)
    # Seeing is not changing.
    for persona in (personas.grid_worker, personas.department, personas.member, personas.auditor):
        with pytest.raises(PermissionDenied):
            _create(persona, district.orgs["a"].general, OrgKind.BRANCH, "P-X3", district.a.grid)
    assert not PartyOrg.objects.filter(code__startswith="P-X").exists()


def test_position_assign_and_end(district, personas):
    org = district.orgs["a"].branch
    person = district.a.resident
    pos = services.position_assign(
        actor=personas.community_a,
        org=org,
        person=person,
        title=PositionTitle.SECRETARY,
        term_start=date(2024, 1, 1),
        term_end=date(2027, 1, 1),
    )
    assert AuditEvent.objects.filter(action="position.assign", object_id=str(pos.pk)).exists()
    other = residents(district.a.building, 1)[0]
    with pytest.raises(ValidationError) as exc:
        services.position_assign(
            actor=personas.community_a, org=org, person=other, title=PositionTitle.SECRETARY,
            term_start=date(2024, 1, 1), term_end=date(2027, 1, 1),
        )
    assert "title" in exc.value.message_dict  # one secretary at a time
    services.position_end(actor=personas.community_a, position=pos, ended_on=date(2025, 6, 1))
    pos.refresh_from_db()
    assert pos.ended_on == date(2025, 6, 1)
    assert AuditEvent.objects.filter(action="position.end", object_id=str(pos.pk)).exists()
    with pytest.raises(ValidationError):
        services.position_end(actor=personas.community_a, position=pos, ended_on=date(2025, 6, 2))
    # With the old term ended, a new secretary may be assigned.
    services.position_assign(
        actor=personas.community_a, org=org, person=other, title=PositionTitle.SECRETARY,
        term_start=date(2025, 6, 1), term_end=date(2028, 6, 1),
    )


def test_position_validation(district, personas):
    org = district.orgs["a"].committee
    with pytest.raises(ValidationError) as exc:
        services.position_assign(
            actor=None, org=org, person=district.a.resident, title=PositionTitle.COMMITTEE_MEMBER,
            term_start=date(2025, 1, 1), term_end=date(2024, 1, 1), is_part_time=True,
        )
    assert set(exc.value.message_dict) == {"term_end", "source_unit"}
    with pytest.raises(ValidationError) as exc:
        services.position_assign(
            actor=None, org=org, person=district.a.resident, title="chairman",
            term_start=date(2024, 1, 1), term_end=date(2029, 1, 1), source_unit=district.property_company,
        )
    assert set(exc.value.message_dict) == {"title", "source_unit"}
    pos = services.position_assign(
        actor=None, org=org, person=district.a.resident, title=PositionTitle.COMMITTEE_MEMBER,
        term_start=date(2024, 1, 1), term_end=date(2029, 1, 1), is_part_time=True,
        source_unit=district.property_company,
    )
    assert pos.source_unit == district.property_company
    with pytest.raises(PermissionDenied):
        services.position_assign(
            actor=personas.community_b, org=org, person=district.b.resident, title=PositionTitle.ORGANIZER,
            term_start=date(2024, 1, 1), term_end=date(2029, 1, 1),
        )
    with pytest.raises(PermissionDenied):
        services.position_end(actor=personas.community_b, position=pos, ended_on=date(2025, 1, 1))
    assert Position.objects.filter(org=org).count() == 1


def test_member_create_dates_and_audit(district, personas):
    org = district.orgs["a"].branch
    p1, p2, p3 = residents(district.a.building, 3)
    m = services.member_create(
        actor=personas.community_a, person=p1, org=org, category="retired",
        joined_on=date(1990, 7, 1), full_on=date(1991, 7, 1),
    )
    assert m.area_path == org.area_path
    assert AuditEvent.objects.filter(action="member.create", object_id=str(m.pk)).exists()
    with pytest.raises(ValidationError) as exc:
        services.member_create(
            actor=None, person=p2, org=org, category="retired", status=MemberStatus.PROBATIONARY,
            full_on=date(2025, 1, 1),
        )
    assert set(exc.value.message_dict) == {"full_on", "joined_on"}
    with pytest.raises(ValidationError) as exc:
        services.member_create(
            actor=None, person=p2, org=org, category="retired", joined_on=date(2020, 1, 1), full_on=date(2019, 1, 1)
        )
    assert set(exc.value.message_dict) == {"full_on"}
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=None, person=p1, org=org, category="nobody")
    assert set(exc.value.message_dict) == {"person", "category"}
    with pytest.raises(PermissionDenied):
        services.member_create(actor=personas.community_b, person=p3, org=org, category="retired")
    assert Member.objects.filter(person__in=[p2, p3]).count() == 0


def test_member_update_transfer_needs_both_scopes(district, personas):
    member = Member.objects.get(person=district.a.resident)
    target = district.orgs["b"].branch
    with pytest.raises(PermissionDenied):
        services.member_update(actor=personas.community_a, member=member, org=target)
    services.member_update(
        actor=personas.subdistrict_staff, member=member, org=target, status=MemberStatus.PROBATIONARY,
        joined_on=date(2025, 3, 1),
    )
    member.refresh_from_db()
    assert member.org == target and member.area_path == target.area_path
    event = AuditEvent.objects.get(action="member.update", object_id=str(member.pk))
    assert event.changes["org"] == [district.orgs["a"].branch.code, target.code]
    assert event.changes["joined_on"] == [None, "2025-03-01"]
    with pytest.raises(ValidationError) as exc:
        services.member_update(actor=None, member=member, full_on=date(2025, 4, 1))
    assert "full_on" in exc.value.message_dict
