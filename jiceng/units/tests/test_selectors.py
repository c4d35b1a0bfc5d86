import pytest
from django.http import Http404

from jiceng.accounts.models import AuditEvent, AuditKind, Role, RoleGrant, User
from jiceng.units import selectors, services


@pytest.fixture
def units(district):
    """A unit registered in B, one in C serving A's grid, one in C serving nothing of S1."""
    return {
        "b": services.unit_create(actor=None, kind="enterprise", name="B企业", code="E-B", home_area=district.b.area),
        "c_serving_a": services.unit_create(
            actor=None, kind="social_org", name="C社会组织", code="S-C", home_area=district.c.area,
            areas_served=[district.a.grid],
        ),
        "c": services.unit_create(actor=None, kind="enterprise", name="C企业", code="E-C", home_area=district.c.area),
    }


def _codes(user, **filters):
    return [u.code for u in selectors.unit_list(user, **filters)]


def test_directory_per_persona(district, personas, units):
    # A: the property company in A, the department serving S1 (which contains A), the unit serving A's grid.
    assert set(_codes(personas.community_a)) == {"PC-A", "DEPT-CG", "S-C"}
    # B sees nothing of A: not A's property company, not the unit serving A's grid.
    assert set(_codes(personas.community_b)) == {"E-B", "DEPT-CG"}
    assert set(_codes(personas.grid_worker)) == {"PC-A", "DEPT-CG", "S-C"}
    assert set(_codes(personas.subdistrict_staff)) == {"PC-A", "DEPT-CG", "S-C", "E-B"}
    assert set(_codes(personas.district_admin)) == {"PC-A", "DEPT-CG", "S-C", "E-B", "E-C"}
    assert _codes(personas.auditor) == [] and _codes(personas.member) == []


def test_department_sees_its_own_unit_even_from_a_narrow_grant(district, units):
    """A handler granted on a unit registered in C, serving only C, still sees their own unit."""
    handler = User.objects.create_user(username="h", password="x-Long-pass-1")
    RoleGrant.objects.create(user=handler, role=Role.DEPARTMENT_HANDLER, unit=units["c"])
    assert "E-C" in _codes(handler)
    assert "PC-A" not in _codes(handler)


def test_filters(district, personas, units):
    assert _codes(personas.district_admin, kind="enterprise") == ["E-B", "E-C"]
    assert _codes(personas.district_admin, q="C社会") == ["S-C"]
    assert _codes(personas.district_admin, q="pc-a") == ["PC-A"]


def test_unit_get_out_of_scope_is_404_and_logged(district, personas, units):
    with pytest.raises(Http404):
        selectors.unit_get(personas.community_b, district.property_company.pk)
    assert AuditEvent.objects.filter(
        kind=AuditKind.SECURITY, actor=personas.community_b, object_type="units.unit",
        object_id=str(district.property_company.pk),
    ).exists()
    with pytest.raises(Http404):
        selectors.unit_get(personas.community_b, 999999)


def test_detail_gathers_contacts_areas_orgs_posts(district, personas):
    from datetime import date

    from jiceng.party.models import Position

    unit = district.property_company
    services.contact_add(actor=None, unit=unit, name="王经理", phone="13912345678")
    services.unit_role_assign(actor=None, unit=unit, person=district.a.resident, title="经理")
    branch = district.orgs["a"].branch
    branch.unit = unit
    branch.save()
    Position.objects.create(
        org=district.orgs["a"].committee, person=district.a.resident, title="committee_member", is_part_time=True,
        source_unit=unit, term_start=date(2024, 1, 1), term_end=date(2029, 1, 1),
    )
    info = selectors.unit_detail(personas.community_a, unit.pk)
    assert [c.phone_masked for c in info.contacts] == ["139****5678"]
    assert [r.person.name for r in info.roles] == [district.a.resident.name]
    assert [o.pk for o in info.party_orgs] == [branch.pk]
    assert [p.org_id for p in info.part_time_positions] == [district.orgs["a"].committee.pk]
    # The grid worker sees the unit but not the committee above their grid.
    info = selectors.unit_detail(personas.grid_worker, unit.pk)
    assert info.part_time_positions == [] and [o.pk for o in info.party_orgs] == [branch.pk]
