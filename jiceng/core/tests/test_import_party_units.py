"""Importing Party organizations and units."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import timezone, translation

from jiceng.accounts.models import AuditEvent
from jiceng.core.exchange.importing import workbook_import
from jiceng.party.models import PartyOrg
from jiceng.units.models import Unit

from .sheets import ORG_HEADER, UNIT_HEADER_ZH, xlsx

pytestmark = pytest.mark.django_db

A = "350102001001"
B = "350102001002"
A_GRID = A + "001"
A_COMPOUND = A + "001001"
A_BUILDING = A + "001001001"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_party_orgs_import_with_parents_later_in_the_file(district, personas):
    content = xlsx(
        ORG_HEADER,
        ["P-A-G2", "二号楼党小组", "党小组", "P-A-B2", A_BUILDING, "", "2021-07-01"],
        ["P-A-B2", "新苑党支部", "党支部", "P-A-GB2", A_COMPOUND, "PC-A", datetime(2020, 7, 1)],
        ["P-A-GB2", "第二网格党总支", "general_branch", f"P{A}", A_GRID, None, "2019年7月1日"],
    )
    before = PartyOrg.objects.count()
    result = workbook_import(actor=personas.community_a, kind="party_orgs", content=content)
    assert result.errors == []
    assert PartyOrg.objects.count() == before + 3
    general = PartyOrg.objects.get(code="P-A-GB2")
    assert general.get_parent().code == f"P{A}" and general.founded_on == date(2019, 7, 1)
    branch = PartyOrg.objects.get(code="P-A-B2")
    assert branch.get_parent() == general and branch.unit.code == "PC-A" and branch.area.code == A_COMPOUND
    group = PartyOrg.objects.get(code="P-A-G2")
    assert group.get_parent() == branch and group.area_path == district.a.building.path
    assert AuditEvent.objects.get(action="import.party_orgs").changes["created"] == 3


def test_bad_party_org_rows_are_all_reported(district, personas):
    future = timezone.localdate().replace(year=timezone.localdate().year + 1)
    content = xlsx(
        ORG_HEADER,
        ["P-X1", "unknown parent", "branch", "P-NOPE", A_COMPOUND, "", None],  # 2
        ["P-X2", "area of B", "branch", f"P{A}", B + "001001", "", None],  # 3: B is out of scope
        ["P-X3", "bad unit and date", "branch", f"P{A}", A_COMPOUND, "NO-UNIT", "soon"],  # 4
        ["P-X4", "group under committee", "group", f"P{A}", A_BUILDING, "", None],  # 5
        ["P-X5", "ring one", "branch", "P-X6", A_COMPOUND, "", None],  # 6
        ["P-X6", "ring two", "general_branch", "P-X5", A_GRID, "", None],  # 7
        ["P-X7", "from the future", "branch", f"P{A}", A_COMPOUND, "", future],  # 8
        [f"P{A}", "exists", "committee", "", A, "", None],  # 9
    )
    before = PartyOrg.objects.count()
    result = workbook_import(actor=personas.community_a, kind="party_orgs", content=content)
    found = {(e.row, e.column) for e in result.errors}
    assert {
        (2, "parent_code"),
        (3, "area_code"),
        (4, "unit_code"),
        (4, "founded_on"),
        (5, "kind"),
        (6, "parent_code"),
        (7, "parent_code"),
        (8, "founded_on"),
        (9, "code"),
    } <= found
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "6, 7" in messages[(6, "parent_code")]
    assert PartyOrg.objects.count() == before


def test_units_import_with_areas_served(district, personas):
    content = xlsx(
        UNIT_HEADER_ZH,
        ["91350102MA1234567X", "鼓楼区第一中学", "驻区单位", "350102001", "鼓东路8号", f"{A}、{B}"],
        ["OC-A", "A小区业委会", "业主委员会", A_COMPOUND, "", None],
        ["SO-1", "社工站", "social_org", "350102001", "", f"{A}; {A}"],
    )
    result = workbook_import(actor=personas.subdistrict_staff, kind="units", content=content)
    assert result.errors == []
    school = Unit.objects.get(code="91350102MA1234567X")
    assert school.kind == "resident_unit" and school.home_area == district.s1
    assert sorted(school.areas_served.values_list("code", flat=True)) == [A, B]
    assert Unit.objects.get(code="OC-A").kind == "owners_committee"
    assert list(Unit.objects.get(code="SO-1").areas_served.values_list("code", flat=True)) == [A]


def test_bad_unit_rows_are_all_reported(district, personas):
    content = xlsx(
        UNIT_HEADER_ZH,
        ["U-1", "ok", "企业", A, "", ""],  # 2
        ["U-1", "repeat", "企业", A, "", ""],  # 3
        ["DEPT-CG", "exists", "职能部门", A, "", ""],  # 4
        ["U-4", "", "企业", A, "", ""],  # 5: no name
        ["U-5", "wrong kind", "饭店", A, "", ""],  # 6
        ["U-6", "home in B", "企业", B, "", ""],  # 7: out of community A's scope
        ["U-7", "serves B", "企业", A, "", f"{A}、{B}、999"],  # 8
    )
    before = Unit.objects.count()
    result = workbook_import(actor=personas.community_a, kind="units", content=content)
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "编码"),
        (4, "编码"),
        (5, "名称"),
        (6, "类型"),
        (7, "所在区域编码"),
        (8, "服务区域编码"),
    ]
    assert f"{B}, 999" in result.errors[-1].message
    assert Unit.objects.count() == before
