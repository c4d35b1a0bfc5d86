"""Importing a workbook of areas, Party organizations or units: all or nothing per file.

The whole file is checked first: the file itself, its headers, every cell, then every row against
the others and against the database (duplicates, references, the actor's scope). Every problem is
collected as (row as Excel numbers it, column title as the file spells it, message in the user's
language). Only a file without a single problem is applied, inside one transaction, row by row
through the owning app's service; a row the service refuses is reported the same way and the whole
file is rolled back, so nothing is ever half-imported.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import Scope, log, scope_for
from jiceng.areas.models import CHILD_KIND, CODE_LENGTH, KIND_DEPTH, Area, AreaKind
from jiceng.party.models import OrgKind, PartyOrg
from jiceng.units.models import Unit

from .formats import AREAS, FORMATS, PARTY_ORGS, UNITS, CellError, Format, join_list, normalize

DEFAULT_MAX_ROWS = 50_000
# A real workbook compresses text roughly tenfold; a file that unpacks to far more is a zip bomb.
UNPACKED_RATIO = 20
# How many codes go into one `IN (...)` query (SQLite allows a limited number of parameters).
_CHUNK = 500


@dataclass(frozen=True)
class RowError:
    """One problem. `row` is the sheet row as Excel shows it (the header is row 1); None for a
    problem with the file as a whole. `column` is the header as the file spells it, or ""."""

    row: int | None
    column: str
    message: str


@dataclass
class ImportResult:
    kind: str
    rows: int = 0  # data rows read from the file
    created: int = 0  # objects created (0 unless the whole file was applied)
    unchanged: int = 0  # rows already in the system, left as they are (idempotent kinds: hotline)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(eq=False)  # rows are compared by identity: two rows may hold the same values
class Row:
    number: int
    values: dict[str, Any]
    bad: set[str] = field(default_factory=set)  # keys whose cell could not be read

    def get(self, key: str) -> Any:
        return None if key in self.bad else self.values.get(key)


@dataclass
class Sheet:
    fmt: Format
    titles: dict[str, str]  # column key -> header text as in the file (or our title when absent)
    rows: list[Row]
    errors: list[RowError] = field(default_factory=list)
    # False when the file, its header or its size is wrong: then no row is checked further.
    readable: bool = True

    def error(self, row: Row | int | None, key: str, message: str) -> None:
        number = row.number if isinstance(row, Row) else row
        self.errors.append(RowError(number, self.titles.get(key, ""), message))
        if isinstance(row, Row):
            row.bad.add(key)


def max_rows() -> int:
    return int(getattr(settings, "MAX_IMPORT_ROWS", DEFAULT_MAX_ROWS))


# --- reading the file ----------------------------------------------------------------------------------------


def _file_error(message: str) -> list[RowError]:
    return [RowError(None, "", message)]


def _open_workbook(content: bytes) -> tuple[Any, list[RowError]]:
    """The first worksheet of a real .xlsx file, or the reason it is refused."""
    from openpyxl import load_workbook

    limit = settings.MAX_IMPORT_BYTES
    if len(content) > limit:
        return None, _file_error(
            _("The file is %(size)s; at most %(limit)s may be imported at once.")
            % {"size": filesizeformat(len(content)), "limit": filesizeformat(limit)}
        )
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return None, _file_error(_("This is an old Excel 97-2003 (.xls) file; save it as .xlsx and try again."))
    not_xlsx = _("This is not an Excel .xlsx file.")
    if content[:4] != b"PK\x03\x04":
        return None, _file_error(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None, _file_error(not_xlsx)
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        return None, _file_error(not_xlsx)
    if unpacked > limit * UNPACKED_RATIO:
        return None, _file_error(_("The file unpacks to more than %(limit)s; it cannot be imported.")
                                 % {"limit": filesizeformat(limit * UNPACKED_RATIO)})
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of errors for broken files
        return None, _file_error(_("The file could not be read as an Excel workbook."))
    if not workbook.worksheets:
        return None, _file_error(_("The workbook has no worksheet."))
    return workbook.worksheets[0], []


def _decode_csv(content: bytes) -> str | None:
    """CSV text as the city platforms export it: UTF-8 (with or without a byte-order mark) or GB18030
    (which includes GBK and GB2312). None when it is neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read_csv_sheet(content: bytes, fmt: Format) -> Sheet:
    """The same reading as `read_sheet`, for a CSV file: cells arrive as text and the column readers
    parse them exactly as they parse text typed into Excel."""
    import csv

    sheet = Sheet(fmt=fmt, titles={c.key: str(c.title) for c in fmt.columns}, rows=[])
    limit = settings.MAX_IMPORT_BYTES
    if len(content) > limit:
        sheet.errors = _file_error(
            _("The file is %(size)s; at most %(limit)s may be imported at once.")
            % {"size": filesizeformat(len(content)), "limit": filesizeformat(limit)}
        )
        sheet.readable = False
        return sheet
    text = _decode_csv(content)
    if text is None or "\x00" in text:
        sheet.errors = _file_error(_("This CSV file is neither UTF-8 nor GB18030 text; save it as UTF-8 CSV."))
        sheet.readable = False
        return sheet
    # Comma-separated, or tab-separated when the header row has tabs and no comma (a sheet saved as text).
    header = text.split("\n", 1)[0]
    dialect = csv.excel_tab if "\t" in header and "," not in header else csv.excel
    try:
        _read_lines(sheet, (tuple(line) for line in csv.reader(io.StringIO(text, newline=""), dialect)))
    except csv.Error:
        sheet.errors = _file_error(_("The CSV file could not be read (a quote is not closed?)."))
        sheet.rows = []
        sheet.readable = False
    return sheet


def read_table(content: bytes, fmt: Format, filename: str = "") -> Sheet:
    """An Excel workbook (recognized by its content) or else a CSV file."""
    is_workbook = content[:4] == b"PK\x03\x04" or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    if is_workbook or filename.lower().endswith((".xlsx", ".xls")):
        return read_sheet(content, fmt)
    return read_csv_sheet(content, fmt)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_sheet(content: bytes, fmt: Format) -> Sheet:
    """Headers and cells, each cell read by its column; every problem collected on the sheet."""
    worksheet, errors = _open_workbook(content)
    sheet = Sheet(fmt=fmt, titles={c.key: str(c.title) for c in fmt.columns}, rows=[], errors=errors)
    if worksheet is None:
        sheet.readable = False
        return sheet
    try:
        _read_lines(sheet, worksheet.iter_rows(values_only=True))
    except Exception:  # noqa: BLE001 - a damaged sheet inside a sound zip fails while it is read
        sheet.errors = _file_error(_("The file could not be read as an Excel workbook."))
        sheet.rows = []
        sheet.readable = False
    finally:
        worksheet.parent.close()
    return sheet


def _read_lines(sheet: Sheet, lines: Iterator[tuple]) -> None:
    header = next(lines, None)
    if header is None or all(_blank(v) for v in header):
        sheet.errors.append(RowError(1, "", _("The first row must hold the column titles.")))
        sheet.readable = False
        return
    positions = _read_header(sheet, header)
    if sheet.errors:
        sheet.readable = False
        return
    limit = max_rows()
    for number, values in enumerate(lines, start=2):
        if number > 2 * limit + 1:
            # Blank lines are skipped, but not without end: a sheet formatted down to row 1,048,576 is refused.
            _too_long(sheet, _("The sheet has more than %(n)d lines, blank ones included; delete the empty lines "
                               "below the data or split the file.") % {"n": 2 * limit + 1})
            return
        if all(_blank(v) for v in values):
            continue
        if len(sheet.rows) >= limit:
            _too_long(sheet, _("The file has more than %(n)d rows; split it into smaller files.") % {"n": limit})
            return
        sheet.rows.append(_read_row(sheet, number, values, positions))
    if not sheet.rows:
        sheet.errors.append(RowError(None, "", _("The file has no rows to import.")))
        sheet.readable = False


def _too_long(sheet: Sheet, message: str) -> None:
    sheet.errors = _file_error(message)
    sheet.rows = []
    sheet.readable = False


def _read_header(sheet: Sheet, header: tuple) -> dict[str, int]:
    lookup = sheet.fmt.header_lookup()
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        if _blank(value):
            continue  # a column without a title is someone's scratch space: ignored
        text = str(value).strip()
        column = lookup.get(normalize(text))
        if column is None:
            known = join_list(c.title for c in sheet.fmt.columns)
            sheet.errors.append(RowError(1, text, _("Unknown column; the columns are: %(known)s.") % {"known": known}))
        elif column.key in positions:
            sheet.errors.append(RowError(1, text, _("This column appears twice.")))
        else:
            positions[column.key] = index
            sheet.titles[column.key] = text
    for column in sheet.fmt.columns:
        if column.required and column.key not in positions:
            sheet.errors.append(RowError(1, str(column.title), _("This column is missing.")))
    return positions


def _read_row(sheet: Sheet, number: int, values: tuple, positions: dict[str, int]) -> Row:
    row = Row(number=number, values={})
    for column in sheet.fmt.columns:
        index = positions.get(column.key)
        raw = values[index] if index is not None and index < len(values) else None
        if isinstance(raw, str) and raw.startswith("#") and raw.endswith(("!", "?", "/0", "/A")):
            sheet.error(row, column.key, _("This cell holds a formula error (%(value)s).") % {"value": raw})
            continue
        if _blank(raw):
            if column.required:
                sheet.error(row, column.key, _("This cell must not be empty."))
            else:
                row.values[column.key] = column.default
            continue
        try:
            row.values[column.key] = column.read(raw)
        except CellError as exc:
            sheet.error(row, column.key, str(exc))
    return row


# --- checking rows against each other and the database -------------------------------------------------


def _by_code(model: type[models.Model], codes: Iterable[str], related: tuple[str, ...] = ()) -> dict[str, Any]:
    wanted = sorted({c for c in codes if c})
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), _CHUNK):
        qs = model.objects.filter(code__in=wanted[start : start + _CHUNK])
        if related:
            qs = qs.select_related(*related)
        found.update((obj.code, obj) for obj in qs)
    return found


class _Context:
    """The actor's scope and the file's codes, shared by the checks of one kind."""

    def __init__(self, actor, sheet: Sheet, request=None):
        self.actor = actor
        self.request = request
        self.scope: Scope | None = scope_for(actor) if actor is not None else None
        self.sheet = sheet
        self.first: dict[str, Row] = {}  # code -> the first row that has it
        # Codes of existing objects outside the actor's scope that the file names: reported to the user
        # exactly like codes that do not exist, and to the auditor as a security event.
        self.out_of_scope: set[str] = set()

    def covers(self, path: str, code: str = "") -> bool:
        if self.scope is None or self.scope.covers_path(path):
            return True
        if code:
            self.out_of_scope.add(code)
        return False

    def check_codes(self, existing: dict[str, Any], exists_message: str) -> None:
        """Each code once in the file and not yet in the database."""
        for row in self.sheet.rows:
            code = row.get("code")
            if not code:
                continue
            if code in self.first:
                self.sheet.error(
                    row, "code", _("The code %(code)s is already used in row %(row)d.")
                    % {"code": code, "row": self.first[code].number},
                )
                continue
            self.first[code] = row
            if code in existing:
                self.sheet.error(row, "code", exists_message % {"code": code})

    def area_in_scope(self, areas: dict[str, Area], row: Row, key: str) -> Area | None:
        """An existing area the actor may reach; not found and out of scope read the same."""
        code = row.get(key)
        if not code:
            return None
        area = areas.get(code)
        if area is None or not self.covers(area.path, code):
            self.sheet.error(row, key, _("No area with code %(code)s within your scope.") % {"code": code})
            return None
        return area


def _check_areas(ctx: _Context) -> list[Row]:
    sheet = ctx.sheet
    rows = sheet.rows
    existing = _by_code(Area, [r.get("code") for r in rows] + [r.get("parent_code") for r in rows])
    ctx.check_codes(existing, _("An area with code %(code)s already exists."))
    is_district_admin = ctx.scope is None or roles.Role.DISTRICT_ADMIN in ctx.scope.roles
    for row in rows:
        code, kind, parent_code = row.get("code"), row.get("kind"), row.get("parent_code")
        if not kind:
            continue
        if code and (not code.isdigit() or len(code) != CODE_LENGTH[kind]):
            sheet.error(row, "code", _("A %(kind)s code has %(n)d digits.")
                        % {"kind": AreaKind(kind).label, "n": CODE_LENGTH[kind]})
        if kind == AreaKind.DISTRICT:
            if parent_code:
                sheet.error(row, "parent_code", _("A district has no parent; leave this cell empty."))
            elif not is_district_admin:
                sheet.error(row, "parent_code", _("Only a district administrator adds a district."))
            continue
        if "parent_code" in row.bad:
            continue
        if not parent_code:
            sheet.error(row, "parent_code", _("Give the parent's code; only a district has none."))
            continue
        if parent_code == code:
            sheet.error(row, "parent_code", _("An area cannot be its own parent."))
            continue
        parent_row = ctx.first.get(parent_code)
        parent = existing.get(parent_code)
        if parent_row is not None:
            parent_kind = parent_row.get("kind")
        elif parent is not None and ctx.covers(parent.path, parent_code):
            parent_kind = parent.kind
        else:
            sheet.error(row, "parent_code", _("No area with code %(code)s in this file or within your scope.")
                        % {"code": parent_code})
            continue
        if parent_kind and CHILD_KIND.get(parent_kind) != kind:
            sheet.error(row, "kind", _("A %(child)s cannot stand under a %(parent)s.")
                        % {"child": AreaKind(kind).label, "parent": AreaKind(parent_kind).label})
        elif code and code.isdigit() and not code.startswith(parent_code):
            sheet.error(row, "code", _("The code must start with the parent's code %(code)s.")
                        % {"code": parent_code})
    if sheet.errors:
        return []
    # Parents before children: each kind sits one level below its parent's.
    return sorted(rows, key=lambda r: (KIND_DEPTH[r.values["kind"]], r.values["code"]))


def _check_party_orgs(ctx: _Context) -> list[Row]:
    from jiceng.party.services import PARENT_KINDS

    sheet = ctx.sheet
    rows = sheet.rows
    existing = _by_code(PartyOrg, [r.get("code") for r in rows] + [r.get("parent_code") for r in rows])
    areas = _by_code(Area, [r.get("area_code") for r in rows])
    units = _visible_units(ctx, [r.get("unit_code") for r in rows])
    ctx.check_codes(existing, _("A Party organization with code %(code)s already exists."))
    today = timezone.localdate()
    for row in rows:
        code, kind, parent_code = row.get("code"), row.get("kind"), row.get("parent_code")
        parent_kind: str | None = None
        if parent_code and "parent_code" not in row.bad:
            parent = existing.get(parent_code)
            if parent_code == code:
                sheet.error(row, "parent_code", _("An organization cannot be its own parent."))
            elif parent_code in ctx.first:
                parent_kind = ctx.first[parent_code].get("kind")
            elif parent is not None and ctx.covers(parent.area_path, parent_code):
                parent_kind = parent.kind
            else:
                sheet.error(row, "parent_code",
                            _("No Party organization with code %(code)s in this file or within your scope.")
                            % {"code": parent_code})
        if kind and "parent_code" not in row.bad and (parent_kind or not parent_code):
            if parent_kind not in PARENT_KINDS[kind]:
                if parent_kind is None:
                    sheet.error(row, "parent_code", _("A %(kind)s must stand under a higher organization.")
                                % {"kind": OrgKind(kind).label})
                else:
                    sheet.error(row, "kind", _("A %(child)s cannot stand under a %(parent)s.")
                                % {"child": OrgKind(kind).label, "parent": OrgKind(parent_kind).label})
        ctx.area_in_scope(areas, row, "area_code")
        unit_code = row.get("unit_code")
        if unit_code and unit_code not in units:
            sheet.error(row, "unit_code", _("No unit with code %(code)s within your scope.") % {"code": unit_code})
        founded_on = row.get("founded_on")
        if founded_on and founded_on > today:
            sheet.error(row, "founded_on", _("The founding date cannot be in the future."))
    ordered = _parents_first(ctx)
    return [] if sheet.errors else ordered


def _visible_units(ctx: _Context, codes: Iterable[str]) -> set[str]:
    """The codes among `codes` of units the actor may see (the units directory's own rule)."""
    from jiceng.units.selectors import visible_units

    wanted = sorted({c for c in codes if c})
    qs = Unit.objects.all() if ctx.actor is None else visible_units(ctx.actor)
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        found.update(qs.filter(code__in=wanted[start : start + _CHUNK]).values_list("code", flat=True))
    return found


def _parents_first(ctx: _Context) -> list[Row]:
    """Rows ordered so a parent given in the file comes before its children; rows that name each
    other as parents in a ring are errors."""
    depth: dict[int, int] = {}
    for row in ctx.sheet.rows:
        chain: list[Row] = []
        current: Row | None = row
        while current is not None and current.number not in depth:
            if current in chain:  # identity: Row compares by identity
                ring = chain[chain.index(current):]
                numbers = join_list(r.number for r in ring)
                for member in ring:
                    ctx.sheet.error(member, "parent_code",
                                    _("Rows %(rows)s name each other as parent.") % {"rows": numbers})
                    depth[member.number] = 0
                chain = chain[: chain.index(current)]
                break
            chain.append(current)
            parent_code = current.get("parent_code")
            parent_row = ctx.first.get(parent_code) if parent_code else None
            current = parent_row if parent_row is not current else None
        base = depth.get(current.number, 0) + 1 if current is not None else 0
        for offset, member in enumerate(reversed(chain)):
            depth[member.number] = base + offset
    return sorted(ctx.sheet.rows, key=lambda r: (depth.get(r.number, 0), r.number))


def _check_units(ctx: _Context) -> list[Row]:
    sheet = ctx.sheet
    rows = sheet.rows
    existing = _by_code(Unit, [r.get("code") for r in rows])
    served_codes = [c for r in rows for c in (r.get("areas_served") or ())]
    areas = _by_code(Area, [r.get("home_area_code") for r in rows] + served_codes)
    ctx.check_codes(existing, _("A unit with code %(code)s already exists."))
    for row in rows:
        ctx.area_in_scope(areas, row, "home_area_code")
        missing = [c for c in (row.get("areas_served") or ()) if c not in areas or not ctx.covers(areas[c].path, c)]
        if missing:
            sheet.error(row, "areas_served", _("No area with code %(codes)s within your scope.")
                        % {"codes": join_list(missing)})
    return [] if sheet.errors else list(rows)


# --- applying -------------------------------------------------------------------------------------------


def _create_area(actor, row: Row, request=None) -> Any:
    """`area_create` records no client address, so `request` is not passed on."""
    from jiceng.areas.services import area_create

    v = row.values
    # Fetched afresh: adding sorted children may have renumbered siblings' paths since the file was checked.
    parent = Area.objects.get(code=v["parent_code"]) if v.get("parent_code") else None
    return area_create(
        actor=actor,
        parent=parent,
        kind=v["kind"],
        code=v["code"],
        name=v["name"],
        population=v.get("population") or 0,
        households=v.get("households") or 0,
        geometry=v.get("geometry"),
        lat=v.get("lat"),
        lng=v.get("lng"),
        address=v.get("address") or "",
    )


def _create_party_org(actor, row: Row, request=None) -> Any:
    from jiceng.party.services import party_org_create

    v = row.values
    return party_org_create(
        actor=actor,
        parent=PartyOrg.objects.get(code=v["parent_code"]) if v.get("parent_code") else None,
        kind=v["kind"],
        code=v["code"],
        name=v["name"],
        area=Area.objects.get(code=v["area_code"]),
        unit=Unit.objects.get(code=v["unit_code"]) if v.get("unit_code") else None,
        founded_on=v.get("founded_on"),
        request=request,
    )


def _create_unit(actor, row: Row, request=None) -> Any:
    from jiceng.units.services import unit_create

    v = row.values
    served = v.get("areas_served") or ()
    return unit_create(
        actor=actor,
        kind=v["kind"],
        name=v["name"],
        code=v["code"],
        home_area=Area.objects.get(code=v["home_area_code"]),
        address=v.get("address") or "",
        areas_served=tuple(Area.objects.filter(code__in=served)) if served else (),
        request=request,
    )


@dataclass(frozen=True)
class _Kind:
    fmt: Format
    check: Callable[[_Context], list[Row]]
    create: Callable[..., Any]  # (actor, row, request) -> the created object
    model: type[models.Model]


_KINDS = {
    "areas": _Kind(AREAS, _check_areas, _create_area, Area),
    "party_orgs": _Kind(PARTY_ORGS, _check_party_orgs, _create_party_org, PartyOrg),
    "units": _Kind(UNITS, _check_units, _create_unit, Unit),
}


def _service_errors(sheet: Sheet, row: Row, exc: ValidationError) -> None:
    fmt = sheet.fmt
    keys = {c.key for c in fmt.columns}
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            key = fmt.field_columns.get(name, name)
            for message in messages:
                sheet.error(row, key if key in keys else "", message)
    else:
        for message in exc.messages:
            sheet.error(row, "", message)


def _apply(ctx: _Context, kind: _Kind, ordered: list[Row]) -> int:
    """Create every row; on any refusal keep going (to report every row), then roll everything back."""
    sheet, actor = ctx.sheet, ctx.actor
    created: set[str] = set()
    for row in ordered:
        parent_code = row.values.get("parent_code")
        parent_row = ctx.first.get(parent_code) if parent_code else None
        if parent_row is not None and parent_code not in created:
            sheet.error(
                row, "parent_code", _("The parent in row %(row)d was not imported.") % {"row": parent_row.number}
            )
            continue
        try:
            with transaction.atomic():  # a savepoint: a refused row leaves the others intact for now
                kind.create(actor, row, request=ctx.request)
        except ValidationError as exc:
            _service_errors(sheet, row, exc)
        except PermissionDenied:
            sheet.error(row, kind.fmt.place_column, _("You may not add this here."))
        except (IntegrityError, ObjectDoesNotExist):  # another user changed the same data since the check
            sheet.error(row, "code", _("This row conflicts with data saved meanwhile; try again."))
        else:
            created.add(row.values["code"])
    return len(created)


def _sorted(sheet: Sheet) -> list[RowError]:
    order = {title: i for i, title in enumerate(sheet.titles.values())}
    return sorted(sheet.errors, key=lambda e: (e.row or 0, order.get(e.column, -1)))


def _record_out_of_scope(ctx: _Context, kind: _Kind, request) -> None:
    """A file naming objects outside the actor's scope is an attempt like opening their pages: the
    auditor sees it (outside the import's transaction, so it stays although nothing is imported)."""
    codes = sorted(ctx.out_of_scope)
    audit_record(
        actor=ctx.actor,
        kind=AuditKind.SECURITY,
        action="import.out_of_scope",
        object_type=f"{kind.model._meta.app_label}.{kind.model._meta.model_name}",
        changes={"kind": kind.fmt.kind, "codes": codes[:50], "count": len(codes)},
        request=request,
    )
    log.warning("import by user %s names %d object(s) outside their scope", getattr(ctx.actor, "pk", None), len(codes))


def workbook_import(*, actor, kind: str, content: bytes, filename: str = "", request=None) -> ImportResult:
    """Import one workbook of `kind` ("areas", "party_orgs", "units") as `actor` (None: the system).

    Returns the result; `result.errors` lists every problem, and when there is any, nothing was written.
    """
    from django.utils.module_loading import import_string

    from . import IMPORTERS

    if kind in IMPORTERS:  # kinds owned by another app (the 12345 hotline), on this module's machinery
        return import_string(IMPORTERS[kind])(actor=actor, content=content, filename=filename, request=request)
    if kind not in FORMATS:
        raise ValueError(f"unknown import kind {kind!r}")
    if actor is not None and not scope_for(actor).allows(roles.IMPORT):
        raise PermissionDenied
    spec = _KINDS[kind]
    sheet = read_sheet(content, spec.fmt)
    result = ImportResult(kind=kind, rows=len(sheet.rows))
    if not sheet.readable:
        result.errors = _sorted(sheet)
        return result
    # Rows are checked against each other and the database even when some cells were unreadable,
    # so one upload reports every problem; the unreadable cells themselves are skipped.
    ctx = _Context(actor, sheet, request)
    ordered = spec.check(ctx)
    if ctx.out_of_scope:
        _record_out_of_scope(ctx, spec, request)
    if sheet.errors:
        result.errors = _sorted(sheet)
        return result
    with transaction.atomic():
        created = _apply(ctx, spec, ordered)
        if sheet.errors:
            transaction.set_rollback(True)
            result.errors = _sorted(sheet)
            return result
        audit_record(
            actor=actor,
            action=f"import.{kind}",
            object_type=f"{spec.model._meta.app_label}.{spec.model._meta.model_name}",
            changes={"kind": kind, "rows": len(sheet.rows), "created": created, "file": filename[-100:]},
            request=request,
        )
    result.created = created
    return result
