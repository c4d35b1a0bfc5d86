"""Importing the 12345 city platform's work orders from Excel (.xlsx) or CSV (UTF-8 or GB18030).

The file is read and checked with the exchange module's machinery (jiceng.core.exchange): the
columns below, recognized by their Chinese headers, their English titles or their keys; every bad
cell and row reported by row and column; nothing written unless the whole file is sound. A ticket
number already received is left alone and counted as unchanged, so importing the same file twice
changes nothing the second time and says so.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.accounts.audit import audit_record
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area
from jiceng.core.exchange.formats import (
    CellError,
    Column,
    Format,
    join_list,
    normalize,
    read_code,
    read_datetime,
    read_kind,
    read_lat,
    read_lng,
    read_text,
)
from jiceng.core.exchange.importing import (
    ImportResult,
    Row,
    _by_code,
    _Context,
    _record_out_of_scope,
    _service_errors,
    _sorted,
    read_table,
)
from jiceng.people import personal

from . import workflow
from .case_models import Case
from .hotline_services import HotlineOrder, hotline_receive, hotline_tickets_known
from .models import Category, RequestType, Urgency

# The city platforms' words for urgency, beyond our own labels.
URGENCY_ALIASES = {
    "normal": ("一般", "普通", "正常", "平件", "常规"),
    "urgent": ("紧急", "急件", "加急", "较急"),
    "emergency": ("特急", "特别紧急", "非常紧急", "特急件"),
}


def _text(n: int):
    return lambda value: read_text(value, n)


def read_phone(value: Any) -> str:
    """Eleven digits after normalizing (+86, spaces, dashes); a landline or a wrong number is refused."""
    text = read_text(value, 30)
    try:
        return personal.normalize_phone(text)
    except ValidationError as exc:
        raise CellError(" ".join(exc.messages)) from None


def read_urgency(value: Any) -> str:
    text = normalize(read_text(value, 20))
    for key, label in Urgency.choices:
        if text in {normalize(key), normalize(str(label))} or text in {normalize(a) for a in URGENCY_ALIASES[key]}:
            return key
    raise CellError(_("Unknown urgency %(value)s; use one of: %(accepted)s.")
                    % {"value": read_text(value, 20), "accepted": join_list(Urgency.labels)})


def _example() -> dict[str, Any]:
    return {"ticket": "12345-20261130-000187", "received_at": "2026-11-30 09:15", "request_type": "投诉",
            "category": "C0108", "description": "小区门口的路灯坏了好几天，晚上一片漆黑。",
            "address": "鼓楼区示例路1号",
            "area": "350102001001", "building_code": "", "reporter_name": "王女士",
            "reporter_phone": "13812345678", "urgency": "一般", "due_at": "2026-12-05"}


FORMAT = Format(
    kind="hotline",
    title=gettext_lazy("12345 hotline work orders"),
    kind_choices=RequestType,
    columns=(
        Column("ticket", gettext_lazy("Ticket number"), lambda v: read_code(v, 64), required=True,
               aliases=("工单编号", "工单号", "热线工单号", "12345工单编号", "ticket_no", "ticket")),
        Column("received_at", gettext_lazy("Call time"), read_datetime, required=True,
               aliases=("来电时间", "受理时间", "来电/受理时间", "登记时间", "received_at", "call_time")),
        Column("request_type", gettext_lazy("Request type"), read_kind(RequestType), default="",
               aliases=("诉求类型", "工单类型", "来电类型", "request_type")),
        Column("category", gettext_lazy("Request category"), _text(100), default="",
               aliases=("诉求分类", "问题分类", "分类", "分类编码", "category"),
               help=gettext_lazy("A category code or name; empty: the request type's own category")),
        Column("description", gettext_lazy("Request content"), _text(5000), required=True,
               aliases=("诉求内容", "来电内容", "问题描述", "工单内容", "content", "description")),
        Column("address", gettext_lazy("Request address"), _text(200), default="",
               aliases=("诉求地址", "事发地址", "发生地址", "地址", "address")),
        Column("area", gettext_lazy("Subdistrict or community"), _text(100), default="",
               aliases=("所属街道/社区", "所属社区", "所属街道", "所属区域", "区域编码", "area"),
               help=gettext_lazy("The code or the name of a subdistrict, community, grid or compound")),
        Column("building_code", gettext_lazy("Building code"), lambda v: read_code(v, 40), default="",
               aliases=("楼栋编码", "building_code")),
        Column("lat", gettext_lazy("Latitude"), read_lat, aliases=("纬度", "lat"), help=gettext_lazy("WGS-84")),
        Column("lng", gettext_lazy("Longitude"), read_lng, aliases=("经度", "lng"), help=gettext_lazy("WGS-84")),
        Column("reporter_name", gettext_lazy("Contact"), _text(50), default="",
               aliases=("联系人", "来电人", "诉求人", "contact")),
        Column("reporter_phone", gettext_lazy("Contact phone"), read_phone, default="",
               aliases=("联系电话", "来电号码", "电话", "phone")),
        Column("urgency", gettext_lazy("Urgency"), read_urgency, default=Urgency.NORMAL,
               aliases=("紧急程度", "缓急程度", "urgency")),
        Column("due_at", gettext_lazy("Time limit"), lambda v: read_datetime(v, end_of_day=True),
               aliases=("办结时限", "办理时限", "截止时间", "due_at")),
    ),
    example=_example,
    field_columns={"reporter_phone": "reporter_phone", "building": "building_code", "lat": "lat",
                   "category": "category", "urgency": "urgency", "description": "description", "area": "area"},
    place_column="area",
)


def _categories(rows: list[Row]) -> tuple[dict[str, Category], dict[str, list[Category]], dict[str, Category]]:
    """Categories the file names, by code and by name (names may repeat across classes), and the
    category of each request type (the 12345 request-type classes of the taxonomy)."""
    names = {r.get("category") for r in rows if r.get("category")}
    by_code = {c.code: c for c in Category.objects.filter(code__in=sorted(names), active=True)}
    by_name: dict[str, list[Category]] = {}
    for c in Category.objects.filter(name__in=sorted(names), active=True).order_by("path"):
        by_name.setdefault(c.name, []).append(c)
    by_type = {}
    for c in Category.objects.filter(depth=1, active=True).exclude(request_type="").order_by("path"):
        by_type.setdefault(c.request_type, c)
    return by_code, by_name, by_type


def _areas(ctx: _Context, rows: list[Row]) -> tuple[dict[str, Area], dict[str, list[Area]]]:
    values = {r.get("area") for r in rows if r.get("area")} | {r.get("building_code") for r in rows}
    by_code = _by_code(Area, values)
    by_name: dict[str, list[Area]] = {}
    wanted = sorted(v for v in values if v and v not in by_code)
    for a in Area.objects.filter(name__in=wanted, kind__in=["subdistrict", "community", "grid", "compound"]):
        if ctx.covers(a.path):
            by_name.setdefault(a.name, []).append(a)
    return by_code, by_name


def _check(ctx: _Context) -> list[tuple[Row, HotlineOrder]]:
    """Every row against the others and the database; returns the orders of the rows not yet received."""
    sheet = ctx.sheet
    rows = sheet.rows
    known = hotline_tickets_known([r.get("ticket") for r in rows if r.get("ticket")])
    cat_code, cat_name, cat_type = _categories(rows)
    area_code, area_name = _areas(ctx, rows)
    first: dict[str, Row] = {}
    orders: list[tuple[Row, HotlineOrder]] = []
    for row in rows:
        ticket = row.get("ticket")
        if ticket:
            if ticket in first:
                sheet.error(row, "ticket", _("The ticket %(ticket)s is already in row %(row)d.")
                            % {"ticket": ticket, "row": first[ticket].number})
            else:
                first[ticket] = row
        category = None
        name = row.get("category")
        if name:
            matches = [cat_code[name]] if name in cat_code else cat_name.get(name, [])
            if len(matches) > 1:
                sheet.error(row, "category", _("Several categories are named %(name)s; give the code: %(codes)s.")
                            % {"name": name, "codes": join_list(c.code for c in matches)})
            elif not matches:
                sheet.error(row, "category", _("Unknown category %(name)s; give a code or a name of the taxonomy.")
                            % {"name": name})
            else:
                category = matches[0]
        elif "category" not in row.bad:
            rtype = row.get("request_type")
            category = cat_type.get(rtype) if rtype else None
            if category is None and "request_type" not in row.bad:
                sheet.error(row, "category", _("Give the category, or a request type the taxonomy has a class for."))
        urgency = row.get("urgency") or Urgency.NORMAL
        if category is not None and category.urgency_levels and urgency not in category.urgency_levels:
            sheet.error(row, "urgency", _("This category does not take that urgency."))
        area = building = None
        if row.get("area"):
            value = row.get("area")
            named = area_name.get(value, [])
            if value in area_code:
                area = ctx.area_in_scope(area_code, row, "area")
            elif len(named) == 1:
                area = named[0]
            elif len(named) > 1:
                sheet.error(row, "area", _("Several areas are named %(name)s; give the code: %(codes)s.")
                            % {"name": value, "codes": join_list(a.code for a in named)})
            else:
                sheet.error(row, "area", _("No area with code %(code)s within your scope.") % {"code": value})
        if row.get("building_code"):
            building = ctx.area_in_scope(area_code, row, "building_code")
            if building is not None and building.kind != "building":
                sheet.error(row, "building_code", _("Choose a building."))
                building = None
        if (row.get("lat") is None) != (row.get("lng") is None) and not {"lat", "lng"} & row.bad:
            sheet.error(row, "lat" if row.get("lat") is None else "lng",
                        _("Give both latitude and longitude, or neither."))
        received, due = row.get("received_at"), row.get("due_at")
        if received and due and due < received:
            sheet.error(row, "due_at", _("The time limit is before the call time."))
        if ticket and ticket not in known and row.number == first[ticket].number and category is not None:
            orders.append((row, HotlineOrder(
                ticket=ticket, received_at=received, category=category, description=row.get("description") or "",
                request_type=row.get("request_type") or "", urgency=urgency, address=row.get("address") or "",
                area=area, building=building, lat=row.get("lat"), lng=row.get("lng"),
                reporter_name=row.get("reporter_name") or "", reporter_phone=row.get("reporter_phone") or "",
                due_at=due)))
    return orders


def hotline_import(*, actor, content: bytes, filename: str = "", request=None) -> ImportResult:
    """Import one file of work orders as `actor` (a user who may report cases). All or nothing; rows
    whose ticket was received before are counted in `unchanged` and left alone."""
    if actor is None or not scope_for(actor).roles & workflow.REPORTERS:
        raise PermissionDenied
    sheet = read_table(content, FORMAT, filename)
    result = ImportResult(kind=FORMAT.kind, rows=len(sheet.rows))
    if not sheet.readable:
        result.errors = _sorted(sheet)
        return result
    ctx = _Context(actor, sheet, request)
    orders = _check(ctx)
    if ctx.out_of_scope:
        _record_out_of_scope(ctx, _Kind, request)
    if sheet.errors:
        result.errors = _sorted(sheet)
        return result
    created = 0
    with transaction.atomic():
        for row, order in orders:
            try:
                with transaction.atomic():  # a savepoint: go on to report every refused row
                    _case, new = hotline_receive(actor=actor, order=order, via="import", source_file=filename,
                                                 request=request)
            except ValidationError as exc:
                _service_errors(sheet, row, exc)
            except PermissionDenied:
                sheet.error(row, "area", _("You may not add this here."))
            else:
                created += int(new)
        if sheet.errors:
            transaction.set_rollback(True)
            result.errors = _sorted(sheet)
            return result
        audit_record(actor=actor, action="import.hotline", object_type="cases.case", request=request,
                     changes={"kind": "hotline", "rows": len(sheet.rows), "created": created,
                              "unchanged": len(sheet.rows) - created, "file": filename[-100:]})
    result.created = created
    result.unchanged = len(sheet.rows) - created
    return result


class _Kind:
    """What `_record_out_of_scope` needs to name the kind in the audit log."""

    fmt = FORMAT
    model = Case


def hotline_order_read(*, actor, fields: dict[str, Any]) -> HotlineOrder:
    """One pushed work order, read and checked exactly as one row of an imported file (same columns by
    key, same messages). Raises ValidationError keyed by field; a ticket received before is no error."""
    from jiceng.core.exchange.importing import Sheet, _read_row

    keys = [c.key for c in FORMAT.columns]
    sheet = Sheet(fmt=FORMAT, titles={k: k for k in keys}, rows=[])
    row = _read_row(sheet, 1, tuple(fields.get(k) for k in keys), {k: i for i, k in enumerate(keys)})
    sheet.rows.append(row)
    ctx = _Context(actor, sheet)
    orders = _check(ctx)
    if ctx.out_of_scope:
        _record_out_of_scope(ctx, _Kind, None)
    errors: dict[str, list[str]] = {}
    for error in sheet.errors:
        errors.setdefault(error.column or "__all__", []).append(error.message)
    if errors:
        raise ValidationError(errors)
    if orders:
        return orders[0][1]
    # Received before: the caller asks hotline_receive, which returns the existing case.
    return HotlineOrder(ticket=row.values["ticket"], received_at=row.values["received_at"],
                        category=Category(), description=row.values["description"])
