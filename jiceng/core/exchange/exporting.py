"""Exporting areas, Party organizations and units in the import's own columns, and blank templates.

An export holds what the actor may see, in the columns `workbook_import` reads, so a file exported from
one system imports into another (or into this one after the rows were removed) unchanged.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area
from jiceng.core.excel import workbook_bytes
from jiceng.party.models import PartyOrg
from jiceng.units.models import Unit

from .formats import FORMATS, Format, kinds_help

# Excel cuts a cell at 32,767 characters; a boundary longer than that would come back as broken JSON.
EXCEL_CELL_LIMIT = 32_767


def _label(fmt: Format, value: str) -> str:
    return str(fmt.kind_choices(value).label)


def _parent_codes(model, objects: list) -> dict[str, str]:
    """path -> code for the objects and for the parents of the topmost ones (one extra query at most):
    a parent outside the export is still named, so the rows attach to it on import."""
    steplen = model.steplen
    codes = {o.path: o.code for o in objects}
    missing = {o.path[:-steplen] for o in objects if o.depth > 1} - codes.keys()
    if missing:
        codes.update(model.objects.filter(path__in=sorted(missing)).values_list("path", "code"))
    return codes


def _parent_code(model, codes: dict[str, str], obj) -> str:
    return codes.get(obj.path[: -model.steplen], "") if obj.depth > 1 else ""


def geometry_text(geometry: dict | None) -> str:
    """Compact GeoJSON text that fits one Excel cell: coordinates rounded to 7 decimals (about 1 cm)
    and, only for a boundary still too long, simplified just enough to fit."""
    if not geometry:
        return ""

    def dump(g: dict, digits: int) -> str:
        def rnd(v: Any) -> Any:
            return [rnd(x) for x in v] if isinstance(v, list | tuple) else round(v, digits)

        return json.dumps({"type": g["type"], "coordinates": rnd(g["coordinates"])}, separators=(",", ":"))

    text = dump(geometry, 7)
    if len(text) <= EXCEL_CELL_LIMIT:
        return text
    from shapely.geometry import mapping, shape

    shaped, tolerance = shape(geometry), 1e-6
    while len(text) > EXCEL_CELL_LIMIT:
        simpler = mapping(shaped.simplify(tolerance, preserve_topology=True))
        text = dump({"type": simpler["type"], "coordinates": simpler["coordinates"]}, 6)
        tolerance *= 2
    return text


def _area_rows(actor, fmt: Format) -> list[list[Any]]:
    from jiceng.areas.selectors import areas_visible

    qs: QuerySet[Area] = Area.objects.all() if actor is None else areas_visible(actor)
    areas = list(qs.order_by("path"))
    codes = _parent_codes(Area, areas)
    return [
        [
            a.code,
            a.name,
            _label(fmt, a.kind),
            _parent_code(Area, codes, a),
            a.population,
            a.households,
            a.lat,
            a.lng,
            a.address,
            geometry_text(a.geometry),
        ]
        for a in areas
    ]


def _party_org_rows(actor, fmt: Format) -> list[list[Any]]:
    from jiceng.party.selectors import visible_orgs

    qs: QuerySet[PartyOrg] = PartyOrg.objects.all() if actor is None else visible_orgs(actor)
    orgs = list(qs.select_related("area", "unit").order_by("path"))
    codes = _parent_codes(PartyOrg, orgs)
    return [
        [
            o.code,
            o.name,
            _label(fmt, o.kind),
            _parent_code(PartyOrg, codes, o),
            o.area.code,
            o.unit.code if o.unit_id else "",
            o.founded_on,
        ]
        for o in orgs
    ]


def _unit_rows(actor, fmt: Format) -> list[list[Any]]:
    from jiceng.units.selectors import visible_units

    qs: QuerySet[Unit] = Unit.objects.all() if actor is None else visible_units(actor)
    units = (
        qs.select_related("home_area")
        .prefetch_related(Prefetch("areas_served", queryset=Area.objects.only("id", "code").order_by("code")))
        .order_by("code")
    )
    return [
        [
            u.code,
            u.name,
            _label(fmt, u.kind),
            u.home_area.code,
            u.address,
            "、".join(a.code for a in u.areas_served.all()),
        ]
        for u in units
    ]


_ROWS: dict[str, Callable[[Any, Format], list[list[Any]]]] = {
    "areas": _area_rows,
    "party_orgs": _party_org_rows,
    "units": _unit_rows,
}
_MODELS = {"areas": Area, "party_orgs": PartyOrg, "units": Unit}


def headers(fmt: Format) -> list[str]:
    return [str(c.title) for c in fmt.columns]


def export_rows(*, actor, kind: str) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of `kind` that `actor` may see (None: the system, everything)."""
    fmt = FORMATS[kind]
    return headers(fmt), _ROWS[kind](actor, fmt)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    rows: int


def workbook_export(*, actor, kind: str, request=None) -> ExportFile:
    """An .xlsx export of everything of `kind` in the actor's scope; the export itself is audited."""
    if kind not in FORMATS:
        raise ValueError(f"unknown export kind {kind!r}")
    if actor is not None and not scope_for(actor).allows(roles.EXPORT):
        raise PermissionDenied
    fmt = FORMATS[kind]
    head, rows = export_rows(actor=actor, kind=kind)
    content = workbook_bytes(str(fmt.title), head, rows)
    model = _MODELS[kind]
    audit_record(
        actor=actor,
        kind=AuditKind.EXPORT,
        action=f"export.{kind}",
        object_type=f"{model._meta.app_label}.{model._meta.model_name}",
        changes={"kind": kind, "rows": len(rows)},
        request=request,
    )
    return ExportFile(content=content, rows=len(rows))


def workbook_template(*, kind: str) -> bytes:
    """The header, one example row, and a second sheet that explains each column."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    fmt = FORMATS[kind]
    example = fmt.example()
    content = workbook_bytes(str(fmt.title), headers(fmt), [[example.get(c.key, "") for c in fmt.columns]])
    workbook = load_workbook(io.BytesIO(content))
    notes = workbook.create_sheet(_("Instructions")[:31])
    notes.append([_("Column"), _("Required"), _("Notes")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in fmt.columns:
        note = str(column.help)
        if column.key == "kind":
            note = _("One of: %(kinds)s") % {"kinds": kinds_help(fmt)}
        notes.append([str(column.title), _("Yes") if column.required else _("No"), note])
    notes.append([])
    notes.append([_("Only the first sheet is imported; delete the example row before importing your own rows.")])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
