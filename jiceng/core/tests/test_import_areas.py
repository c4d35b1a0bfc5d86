"""Importing areas: good files apply whole, bad files report every problem and write nothing."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from jiceng.accounts.models import AuditEvent
from jiceng.areas.models import Area
from jiceng.core.exchange.importing import RowError, workbook_import
from jiceng.testing import square

from .sheets import AREA_HEADER_EN, AREA_HEADER_ZH, xlsx

pytestmark = pytest.mark.django_db

A = "350102001001"  # community A
B = "350102001002"  # community B


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _errors(result) -> set[tuple[int | None, str]]:
    return {(e.row, e.column) for e in result.errors}


def test_good_file_in_any_order_is_imported_with_chinese_headers_and_kinds(district, personas):
    polygon = json.dumps(square(119.30, 26.085, 0.002))
    content = xlsx(
        AREA_HEADER_ZH,
        # children before their parents: the import orders them
        [A + "002001001", "新苑3号楼", "楼栋", A + "002001", None, None, None, None, "", None],
        [A + "002001", "新苑小区", "小区", A + "002", 800, 300, 26.086, 119.301, "鼓东路1号", None],
        [int(A + "002"), "A社区第二网格", "网格", int(A), "1,200", 450, "26.0855", 119.3005, "", polygon],
    )
    before = Area.objects.count()
    result = workbook_import(actor=personas.community_a, kind="areas", content=content, filename="areas.xlsx")
    assert result.errors == []
    assert result.created == 3
    assert Area.objects.count() == before + 3
    grid = Area.objects.get(code=A + "002")
    assert grid.kind == "grid" and grid.get_parent().code == A
    assert grid.population == 1200 and grid.households == 450
    assert grid.lat == pytest.approx(26.0855) and grid.geometry["type"] == "Polygon"
    compound = Area.objects.get(code=A + "002001")
    assert compound.get_parent() == grid and compound.address == "鼓东路1号"
    assert Area.objects.get(code=A + "002001001").get_parent() == compound
    summary = AuditEvent.objects.get(action="import.areas")
    assert summary.actor == personas.community_a
    assert summary.changes["created"] == 3 and summary.changes["rows"] == 3
    # and each area's own creation event, written by the service
    assert AuditEvent.objects.filter(action="area.create", actor=personas.community_a).count() == 3


def test_english_headers_and_identifiers_are_accepted(district, personas):
    content = xlsx(AREA_HEADER_EN, [B + "002", "B grid 2", "grid", B, 0, 0, None, None, "", ""])
    result = workbook_import(actor=personas.district_admin, kind="areas", content=content)
    assert result.ok and Area.objects.filter(code=B + "002", kind="grid").exists()


def test_every_bad_row_is_reported_by_row_and_column_and_nothing_is_written(district, personas):
    content = xlsx(
        AREA_HEADER_EN,
        [A + "002", "good grid", "grid", A, 10, 5, None, None, "", None],  # row 2: fine
        [A + "00X", "bad code", "grid", A, 0, 0, None, None, "", None],  # row 3: code not digits
        [A + "004", "castle", "城堡", A, 0, 0, None, None, "", None],  # row 4: unknown kind
        [A + "005", "orphan", "grid", "350102009009", 0, 0, None, None, "", None],  # row 5: no such parent
        [A + "006", "bad numbers", "grid", A, "many", 0, 200, None, "", None],  # row 6: two bad cells
        [A + "002", "again", "grid", A, 0, 0, None, None, "", None],  # row 7: repeats row 2's code
        [A + "001", "exists", "grid", A, 0, 0, None, None, "", None],  # row 8: already in the database
        [A + "008", "bad shape", "grid", A, 0, 0, None, None, "", "{not json"],  # row 9: boundary
        [A + "009", "", "grid", A, 0, 0, None, None, "", None],  # row 10: name missing
        [A + "002001", "compound under district", "compound", "350102", 0, 0, None, None, "", None],  # row 11
    )
    areas_before = Area.objects.count()
    events_before = AuditEvent.objects.count()
    result = workbook_import(actor=personas.district_admin, kind="areas", content=content)
    assert not result.ok and result.created == 0
    assert _errors(result) == {
        (3, "Code"),
        (4, "Kind"),
        (5, "Parent code"),
        (6, "Population"),
        (6, "Latitude"),
        (7, "Code"),
        (8, "Code"),
        (9, "Boundary (GeoJSON)"),
        (10, "Name"),
        (11, "Kind"),
    }
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "12 digits" not in messages[(3, "Code")] and "15 digits" in messages[(3, "Code")]
    assert "row 2" in messages[(7, "Code")]
    assert "already exists" in messages[(8, "Code")]
    assert "350102009009" in messages[(5, "Parent code")]
    assert "compound" in messages[(11, "Kind")].lower()
    # rows come back in sheet order
    assert [e.row for e in result.errors] == sorted(e.row for e in result.errors)
    assert Area.objects.count() == areas_before
    assert AuditEvent.objects.count() == events_before


def test_community_b_cannot_import_into_community_a(district, personas):
    content = xlsx(
        AREA_HEADER_EN,
        [A + "002", "into A", "grid", A, 0, 0, None, None, "", None],
        [B + "002", "into B", "grid", B, 0, 0, None, None, "", None],
    )
    before = Area.objects.count()
    result = workbook_import(actor=personas.community_b, kind="areas", content=content)
    assert result.errors == [
        RowError(2, "Parent code", f"No area with code {A} in this file or within your scope.")
    ]
    assert Area.objects.count() == before  # the good row for B was not written either
    # the attempt is a security event for the auditor, like opening A's page would be
    event = AuditEvent.objects.get(action="import.out_of_scope")
    assert event.kind == "security" and event.actor == personas.community_b and event.changes["codes"] == [A]
    # the same message as for a code that exists nowhere: probing learns nothing
    missing = xlsx(AREA_HEADER_EN, [B + "003", "x", "grid", "350102001099", 0, 0, None, None, "", None])
    other = workbook_import(actor=personas.community_b, kind="areas", content=missing)
    assert other.errors[0].message == "No area with code 350102001099 in this file or within your scope."


def test_only_a_district_admin_adds_a_district(district, personas):
    content = xlsx(AREA_HEADER_EN, ["350103", "台江区", "district", "", 0, 0, None, None, "", None])
    refused = workbook_import(actor=personas.subdistrict_staff, kind="areas", content=content)
    assert _errors(refused) == {(2, "Parent code")}
    assert workbook_import(actor=personas.district_admin, kind="areas", content=content).ok
    assert Area.objects.get(code="350103").is_root()


def test_a_refusal_by_the_service_rolls_back_every_row(district, personas, monkeypatch):
    """Checks in the service that the file check does not repeat still undo the whole file."""
    from jiceng.areas import services

    real = services.area_create

    def refusing(**kwargs):
        if kwargs["code"] == A + "003":
            raise ValidationError({"name": ["The service refuses this name."], "parent": ["And this parent."]})
        return real(**kwargs)

    monkeypatch.setattr(services, "area_create", refusing)
    content = xlsx(
        AREA_HEADER_EN,
        [A + "002", "fine", "grid", A, 0, 0, None, None, "", None],
        [A + "003", "refused", "grid", A, 0, 0, None, None, "", None],
        [A + "003001", "child of refused", "compound", A + "003", 0, 0, None, None, "", None],
    )
    before = Area.objects.count()
    result = workbook_import(actor=personas.district_admin, kind="areas", content=content)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "Name", "The service refuses this name."),
        (3, "Parent code", "And this parent."),
        (4, "Parent code", "The parent in row 3 was not imported."),
    ]
    assert Area.objects.count() == before
    assert not Area.objects.filter(code=A + "002").exists()
    assert not AuditEvent.objects.filter(action__in=["import.areas", "area.create"], actor=personas.district_admin)


def test_a_user_without_the_import_permission_is_refused(district, personas):
    content = xlsx(AREA_HEADER_EN, [A + "002", "x", "grid", A, 0, 0, None, None, "", None])
    with pytest.raises(PermissionDenied):
        workbook_import(actor=personas.grid_worker, kind="areas", content=content)


def test_the_system_actor_imports_anywhere(district):
    content = xlsx(AREA_HEADER_EN, [A + "002", "x", "grid", A, 0, 0, None, None, "", None])
    assert workbook_import(actor=None, kind="areas", content=content).created == 1
    assert AuditEvent.objects.filter(action="import.areas", actor__isnull=True).count() == 1


def test_checking_a_file_runs_a_fixed_number_of_queries(district, personas):
    """The whole file is checked with a few bulk queries, however many rows it has."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def bad_file(n: int) -> bytes:  # every row has a bad population, so nothing gets applied
        return xlsx(AREA_HEADER_EN, *[[A + f"{i:03d}", "x", "grid", A, -1, 0, None, None, "", None]
                                      for i in range(2, n + 2)])

    from jiceng.accounts.scope import scope_for

    scope_for(personas.community_a)  # read once per request, before the import
    counts = []
    for n in (3, 60):
        content = bad_file(n)
        with CaptureQueriesContext(connection) as queries:
            result = workbook_import(actor=personas.community_a, kind="areas", content=content)
        assert len(result.errors) == n
        counts.append(len(queries))
    assert counts[0] == counts[1]
