"""The columns of each exchange file, and how one cell is read.

A file has one sheet: a header row, then one row per object. Headers are written in the user's
language; on import a header is recognized in any of the interface's languages, by its machine key
(`parent_code`), or by the usual Chinese names people already put in their own sheets (上级编码).
Kinds are accepted as identifiers (`grid`), as their labels in any interface language, or by their
common Chinese names (村 for a village, 镇 for a town).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from jiceng.areas.models import AreaKind
from jiceng.party.models import OrgKind
from jiceng.units.models import UnitKind


class CellError(ValueError):
    """A cell that cannot be read; the message is in the user's language."""


def join_list(items) -> str:
    """A list in running text: "a, b, c" in English, "a、b、c" in Chinese (the catalogue decides)."""
    return pgettext("list separator", ", ").join(str(i) for i in items)


def normalize(text: str) -> str:
    """Header and kind matching ignores width (（ vs (), case and spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


# --- cell readers: raw openpyxl value (never blank here) -> Python value, or CellError ----------------

# Excel keeps numbers as doubles: 15 significant digits. A longer code typed as a number has lost digits.
_EXACT_DIGITS = 15


def read_text(value: Any, max_length: int) -> str:
    if isinstance(value, bool):
        raise CellError(_("Enter text here, not TRUE or FALSE."))
    if isinstance(value, float):
        if value.is_integer():
            value = int(value)
        else:
            value = repr(value)
    if isinstance(value, datetime | date):
        raise CellError(_("Enter text here, not a date."))
    text = str(value).strip()
    if len(text) > max_length:
        raise CellError(_("At most %(n)d characters.") % {"n": max_length})
    return text


def read_code(value: Any, max_length: int) -> str:
    """Codes are text. A number is accepted while it still holds every digit."""
    if isinstance(value, float) and (not value.is_integer() or abs(value) >= 10**_EXACT_DIGITS):
        raise CellError(_("This code was stored as a number and has lost digits; format the column as text."))
    code = read_text(value, max_length)
    if re.search(r"\s", code):
        raise CellError(_("A code contains no spaces."))
    return code


def read_count(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError(_("Enter a whole number."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        if not text.isdigit():
            raise CellError(_("Enter a whole number."))
        value = int(text)
    if not isinstance(value, int):
        raise CellError(_("Enter a whole number."))
    if value < 0:
        raise CellError(_("Enter zero or more."))
    if value > 2_147_483_647:
        raise CellError(_("This number is too large."))
    return value


def _read_float(value: Any) -> float:
    if isinstance(value, bool) or isinstance(value, datetime | date):
        raise CellError(_("Enter a number."))
    try:
        return float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise CellError(_("Enter a number.")) from None


def read_lat(value: Any) -> float:
    number = _read_float(value)
    if not -90 <= number <= 90:
        raise CellError(_("A latitude lies between -90 and 90."))
    return number


def read_lng(value: Any) -> float:
    number = _read_float(value)
    if not -180 <= number <= 180:
        raise CellError(_("A longitude lies between -180 and 180."))
    return number


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def read_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = _DATE_TEXT.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    if match:
        try:
            return date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise CellError(_("Enter a date such as 2024-07-01."))


_DATETIME_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+(\d{1,2})\s*[:时]\s*(\d{1,2})"
    r"(?:\s*[:分]\s*(\d{1,2})\s*秒?)?\s*分?)?$"
)


def read_datetime(value: Any, *, end_of_day: bool = False) -> datetime:
    """A moment, aware. Written without a zone it is local time (Asia/Shanghai), as people type it and as
    Excel stores it. A date alone is the start of that day, or its last second with `end_of_day` (a
    deadline given as a date runs to the end of it)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.TIME_ZONE)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        parts: tuple[int, ...] = (value.year, value.month, value.day)
    else:
        text = str(value).strip()
        match = _DATETIME_TEXT.match(text)
        if not match:
            try:  # an ISO 8601 moment with its zone, as integrations write it
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise CellError(_("Enter a date and time such as 2024-07-01 09:30.")) from None
            return moment if moment.tzinfo else moment.replace(tzinfo=zone)
        parts = tuple(int(g) for g in match.groups() if g is not None)
    try:
        if len(parts) == 3 and end_of_day:
            return datetime(*parts, 23, 59, 59, tzinfo=zone)
        return datetime(*parts, tzinfo=zone)
    except ValueError:
        raise CellError(_("Enter a date and time such as 2024-07-01 09:30.")) from None


def read_geometry(value: Any) -> dict:
    """GeoJSON text: a Polygon or MultiPolygon in WGS-84 (longitude first), or a Feature holding one.
    The areas app's own check decides what a valid boundary is, so the import and the form agree."""
    from jiceng.areas.services import clean_geometry

    try:
        geometry = json.loads(str(value))
    except ValueError:
        raise CellError(_("This is not GeoJSON text.")) from None
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    try:
        return clean_geometry(geometry)
    except ValidationError as exc:
        raise CellError(" ".join(exc.messages)) from None


CODE_SEPARATORS = re.compile(r"[,，、;；\s]+")


def read_code_list(value: Any) -> list[str]:
    """Codes separated by commas, 、 or semicolons (each checked later, as a reference)."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return [read_code(value, 40)]
    codes = [c for c in CODE_SEPARATORS.split(str(value).strip()) if c]
    seen: list[str] = []
    for code in codes:
        if len(code) > 40:
            raise CellError(_("At most %(n)d characters.") % {"n": 40})
        if code not in seen:
            seen.append(code)
    return seen


# --- kinds -----------------------------------------------------------------------------------------

# The names people write in their own sheets, beyond our labels in each interface language.
KIND_ALIASES: dict[str, tuple[str, ...]] = {
    "district": ("区", "县", "区县", "县区"),
    "subdistrict": ("街道", "镇", "乡", "乡镇", "街道办", "街道办事处"),
    "community": ("社区", "村", "居委会", "村委会"),
    "grid": ("网格",),
    "compound": ("小区", "院落"),
    "building": ("楼栋", "楼宇", "楼"),
    "working_committee": ("党工委", "街道党工委"),
    "committee": ("党委",),
    "general_branch": ("党总支", "总支"),
    "branch": ("党支部", "支部"),
    "group": ("党小组",),
    "department": ("职能部门", "部门"),
    "resident_unit": ("驻区单位",),
    "property_company": ("物业公司", "物业"),
    "owners_committee": ("业委会", "业主委员会"),
    "social_org": ("社会组织",),
    "enterprise": ("企业",),
}


@cache
def _kind_lookup(choices: type[models.TextChoices], language_key: tuple[str, ...]) -> dict[str, str]:
    """Identifier and labels in every interface language first, then the customary aliases."""
    table: dict[str, str] = {}
    for value, label in zip(choices.values, choices.labels, strict=True):
        names = [value, value.replace("_", " ")]
        for code in language_key:
            with translation.override(code):
                names.append(str(label))
        for name in names:
            table.setdefault(normalize(name), value)
    for value in choices.values:
        for alias in KIND_ALIASES.get(value, ()):
            table.setdefault(normalize(alias), value)
    return table


def read_kind(choices: type[models.TextChoices]) -> Callable[[Any], str]:
    def reader(value: Any) -> str:
        text = read_text(value, 60)
        kind = _kind_lookup(choices, tuple(code for code, _name in settings.LANGUAGES)).get(normalize(text))
        if kind is None:
            accepted = join_list(choices.labels)
            raise CellError(
                _("Unknown kind %(kind)s; use one of: %(accepted)s.") % {"kind": text, "accepted": accepted}
            )
        return kind

    return reader


# --- columns and formats -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    title: Promise
    read: Callable[[Any], Any]
    required: bool = False
    default: Any = None
    aliases: tuple[str, ...] = ()
    help: Promise | str = ""


@dataclass(frozen=True)
class Format:
    kind: str
    title: Promise  # sheet name and file name stem
    kind_choices: type[models.TextChoices]
    columns: tuple[Column, ...]
    example: Callable[[], dict[str, Any]]
    # Which column a service's error field belongs to (`parent` -> `parent_code`).
    field_columns: dict[str, str] = field(default_factory=dict)
    # The column that names where the row goes: out-of-scope refusals are reported there.
    place_column: str = "code"

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def header_lookup(self) -> dict[str, Column]:
        """Every accepted spelling of every header, normalized. Our own titles (in every interface
        language) win over the customary aliases, so an exported file always reads back as written."""
        table: dict[str, Column] = {}
        for column in self.columns:
            table.setdefault(normalize(column.key), column)
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    table.setdefault(normalize(str(column.title)), column)
        for column in self.columns:
            for alias in column.aliases:
                table.setdefault(normalize(alias), column)
        return table


def _text(n: int) -> Callable[[Any], str]:
    return lambda value: read_text(value, n)


def _code(n: int) -> Callable[[Any], str]:
    return lambda value: read_code(value, n)


def _kinds_help(choices: type[models.TextChoices]) -> str:
    return join_list(choices.labels)


def _area_example() -> dict[str, Any]:
    return {
        "code": "350102001001004",
        "name": _("Example community, grid 4"),
        "kind": str(AreaKind.GRID.label),
        "parent_code": "350102001001",
        "population": 1200,
        "households": 430,
        "lat": 26.0856,
        "lng": 119.3012,
        "address": _("No. 1 Example Road"),
        "geometry": json.dumps(
            {
                "type": "Polygon",
                "coordinates": [[[119.30, 26.08], [119.31, 26.08], [119.31, 26.09], [119.30, 26.09], [119.30, 26.08]]],
            }
        ),
    }


def _org_example() -> dict[str, Any]:
    return {
        "code": "P350102001001004",
        "name": _("Example community, grid 4 general branch"),
        "kind": str(OrgKind.GENERAL_BRANCH.label),
        "parent_code": "P350102001001",
        "area_code": "350102001001004",
        "unit_code": "",
        "founded_on": date(2021, 7, 1),
    }


def _unit_example() -> dict[str, Any]:
    return {
        "code": "91350102MA00000000",
        "name": _("Example Property Management Co."),
        "kind": str(UnitKind.PROPERTY_COMPANY.label),
        "home_area_code": "350102001001",
        "address": _("No. 1 Example Road"),
        "areas_served": "350102001001、350102001002",
    }


CODE = Column("code", gettext_lazy("Code"), _code(24), required=True, aliases=("编码", "代码", "区划代码", "区划编码"))
NAME = Column("name", gettext_lazy("Name"), _text(100), required=True, aliases=("名称",))
ADDRESS = Column("address", gettext_lazy("Address"), _text(200), default="", aliases=("地址",))

AREAS = Format(
    kind="areas",
    title=gettext_lazy("Areas"),
    kind_choices=AreaKind,
    columns=(
        CODE,
        NAME,
        Column(
            "kind",
            gettext_lazy("Kind"),
            read_kind(AreaKind),
            required=True,
            aliases=("类型", "层级"),
        ),
        Column(
            "parent_code",
            gettext_lazy("Parent code"),
            _code(24),
            aliases=("上级编码", "上级代码"),
            help=gettext_lazy("Empty only for a district; the parent may be in this file or already in the system"),
        ),
        Column("population", gettext_lazy("Population"), read_count, default=0, aliases=("人口", "人口数")),
        Column("households", gettext_lazy("Households"), read_count, default=0, aliases=("户数",)),
        Column("lat", gettext_lazy("Latitude"), read_lat, aliases=("纬度",), help=gettext_lazy("WGS-84")),
        Column("lng", gettext_lazy("Longitude"), read_lng, aliases=("经度",), help=gettext_lazy("WGS-84")),
        ADDRESS,
        Column(
            "geometry",
            gettext_lazy("Boundary (GeoJSON)"),
            read_geometry,
            aliases=("边界", "geojson", "边界GeoJSON"),
            help=gettext_lazy("A GeoJSON geometry in WGS-84, longitude first; optional"),
        ),
    ),
    example=_area_example,
    field_columns={"parent": "parent_code"},
    place_column="parent_code",
)

PARTY_ORGS = Format(
    kind="party_orgs",
    title=gettext_lazy("Party organizations"),
    kind_choices=OrgKind,
    columns=(
        Column("code", gettext_lazy("Code"), _code(40), required=True, aliases=("编码", "代码", "党组织编码")),
        Column("name", gettext_lazy("Name"), _text(120), required=True, aliases=("名称", "党组织名称")),
        Column(
            "kind",
            gettext_lazy("Kind"),
            read_kind(OrgKind),
            required=True,
            aliases=("类型", "层级"),
        ),
        Column(
            "parent_code",
            gettext_lazy("Parent organization code"),
            _code(40),
            aliases=("上级党组织编码", "上级编码", "上级代码"),
            help=gettext_lazy(
                "Empty for a top-level organization; the parent may be in this file or already in the system"
            ),
        ),
        Column(
            "area_code",
            gettext_lazy("Area code"),
            _code(24),
            required=True,
            aliases=("区域编码", "所在区域编码", "辖区编码", "所在区域"),
            help=gettext_lazy("The area the organization is anchored on"),
        ),
        Column(
            "unit_code",
            gettext_lazy("Unit code"),
            _code(40),
            default=None,
            aliases=("单位编码", "所属单位编码"),
            help=gettext_lazy("For a unit's own Party organization; optional"),
        ),
        Column(
            "founded_on",
            gettext_lazy("Founded on"),
            read_date,
            aliases=("成立日期", "成立时间"),
            help=gettext_lazy("A date such as 2024-07-01; optional"),
        ),
    ),
    example=_org_example,
    field_columns={"parent": "parent_code", "area": "area_code", "unit": "unit_code"},
    place_column="area_code",
)

UNITS = Format(
    kind="units",
    title=gettext_lazy("Units"),
    kind_choices=UnitKind,
    columns=(
        Column(
            "code",
            gettext_lazy("Code"),
            _code(40),
            required=True,
            aliases=("编码", "代码", "单位编码", "统一社会信用代码"),
            help=gettext_lazy("Unified social credit code or internal code"),
        ),
        Column("name", gettext_lazy("Name"), _text(200), required=True, aliases=("名称", "单位名称")),
        Column(
            "kind",
            gettext_lazy("Kind"),
            read_kind(UnitKind),
            required=True,
            aliases=("类型", "单位类型"),
        ),
        Column(
            "home_area_code",
            gettext_lazy("Home area code"),
            _code(24),
            required=True,
            aliases=("所在区域编码", "所属区域编码", "区域编码", "所在区域"),
            help=gettext_lazy("The area the unit is registered in"),
        ),
        ADDRESS,
        Column(
            "areas_served",
            gettext_lazy("Areas served (codes)"),
            read_code_list,
            default=(),
            aliases=("服务区域编码", "服务区域"),
            help=gettext_lazy("Area codes separated by commas or 、; optional"),
        ),
    ),
    example=_unit_example,
    field_columns={"home_area": "home_area_code", "areas_served": "areas_served"},
    place_column="home_area_code",
)

FORMATS: dict[str, Format] = {f.kind: f for f in (AREAS, PARTY_ORGS, UNITS)}


def kinds_help(fmt: Format) -> str:
    """The accepted kind labels of a format, for the template's instructions sheet."""
    return _kinds_help(fmt.kind_choices)
