"""Exports hold what the actor may see, in the import's columns, and import back unchanged."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from jiceng.accounts.models import AuditEvent
from jiceng.areas.models import Area
from jiceng.core.exchange.exporting import EXCEL_CELL_LIMIT, export_rows, geometry_text, workbook_export
from jiceng.core.exchange.importing import workbook_import
from jiceng.party.models import PartyOrg
from jiceng.people.models import Person
from jiceng.testing import build_small_district
from jiceng.units.models import Unit

from .sheets import read_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _r(value):
    """Excel keeps 15 significant digits, and boundaries are written to 7 decimals (about 1 cm):
    compare coordinates at that precision."""
    if isinstance(value, float):
        return round(value, 7)
    if isinstance(value, list | tuple):
        return [_r(v) for v in value]
    if isinstance(value, dict):
        return {k: _r(v) for k, v in value.items()}
    return value


def _snapshot() -> dict[str, list[tuple]]:
    """Everything the three files describe, by code rather than by database id."""
    areas = {a.path: a.code for a in Area.objects.all()}
    orgs = {o.path: o.code for o in PartyOrg.objects.all()}
    return {
        "areas": sorted(
            (a.code, a.name, a.kind, areas.get(a.path[: -Area.steplen], ""), a.population, a.households,
             _r(a.lat), _r(a.lng), a.address, _r(a.geometry))
            for a in Area.objects.all()
        ),
        "orgs": sorted(
            (o.code, o.name, o.kind, orgs.get(o.path[: -PartyOrg.steplen], ""), o.area.code,
             o.unit.code if o.unit else "", o.founded_on, o.area_path == o.area.path)
            for o in PartyOrg.objects.select_related("area", "unit")
        ),
        "units": sorted(
            (u.code, u.name, u.kind, u.home_area.code, u.address, tuple(sorted(a.code for a in u.areas_served.all())))
            for u in Unit.objects.select_related("home_area")
        ),
    }


def test_round_trip_export_then_import_into_an_empty_database(db):
    build_small_district()
    Area.objects.filter(code="350102001001").update(address="鼓东路 1 号", lat=26.0801234567, lng=119.3000001)
    PartyOrg.objects.filter(code="P350102001001").update(founded_on="2019-07-01")
    before = _snapshot()
    files = {kind: workbook_export(actor=None, kind=kind).content for kind in ("areas", "units", "party_orgs")}

    Person.objects.all().delete()
    PartyOrg.objects.all().delete()
    Unit.objects.all().delete()
    Area.objects.all().delete()
    assert not Area.objects.exists()

    for kind in ("areas", "units", "party_orgs"):  # each file refers only to what the earlier ones made
        result = workbook_import(actor=None, kind=kind, content=files[kind])
        assert result.errors == [], kind
    assert _snapshot() == before


def test_export_is_scoped_to_the_actor(district, personas):
    head, rows = export_rows(actor=personas.community_a, kind="areas")
    codes = [r[0] for r in rows]
    assert codes == ["350102001001", "350102001001001", "350102001001001001", "350102001001001001001"]
    # the top area names its parent outside the scope, so the rows attach to it on import
    assert rows[0][3] == "350102001" and rows[0][2] == "Community"
    _, org_rows = export_rows(actor=personas.community_a, kind="party_orgs")
    in_a = PartyOrg.objects.filter(area_path__startswith=district.a.area.path)
    assert {r[0] for r in org_rows} == {o.code for o in in_a}
    _, unit_rows = export_rows(actor=personas.community_b, kind="units")
    assert "PC-A" not in {r[0] for r in unit_rows}


def test_export_writes_an_audit_event_and_needs_the_permission(district, personas):
    export = workbook_export(actor=personas.district_admin, kind="units")
    rows = read_xlsx(export.content)
    assert rows[0] == ["Code", "Name", "Kind", "Home area code", "Address", "Areas served (codes)"]
    assert ["DEPT-CG", "区城市管理局", "Functional department", "350102", None, "350102001"] in rows
    event = AuditEvent.objects.get(action="export.units")
    assert event.kind == "export" and event.actor == personas.district_admin and event.changes["rows"] == export.rows
    with pytest.raises(PermissionDenied):
        workbook_export(actor=personas.auditor, kind="areas")


@pytest.mark.parametrize("kind", ["areas", "party_orgs", "units"])
def test_export_runs_a_fixed_number_of_queries(district, personas, django_assert_max_num_queries, kind):
    from jiceng.accounts.scope import scope_for

    scope_for(personas.district_admin)  # the scope is read once per request, before the export
    with django_assert_max_num_queries(8):
        workbook_export(actor=personas.district_admin, kind=kind)


def test_a_boundary_too_long_for_one_cell_is_simplified_to_fit():
    import math

    turn = [t / 5000 * math.tau for t in range(5000)]
    ring = [[119.3 + 0.01 * math.cos(a), 26.08 + 0.01 * math.sin(a)] for a in turn]
    ring.append(ring[0])
    text = geometry_text({"type": "Polygon", "coordinates": [ring]})
    assert len(text) <= EXCEL_CELL_LIMIT and text.startswith('{"type":"Polygon"')
