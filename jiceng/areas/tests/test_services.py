"""area_create, area_update and area_delete: permission, scope, validation and audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiceng.accounts.models import AuditEvent
from jiceng.areas.models import Area
from jiceng.areas.services import area_create, area_delete, area_update
from jiceng.testing import square

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[119.30, 26.08], [119.31, 26.09], [119.31, 26.08], [119.30, 26.09], [119.30, 26.08]]],
}


def _events(action: str, area: Area):
    return AuditEvent.objects.filter(action=action, object_type="areas.area", object_id=str(area.pk))


def test_update_writes_fields_and_audits(district, personas):
    grid = district.a.grid
    area_update(
        actor=personas.community_a,
        area=grid,
        name="A社区一网格",
        population=812,
        households=301,
        address="鼓东路1号",
    )
    grid.refresh_from_db()
    assert (grid.name, grid.population, grid.households, grid.address) == ("A社区一网格", 812, 301, "鼓东路1号")
    event = _events("area.update", grid).get()
    assert event.actor == personas.community_a
    assert event.changes["population"] == [0, 812]
    assert event.changes["name"] == ["A社区第一网格", "A社区一网格"]


def test_update_records_a_boundary_change_without_the_boundary(district, personas):
    grid = district.a.grid
    area_update(actor=personas.subdistrict_staff, area=grid, geometry=square(119.30, 26.08, 0.012))
    grid.refresh_from_db()
    assert grid.geometry["coordinates"][0][2] == [119.312, 26.092]
    assert _events("area.update", grid).get().changes == {"geometry": "changed"}


def test_update_without_change_writes_no_event(district, personas):
    area_update(actor=personas.community_a, area=district.a.grid, name=district.a.grid.name)
    assert not _events("area.update", district.a.grid).exists()


@pytest.mark.parametrize("persona", ["community_b", "grid_worker", "department", "member", "auditor", "sysadmin"])
def test_update_refused_without_permission_or_scope(district, personas, persona):
    with pytest.raises(PermissionDenied):
        area_update(actor=getattr(personas, persona), area=district.a.grid, population=5)
    district.a.grid.refresh_from_db()
    assert district.a.grid.population == 0
    assert not _events("area.update", district.a.grid).exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"population": -1}, "population"),
        ({"households": 1.5}, "households"),
        ({"lat": 91.0}, "lat"),
        ({"lng": float("nan")}, "lng"),
        ({"lat": None}, "lat"),  # the grid has a longitude: both or neither
        ({"geometry": {"type": "Point", "coordinates": [119.3, 26.08]}}, "geometry"),
        ({"geometry": BOWTIE}, "geometry"),
        ({"geometry": {"type": "Polygon", "coordinates": []}}, "geometry"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[1, 2], [3]]]}}, "geometry"),
        ({"geometry": square(200.0, 26.08)}, "geometry"),
        ({"address": "路" * 201}, "address"),
    ],
)
def test_update_rejects_bad_values_field_by_field(district, personas, kwargs, field):
    grid = district.a.grid
    before = Area.objects.filter(pk=grid.pk).values().get()
    with pytest.raises(ValidationError) as exc:
        area_update(actor=personas.community_a, area=grid, **{"name": "新名", "households": 99, **kwargs})
    assert field in exc.value.message_dict
    assert Area.objects.filter(pk=grid.pk).values().get() == before  # nothing half-written
    assert not _events("area.update", grid).exists()


def test_bowtie_error_names_the_reason(district, personas):
    with pytest.raises(ValidationError) as exc:
        area_update(actor=personas.community_a, area=district.a.grid, geometry=BOWTIE)
    assert "Self-intersection" in exc.value.message_dict["geometry"][0]


def test_update_accepts_a_multipolygon_and_clearing(district, personas):
    multi = {
        "type": "MultiPolygon",
        "coordinates": [square(119.30, 26.08)["coordinates"], square(119.312, 26.08, 0.005)["coordinates"]],
    }
    area_update(actor=personas.community_a, area=district.a.grid, geometry=multi, lat=None, lng=None)
    grid = Area.objects.get(pk=district.a.grid.pk)
    assert grid.geometry["type"] == "MultiPolygon"
    assert grid.lat is None and grid.lng is None


def test_create_validates_geometry(district, personas):
    with pytest.raises(ValidationError) as exc:
        area_create(
            actor=personas.community_a,
            parent=district.a.area,
            kind="grid",
            code="350102001001002",
            name="坏网格",
            geometry=BOWTIE,
        )
    assert "geometry" in exc.value.message_dict
    assert not Area.objects.filter(code="350102001001002").exists()


def _new_building(district, actor=None) -> Area:
    return area_create(
        actor=actor,
        parent=district.a.compound,
        kind="building",
        code=district.a.compound.code + "009",
        name="9号楼",
    )


def test_delete_an_empty_area_audits(district, personas):
    building = _new_building(district, personas.community_a)
    pk = building.pk
    area_delete(actor=personas.community_a, area=building)
    assert not Area.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action="area.delete", object_id=str(pk))
    assert event.changes["code"] == building.code
    compound = Area.objects.get(pk=district.a.compound.pk)
    assert compound.numchild == 1  # treebeard kept the parent's count right


@pytest.mark.parametrize("persona", ["community_b", "grid_worker", "department", "member", "auditor", "sysadmin"])
def test_delete_refused_without_permission_or_scope(district, personas, persona):
    building = _new_building(district)
    with pytest.raises(PermissionDenied):
        area_delete(actor=getattr(personas, persona), area=building)
    assert Area.objects.filter(pk=building.pk).exists()


def test_delete_refuses_an_area_with_children(district, personas):
    with pytest.raises(ValidationError) as exc:
        area_delete(actor=personas.district_admin, area=district.a.grid)
    assert "1 sub-area" in exc.value.messages[0]
    assert Area.objects.filter(pk=district.a.grid.pk).exists()
    assert not AuditEvent.objects.filter(action="area.delete").exists()


def test_delete_refuses_an_area_with_residents(district, personas):
    with pytest.raises(ValidationError) as exc:
        area_delete(actor=personas.district_admin, area=district.b.building)
    assert "1 resident lives in it" in exc.value.messages[0]
    assert Area.objects.filter(pk=district.b.building.pk).exists()


def test_delete_refuses_an_area_with_party_orgs(district, personas):
    from jiceng.people.models import Person

    Person.objects.filter(home=district.b.building).delete()
    with pytest.raises(ValidationError) as exc:
        area_delete(actor=personas.district_admin, area=district.b.building)
    assert "1 Party organization is anchored on it" in exc.value.messages[0]


def test_delete_refuses_an_area_with_units_or_grants(district, personas):
    from jiceng.units.models import Unit, UnitKind

    building = _new_building(district)
    unit = Unit.objects.create(kind=UnitKind.ENTERPRISE, name="某公司", code="E-1", home_area=district.a.compound)
    unit.areas_served.add(building)
    with pytest.raises(ValidationError) as exc:
        area_delete(actor=personas.district_admin, area=building)
    assert "1 unit is registered in it or serves it" in exc.value.messages[0]
    unit.areas_served.clear()
    from jiceng.accounts.models import Role, RoleGrant

    RoleGrant.objects.create(user=personas.community_b, role=Role.GRID_WORKER, area=building)
    with pytest.raises(ValidationError) as exc:
        area_delete(actor=personas.district_admin, area=building)
    assert "1 user holds a role on it" in exc.value.messages[0]


def test_only_a_district_admin_deletes_a_district(db, personas):
    district = area_create(actor=None, parent=None, kind="district", code="350103", name="台江区")
    from jiceng.accounts.models import Role, RoleGrant
    from jiceng.accounts.scope import scope_for

    # Subdistrict staff granted on the district itself: org.change and scope, but not the role.
    RoleGrant.objects.create(user=personas.subdistrict_staff, role=Role.SUBDISTRICT_STAFF, area=district)
    personas.subdistrict_staff._jiceng_scope = None
    assert scope_for(personas.subdistrict_staff).covers_path(district.path)
    with pytest.raises(PermissionDenied):
        area_delete(actor=personas.subdistrict_staff, area=district)
    assert Area.objects.filter(pk=district.pk).exists()
