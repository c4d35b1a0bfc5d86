"""Files that are not what they claim, too large, too long, or with the wrong columns are refused whole."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import override_settings
from django.utils import translation

from jiceng.areas.models import Area
from jiceng.core.exchange.importing import RowError, workbook_import

from .sheets import AREA_HEADER_EN, xlsx

pytestmark = pytest.mark.django_db

A = "350102001001"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _run(content: bytes, actor=None):
    before = Area.objects.count()
    result = workbook_import(actor=actor, kind="areas", content=content)
    assert Area.objects.count() == before
    return result


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"code,name\n350102001001002,x\n", "This is not an Excel .xlsx file."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel 97-2003 (.xls)"),
        (_zip({"hello.txt": "not a workbook"}), "This is not an Excel .xlsx file."),
        (b"PK\x03\x04 truncated zip", "This is not an Excel .xlsx file."),
        (_zip({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<broken"}), "could not be read"),
        (b"", "This is not an Excel .xlsx file."),
    ],
)
def test_files_that_are_not_xlsx_are_refused(district, content, message):
    result = _run(content)
    assert len(result.errors) == 1
    assert result.errors[0].row is None and message in result.errors[0].message


def test_a_file_over_the_size_limit_is_refused(district):
    content = xlsx(AREA_HEADER_EN, [A + "002", "x", "grid", A, 0, 0, None, None, "", None])
    with override_settings(MAX_IMPORT_BYTES=len(content) - 1):
        result = _run(content)
    assert "at most" in result.errors[0].message and result.errors[0].row is None


def test_a_file_that_unpacks_to_a_huge_size_is_refused(district):
    bomb = _zip({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": " " * 5_000_000})
    with override_settings(MAX_IMPORT_BYTES=100_000):
        result = _run(bomb)
    assert "unpacks to more than" in result.errors[0].message


def test_too_many_rows_are_refused(district):
    rows = [[A + f"{n:03d}", f"grid {n}", "grid", A, 0, 0, None, None, "", None] for n in range(2, 6)]
    with override_settings(MAX_IMPORT_ROWS=3):
        result = _run(xlsx(AREA_HEADER_EN, *rows))
    assert result.errors == [RowError(None, "", "The file has more than 3 rows; split it into smaller files.")]


def test_header_problems_are_reported_before_anything_else(district):
    content = xlsx(["Code", "名称", "Kind", "Colour", "Kind"], [A + "002", "x", "grid", "red", "grid"])
    result = _run(content)
    assert result.errors == [
        RowError(1, "Colour", "Unknown column; the columns are: Code, Name, Kind, Parent code, Population, "
                 "Households, Latitude, Longitude, Address, Boundary (GeoJSON)."),
        RowError(1, "Kind", "This column appears twice."),
    ]
    missing = _run(xlsx(["Code", "Kind"], [A + "002", "grid"]))
    assert missing.errors == [RowError(1, "Name", "This column is missing.")]


def test_a_file_with_only_a_header_has_nothing_to_import(district):
    result = _run(xlsx(AREA_HEADER_EN, [None] * 10, ["", " "]))
    assert result.errors == [RowError(None, "", "The file has no rows to import.")]


def test_blank_rows_keep_excel_row_numbers(district):
    content = xlsx(
        AREA_HEADER_EN,
        [A + "002", "x", "grid", A, 0, 0, None, None, "", None],
        [None] * 10,
        [A + "003", "y", "grid", A, -5, 0, None, None, "", None],
    )
    assert _run(content).errors == [RowError(4, "Population", "Enter zero or more.")]


def test_a_long_code_typed_as_a_number_is_caught(district):
    content = xlsx(AREA_HEADER_EN, [350102001001001001001, "x", "building", A + "001001", 0, 0, None, None, "", None])
    result = _run(content)
    assert result.errors[0].column == "Code" and "lost digits" in result.errors[0].message


def test_messages_follow_the_users_language(district):
    content = xlsx(AREA_HEADER_EN, [A + "002", "x", "grid", A, "many", 0, None, None, "", None])
    with translation.override("zh-hans"):
        zh = workbook_import(actor=None, kind="areas", content=content).errors[0].message
    en = workbook_import(actor=None, kind="areas", content=content).errors[0].message
    assert en == "Enter a whole number."
    # The zh-hans catalogue is written separately; where it has this message, it is not the English one.
    from django.utils.translation import gettext

    with translation.override("zh-hans"):
        expected = gettext("Enter a whole number.")
    assert zh == expected


def test_a_damaged_sheet_inside_a_sound_zip_is_refused(district):
    good = xlsx(AREA_HEADER_EN, [A + "002", "x", "grid", A, 0, 0, None, None, "", None])
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    files["xl/worksheets/sheet1.xml"] = files["xl/worksheets/sheet1.xml"][:200]  # cut off mid-element
    result = _run(_zip(files))
    assert result.errors == [RowError(None, "", "The file could not be read as an Excel workbook.")]


def test_endless_blank_lines_are_not_walked(district):
    rows = [[A + "002", "x", "grid", A, 0, 0, None, None, "", None]] + [[None, None, None, "", " "]] * 20
    with override_settings(MAX_IMPORT_ROWS=5):
        result = _run(xlsx(AREA_HEADER_EN, *rows))
    assert "more than 11 lines" in result.errors[0].message
