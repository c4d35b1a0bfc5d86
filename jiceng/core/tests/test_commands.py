"""`jiceng import` and `jiceng export`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from jiceng.accounts.models import AuditEvent
from jiceng.areas.models import Area
from jiceng.units.models import Unit

from .sheets import AREA_HEADER_EN, UNIT_HEADER_ZH, read_xlsx, xlsx

pytestmark = pytest.mark.django_db

A = "350102001001"
B = "350102001002"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_as_the_system(district, tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_bytes(xlsx(UNIT_HEADER_ZH, ["E-1", "企业一", "企业", A, "", B]))
    out, err = _run("import", "units", str(path))
    assert "Imported 1 rows of Units" in out and err == ""
    assert Unit.objects.get(code="E-1").areas_served.get().code == B
    assert AuditEvent.objects.get(action="import.units").actor is None


def test_import_prints_every_problem_and_fails(district, personas, tmp_path):
    path = tmp_path / "areas.xlsx"
    path.write_bytes(
        xlsx(
            AREA_HEADER_EN,
            [A + "002", "into A", "grid", A, 0, 0, None, None, "", None],
            [B + "002", "bad", "grid", B, 0, 0, 95, None, "", None],
        )
    )
    before = Area.objects.count()
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 2 problem"):
        call_command("import", "areas", str(path), "--as", "p_community_b", stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines == [
        f"{path}: row 2, Parent code: No area with code {A} in this file or within your scope.",
        f"{path}: row 3, Latitude: A latitude lies between -90 and 90.",
    ]
    assert Area.objects.count() == before


def test_import_refuses_unknown_users_missing_files_and_users_without_permission(district, personas, tmp_path):
    path = tmp_path / "areas.xlsx"
    path.write_bytes(xlsx(AREA_HEADER_EN, [A + "002", "x", "grid", A, 0, 0, None, None, "", None]))
    with pytest.raises(CommandError, match="No active user named nobody"):
        _run("import", "areas", str(path), "--as", "nobody")
    with pytest.raises(CommandError, match="may not import"):
        _run("import", "areas", str(path), "--as", "p_grid")
    with pytest.raises(CommandError, match="missing.xlsx"):
        _run("import", "areas", str(tmp_path / "missing.xlsx"))
    not_excel = tmp_path / "areas.csv"
    not_excel.write_text("code,name\n")
    with pytest.raises(CommandError):
        _run("import", "areas", str(not_excel))


def test_export_then_import_elsewhere(district, personas, tmp_path):
    path = tmp_path / "areas.xlsx"
    out, _ = _run("export", "areas", str(path), "--as", "p_community_a")
    assert "Exported 4 rows of Areas" in out
    rows = read_xlsx(path.read_bytes())
    assert rows[0] == AREA_HEADER_EN and len(rows) == 5
    # the same file as the system: every area exists already, and each row says so
    with pytest.raises(CommandError, match="4 problem"):
        _run("import", "areas", str(path))


def test_export_as_a_user_without_permission_fails(district, personas, tmp_path):
    with pytest.raises(CommandError, match="may not export"):
        _run("export", "units", str(tmp_path / "u.xlsx"), "--as", "p_auditor")
