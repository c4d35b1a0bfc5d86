"""Building .xlsx files in tests, as a user's spreadsheet program would."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook, load_workbook


def xlsx(header: Sequence[Any], *rows: Sequence[Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(content: bytes) -> list[list[Any]]:
    """The first sheet's rows as lists of values."""
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


AREA_HEADER_ZH = ["编码", "名称", "类型", "上级编码", "人口", "户数", "纬度", "经度", "地址", "边界"]
AREA_HEADER_EN = ["Code", "Name", "Kind", "Parent code", "Population", "Households", "Latitude", "Longitude",
                  "Address", "Boundary (GeoJSON)"]
ORG_HEADER = ["code", "name", "kind", "parent_code", "area_code", "unit_code", "founded_on"]
UNIT_HEADER_ZH = ["编码", "名称", "类型", "所在区域编码", "地址", "服务区域编码"]
