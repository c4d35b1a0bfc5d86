"""The default taxonomy, its Excel import and export, and the services that edit it."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from jiceng.accounts.models import AuditEvent
from jiceng.cases import services, taxonomy
from jiceng.cases.models import CaseClass, Category, RequestType, TimeLimit
from jiceng.cases.taxonomy import LimitSpec, parse_limits

pytestmark = pytest.mark.django_db


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEAD = ["code", "name", "parent", "case_class", "request_type", "urgency_levels", "unit_kind", "is_major_hazard",
        "hazard_unit_kinds", "active", "limits"]


def test_default_taxonomy_loads_and_is_idempotent():
    first = services.taxonomy_load_default()
    assert first.created == Category.objects.count() >= 60
    limits = TimeLimit.objects.count()
    again = services.taxonomy_load_default()
    assert again.created == 0
    assert Category.objects.count() == first.created and TimeLimit.objects.count() == limits
    # Both case classes, every request type, two levels.
    assert set(Category.objects.values_list("case_class", flat=True)) >= {CaseClass.COMPONENT, CaseClass.EVENT}
    assert set(Category.objects.exclude(request_type="").values_list("request_type", flat=True)) == set(
        RequestType.values)
    assert set(Category.objects.values_list("depth", flat=True)) == {1, 2}
    hazards = set(Category.objects.filter(is_major_hazard=True).values_list("name", flat=True))
    assert {"燃气泄漏", "房屋结构安全隐患", "道路积水内涝"} <= hazards
    assert all(c.hazard_unit_kinds for c in Category.objects.filter(is_major_hazard=True))
    steps = list(TimeLimit.objects.filter(category__name="违法建设", stage="handle", urgency="normal")
                 .order_by("order").values_list("step", flat=True))
    assert steps == ["责令停工", "立案处罚", "限期拆除"]


def test_default_load_keeps_administrators_changes(personas):
    services.taxonomy_load_default()
    c = Category.objects.get(code="E0501")
    services.category_update(actor=personas.district_admin, category=c, name="占道经营（含夜市）", active=False,
                             urgency_levels=["normal"])
    services.taxonomy_load_default()
    c.refresh_from_db()
    assert (c.name, c.active) == ("占道经营（含夜市）", False)


def test_management_command_loads(capsys):
    call_command("taxonomy", "load")
    assert Category.objects.count() >= 60
    call_command("taxonomy", "load")
    assert "0 categories created" in capsys.readouterr().out


def test_parse_limits_reads_identifiers_labels_and_short_units():
    limits, errors = parse_limits("handle/normal=5 wd; register/urgent=2 working_hours\nhandle/urgent/停工=4 wh")
    assert not errors
    assert [(x.stage, x.urgency, x.step, x.amount, x.unit) for x in limits] == [
        ("handle", "normal", "", 5, "working_days"),
        ("register", "urgent", "", 2, "working_hours"),
        ("handle", "urgent", "停工", 4, "working_hours"),
    ]
    _limits, errors = parse_limits(
        "handle/normal=5 fortnights\nhandle/normal=0 wd\nnonsense\nhandle/urgent=1 wd\nhandle/urgent/a=1 wd")
    assert len(errors) == 4  # unknown unit, bad amount, bad form, whole stage and steps mixed


def test_import_creates_and_updates_all_or_nothing(personas):
    services.taxonomy_load_default()
    content = xlsx([
        HEAD,
        ["X01", "测试大类", "", "event", "", "normal,urgent", "", "no", "", "yes", "register/normal=1 wh"],
        ["X0101", "测试小类", "X01", "event", "complaint", "normal", "department", "no", "", "yes",
         "handle/normal=3 wd"],
        ["E0501", "占道经营", "E05", "event", "", "normal,urgent", "department", "no", "", "no",
         "handle/normal=2 wd\nhandle/urgent=2 wh"],
    ])
    before = Category.objects.count()
    result = services.taxonomy_import(actor=personas.district_admin, content=content)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (2, 1)
    assert Category.objects.count() == before + 2
    child = Category.objects.get(code="X0101")
    assert child.depth == 2 and child.request_type == "complaint"
    assert Category.objects.get(code="E0501").active is False
    assert taxonomy.format_limits(Category.objects.get(code="E0501").limits.all()) == (
        "handle/normal=2 working_days\nhandle/urgent=2 working_hours")
    assert AuditEvent.objects.filter(action="taxonomy.import").exists()


def test_import_reports_every_bad_row_and_changes_nothing(personas):
    services.taxonomy_load_default()
    count, limits = Category.objects.count(), TimeLimit.objects.count()
    content = xlsx([
        HEAD,
        ["Y01", "好的一行", "", "event", "", "", "", "", "", "", "handle/normal=1 wd"],  # row 2: fine
        ["", "无编码", "", "event", "", "", "", "", "", "", ""],  # row 3: no code
        ["Y02", "坏类别", "", "thing", "", "", "", "", "", "", ""],  # row 4: bad case class
        ["Y03", "坏时限", "", "event", "", "", "", "", "", "", "handle/normal=3 fortnights"],  # row 5
        ["Y04", "危险源", "", "event", "", "", "", "yes", "", "", ""],  # row 6: hazard without kinds
        ["Y05", "坏上级", "ZZ99", "event", "", "", "", "", "", "", ""],  # row 7: unknown parent (tree check)
    ])
    result = services.taxonomy_import(actor=personas.district_admin, content=content)
    found = {(e.row, e.column) for e in result.errors}
    assert {(3, "code"), (4, "case_class"), (5, "limits"), (6, "hazard_unit_kinds")} <= found
    assert Category.objects.count() == count and TimeLimit.objects.count() == limits
    assert not Category.objects.filter(code="Y01").exists()
    # With the cell problems fixed, the tree problems are reported the same way.
    content = xlsx([HEAD, ["Y05", "坏上级", "ZZ99", "event", "", "", "", "", "", "", ""],
                    ["Y06", "三级", "C0101", "event", "", "", "", "", "", "", ""],
                    ["C0101", "移动", "C02", "component", "", "", "", "", "", "", ""]])
    result = services.taxonomy_import(actor=personas.district_admin, content=content)
    assert {(e.row, e.column) for e in result.errors} == {(2, "parent"), (3, "parent"), (4, "parent")}
    assert Category.objects.count() == count


def test_import_refuses_a_file_that_is_not_excel(personas):
    result = services.taxonomy_import(actor=personas.district_admin, content=b"code,name\nA,B\n")
    assert not result.ok and result.errors[0].row is None


def test_import_and_edit_need_a_district_administrator(personas):
    with pytest.raises(PermissionDenied):
        services.taxonomy_import(actor=personas.subdistrict_staff, content=xlsx([HEAD]))
    services.taxonomy_load_default()
    c = Category.objects.get(code="E0501")
    with pytest.raises(PermissionDenied):
        services.category_update(actor=personas.community_a, category=c, name="x", active=True,
                                 urgency_levels=["normal"])


def test_export_round_trips_through_import(personas, tmp_path):
    services.taxonomy_load_default()
    path = tmp_path / "t.xlsx"
    call_command("taxonomy", "export", str(path))
    ws = load_workbook(path).active
    assert ws.max_row == Category.objects.count() + 1
    before = {c.code: taxonomy.format_limits(c.limits.all()) for c in Category.objects.all()}
    result = services.taxonomy_import(actor=personas.district_admin, content=path.read_bytes())
    assert result.ok, result.errors[:3]
    assert result.updated == len(before) and result.created == 0
    assert {c.code: taxonomy.format_limits(c.limits.all()) for c in Category.objects.all()} == before


def test_category_update_validates_and_audits(personas):
    services.taxonomy_load_default()
    c = Category.objects.get(code="E0501")
    admin = personas.district_admin
    with pytest.raises(ValidationError) as exc:
        services.category_update(actor=admin, category=c, name=" ", active=True, urgency_levels=[],
                                 is_major_hazard=True,
                                 limits=[LimitSpec("handle", "normal", 1, "working_days"),
                                         LimitSpec("handle", "normal", 2, "working_days", step="a")])
    assert set(exc.value.message_dict) == {"name", "urgency_levels", "hazard_unit_kinds", "limits"}
    services.category_update(actor=admin, category=c, name="占道经营", active=True, urgency_levels=["urgent", "normal"],
                             limits=[LimitSpec("handle", "normal", 3, "working_days")])
    c.refresh_from_db()
    assert c.urgency_levels == ["normal", "urgent"]
    assert list(c.limits.values_list("amount", "unit")) == [(3, "working_days")]
    event = AuditEvent.objects.filter(action="category.update").latest("id")
    assert "limits" in event.changes
