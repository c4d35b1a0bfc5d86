"""The taxonomy as data: the default file shipped with the package, and the one-sheet Excel format
used to export and import it.

One row per category. Its time limits sit in one cell, one limit per line (or separated by ";"):

    handle/normal=5 working_days
    handle/urgent/责令停工=4 working_hours

that is `stage/urgency[/step]=amount unit`, with the unit as its identifier (working_hours,
working_days, natural_days, natural_hours), its label in either language, or short (wh, wd, d, h).
Steps of one stage and urgency keep the order of the lines. This module only reads and checks; the
services in services.py write.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The exchange module's safe opening of a workbook (size, zip-bomb and format checks) and its error
# record are reused so every import in the platform refuses the same files with the same messages.
from jiceng.core.exchange.formats import normalize
from jiceng.core.exchange.importing import RowError, _open_workbook
from jiceng.units.models import UnitKind

from .models import CaseClass, LimitUnit, RequestType, Stage, Urgency

DEFAULT_FILE = Path(__file__).parent / "data" / "taxonomy.json"
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
MAX_AMOUNT = 10_000

UNIT_SHORT = {"wh": "working_hours", "wd": "working_days", "d": "natural_days", "h": "natural_hours",
              "nd": "natural_days", "nh": "natural_hours"}

# (key, header in English source): the export writes the header in the user's language; the import
# recognizes the key, the English header or its translation.
COLUMNS: list[tuple[str, Any]] = [
    ("code", gettext_lazy("Code")),
    ("name", gettext_lazy("Name")),
    ("parent", gettext_lazy("Parent code")),
    ("case_class", gettext_lazy("Case class")),
    ("request_type", gettext_lazy("Request type")),
    ("urgency_levels", gettext_lazy("Urgency levels")),
    ("unit_kind", gettext_lazy("Responsible unit kind")),
    ("is_major_hazard", gettext_lazy("Major hazard")),
    ("hazard_unit_kinds", gettext_lazy("Linked unit kinds")),
    ("active", gettext_lazy("Active")),
    ("limits", gettext_lazy("Time limits")),
]
REQUIRED = ("code", "name")


@dataclass
class LimitSpec:
    stage: str
    urgency: str
    amount: int
    unit: str
    step: str = ""


@dataclass
class CategorySpec:
    code: str
    name: str
    parent: str = ""
    case_class: str = ""
    request_type: str = ""
    urgency_levels: list[str] = field(default_factory=lambda: list(Urgency.values))
    unit_kind: str = ""
    is_major_hazard: bool = False
    hazard_unit_kinds: list[str] = field(default_factory=list)
    active: bool = True
    limits: list[LimitSpec] = field(default_factory=list)
    row: int | None = None  # the sheet row it came from, for error messages


def default_specs() -> list[CategorySpec]:
    """The shipped default taxonomy (jiceng/cases/data/taxonomy.json), parents first."""
    data = json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    specs = []
    for c in data["categories"]:
        limits = [LimitSpec(**lim) for lim in c.pop("limits")]
        specs.append(CategorySpec(**{**c, "parent": c.get("parent") or ""}, limits=limits))
    return specs


# --- limits as text -----------------------------------------------------------------------------------


def format_limits(limits) -> str:
    """Limits (TimeLimit rows or LimitSpecs, in order) as the cell text described above."""
    lines = []
    for lim in limits:
        head = f"{lim.stage}/{lim.urgency}" + (f"/{lim.step}" if lim.step else "")
        lines.append(f"{head}={lim.amount} {lim.unit}")
    return "\n".join(lines)


def _choice(value: str, choices, extra: dict[str, str] | None = None) -> str | None:
    """A choice given by identifier, by its label in English or the active language, or by an alias."""
    key = normalize(value)
    if extra and key in extra:
        return extra[key]
    for ident, label in choices:
        if key == normalize(ident):
            return ident
        if key == normalize(str(label)):
            return ident
        with translation.override("en"):
            if key == normalize(str(label)):
                return ident
    return None


def parse_limits(text: str) -> tuple[list[LimitSpec], list[str]]:
    """The cell text as limits, and one message per line that cannot be read."""
    limits: list[LimitSpec] = []
    errors: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for raw in re.split(r"[;\n；]+", text or ""):
        line = raw.strip()
        if not line:
            continue
        m = re.match(r"^([^=＝]+)[=＝]\s*(\d+)\s*(.+)$", line)
        if not m:
            errors.append(_("“%(line)s” is not of the form stage/urgency[/step]=amount unit.") % {"line": line})
            continue
        parts = [p.strip() for p in re.split(r"[/／]", m.group(1))]
        if len(parts) not in (2, 3):
            errors.append(_("“%(line)s” is not of the form stage/urgency[/step]=amount unit.") % {"line": line})
            continue
        stage = _choice(parts[0], Stage.choices)
        urgency = _choice(parts[1], Urgency.choices)
        step = parts[2] if len(parts) == 3 else ""
        unit = _choice(m.group(3), LimitUnit.choices, UNIT_SHORT)
        amount = int(m.group(2))
        problems = []
        if stage is None:
            problems.append(_("unknown stage “%(value)s”") % {"value": parts[0]})
        if urgency is None:
            problems.append(_("unknown urgency “%(value)s”") % {"value": parts[1]})
        if unit is None:
            problems.append(_("unknown unit “%(value)s”") % {"value": m.group(3).strip()})
        if not 1 <= amount <= MAX_AMOUNT:
            problems.append(_("the amount must be between 1 and %(max)s") % {"max": MAX_AMOUNT})
        if len(step) > 50:
            problems.append(_("a step name has at most 50 characters"))
        if problems:
            errors.append(f"“{line}”: " + "; ".join(problems))
            continue
        if (stage, urgency, step) in seen:
            errors.append(_("“%(line)s” repeats a limit already given.") % {"line": line})
            continue
        seen.add((stage, urgency, step))
        limits.append(LimitSpec(stage=stage, urgency=urgency, amount=amount, unit=unit, step=step))
    errors.extend(check_limits(limits))
    return limits, errors


def check_limits(limits: list[LimitSpec]) -> list[str]:
    """A stage at one urgency is either one limit or a series of named steps, never both."""
    errors = []
    groups: dict[tuple[str, str], list[str]] = {}
    for lim in limits:
        groups.setdefault((lim.stage, lim.urgency), []).append(lim.step)
    for (stage, urgency), steps in groups.items():
        if len(steps) > 1 and "" in steps:
            errors.append(
                _("%(stage)s at %(urgency)s urgency has both a whole-stage limit and named steps.")
                % {"stage": Stage(stage).label, "urgency": Urgency(urgency).label}
            )
    return errors


# --- the Excel sheet --------------------------------------------------------------------------------


def export_rows(categories, parents: dict[int, str]) -> list[list]:
    """Rows of the export, in the column order of COLUMNS. `categories` have their limits
    prefetched; `parents` maps a category id to its parent's code."""
    rows = []
    for c in categories:
        rows.append([
            c.code,
            c.name,
            parents.get(c.pk, ""),
            c.case_class,
            c.request_type,
            ",".join(c.urgency_levels),
            c.unit_kind,
            _("yes") if c.is_major_hazard else _("no"),
            ",".join(c.hazard_unit_kinds),
            _("yes") if c.active else _("no"),
            format_limits(c.limits.all()),
        ])
    return rows


def headers() -> list[str]:
    return [str(label) for _key, label in COLUMNS]


_YES = {"yes", "y", "true", "1", "是", "x", "✓"}
_NO = {"no", "n", "false", "0", "否", ""}


def _bool(value: str) -> bool | None:
    v = normalize(value)
    if v in _YES or v == normalize(_("yes")):
        return True
    if v in _NO or v == normalize(_("no")):
        return False
    return None


def _list(value: str, choices) -> tuple[list[str], list[str]]:
    found, bad = [], []
    for part in re.split(r"[,，、;；\s]+", value.strip()):
        if not part:
            continue
        ident = _choice(part, choices)
        if ident is None:
            bad.append(part)
        elif ident not in found:
            found.append(ident)
    return found, bad


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_sheet(content: bytes) -> tuple[list[CategorySpec], list[RowError], dict[str, str]]:
    """Every row of the file as a spec, every problem by row and column, and each column's header as
    the file spells it (for later messages); the specs are only meant to be applied when there is no
    problem at all."""
    titles = {key: str(label) for key, label in COLUMNS}
    sheet, errors = _open_workbook(content)
    if errors:
        return [], errors, titles
    lines = sheet.iter_rows(values_only=True)
    header = next(lines, None) or ()
    lookup: dict[str, str] = {}
    for key, label in COLUMNS:
        lookup[normalize(key)] = key
        lookup[normalize(str(label))] = key
        with translation.override("en"):
            lookup[normalize(str(label))] = key
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        key = lookup.get(normalize(_text(value)))
        if key and key not in positions:
            positions[key] = index
            titles[key] = _text(value)
    missing = [titles[k] for k in REQUIRED if k not in positions]
    if missing:
        return [], [RowError(1, "", _("Missing column: %(columns)s.") % {"columns": "、".join(missing)})], titles
    specs: list[CategorySpec] = []
    for number, values in enumerate(lines, start=2):
        cells = {k: _text(values[i]) if i < len(values) else "" for k, i in positions.items()}
        if not any(cells.values()):
            continue
        spec, row_errors = _read_row(number, cells, titles)
        errors.extend(row_errors)
        if spec is not None:
            specs.append(spec)
    if not specs and not errors:
        errors.append(RowError(None, "", _("The file has no category rows.")))
    return specs, errors, titles


def _read_row(number: int, cells: dict[str, str], titles: dict[str, str]) -> tuple[CategorySpec | None, list]:
    errors: list[RowError] = []

    def err(key: str, message: str) -> None:
        errors.append(RowError(number, titles[key], message))

    spec = CategorySpec(code=cells.get("code", ""), name=cells.get("name", ""), row=number)
    if not spec.code:
        err("code", _("A code is required."))
    elif not CODE_RE.match(spec.code):
        err("code", _("A code has 1 to 20 letters, digits, “-” or “_”."))
    if not spec.name:
        err("name", _("A name is required."))
    elif len(spec.name) > 100:
        err("name", _("A name has at most 100 characters."))
    spec.parent = cells.get("parent", "")
    if cells.get("case_class"):
        spec.case_class = _choice(cells["case_class"], CaseClass.choices) or ""
        if not spec.case_class:
            err("case_class", _("Unknown case class “%(value)s”.") % {"value": cells["case_class"]})
    if cells.get("request_type"):
        spec.request_type = _choice(cells["request_type"], RequestType.choices) or ""
        if not spec.request_type:
            err("request_type", _("Unknown request type “%(value)s”.") % {"value": cells["request_type"]})
    if "case_class" in cells and "request_type" in cells and not cells["case_class"] and not cells["request_type"]:
        err("case_class", _("Give a case class, a request type, or both."))
    if cells.get("urgency_levels"):
        levels, bad = _list(cells["urgency_levels"], Urgency.choices)
        if bad:
            err("urgency_levels", _("Unknown urgency: %(values)s.") % {"values": "、".join(bad)})
        spec.urgency_levels = [u for u in Urgency.values if u in levels]
    if cells.get("unit_kind"):
        spec.unit_kind = _choice(cells["unit_kind"], UnitKind.choices) or ""
        if not spec.unit_kind:
            err("unit_kind", _("Unknown unit kind “%(value)s”.") % {"value": cells["unit_kind"]})
    for key in ("is_major_hazard", "active"):
        if key in cells:
            value = _bool(cells[key]) if cells[key] else (key == "active")
            if value is None:
                err(key, _("Write yes or no."))
            else:
                setattr(spec, key, value)
    if cells.get("hazard_unit_kinds"):
        kinds, bad = _list(cells["hazard_unit_kinds"], UnitKind.choices)
        if bad:
            err("hazard_unit_kinds", _("Unknown unit kind: %(values)s.") % {"values": "、".join(bad)})
        spec.hazard_unit_kinds = kinds
    if spec.is_major_hazard and not spec.hazard_unit_kinds:
        err("hazard_unit_kinds", _("A major hazard needs the unit kinds it alerts."))
    limits, limit_errors = parse_limits(cells.get("limits", ""))
    for message in limit_errors:
        err("limits", message)
    spec.limits = limits
    return (None if errors else spec), errors
