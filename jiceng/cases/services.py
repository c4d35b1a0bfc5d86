"""Writes of the taxonomy and the calendar. Each is keyword-only, runs in one transaction, checks
the actor and records its audit event inside that transaction.

The taxonomy is district-wide reference data: only a district administrator changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import Role
from jiceng.accounts.scope import scope_for
from jiceng.units.models import UnitKind

from . import taxonomy
from .models import CalendarOverride, Category, TimeLimit, Urgency
from .taxonomy import CategorySpec, LimitSpec, RowError


def can_edit_taxonomy(user) -> bool:
    return Role.DISTRICT_ADMIN in scope_for(user).roles


def _check_admin(actor) -> None:
    if not can_edit_taxonomy(actor):
        raise PermissionDenied


# --- loading and importing -------------------------------------------------------------------------------


@dataclass
class TaxonomyResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _fields(spec: CategorySpec) -> dict:
    return {
        "name": spec.name,
        "case_class": spec.case_class,
        "request_type": spec.request_type,
        "urgency_levels": list(spec.urgency_levels),
        "unit_kind": spec.unit_kind,
        "is_major_hazard": spec.is_major_hazard,
        "hazard_unit_kinds": list(spec.hazard_unit_kinds),
        "active": spec.active,
    }


def _replace_limits(category: Category, limits: list[LimitSpec]) -> None:
    TimeLimit.objects.filter(category=category).delete()
    order: dict[tuple[str, str], int] = {}
    rows = []
    for lim in limits:
        key = (lim.stage, lim.urgency)
        order[key] = order.get(key, 0) + 1
        rows.append(TimeLimit(category=category, stage=lim.stage, urgency=lim.urgency, step=lim.step,
                              order=order[key], amount=lim.amount, unit=lim.unit))
    TimeLimit.objects.bulk_create(rows)


def _check_tree(specs: list[CategorySpec], existing: dict[str, Category], parent_codes: dict[str, str],
                titles: dict[str, str]) -> list:
    """Problems between rows and with the tree already stored: repeated codes, unknown parents,
    more than two levels, a category moved to another parent."""
    errors: list[RowError] = []
    col = titles.__getitem__
    by_code: dict[str, CategorySpec] = {}
    for spec in specs:
        if spec.code in by_code:
            errors.append(RowError(spec.row, col("code"), _("The code %(code)s appears twice in the file.")
                                   % {"code": spec.code}))
        by_code[spec.code] = spec
    for spec in specs:
        if not spec.parent:
            parent_parent = None
        elif spec.parent in by_code:
            parent_parent = by_code[spec.parent].parent
        elif spec.parent in existing:
            parent_parent = parent_codes.get(spec.parent, "")
        else:
            errors.append(RowError(spec.row, col("parent"), _("No category has the code %(code)s.")
                                   % {"code": spec.parent}))
            continue
        if spec.parent == spec.code:
            errors.append(RowError(spec.row, col("parent"), _("A category cannot be its own parent.")))
        elif parent_parent:
            errors.append(RowError(spec.row, col("parent"), _(
                "%(code)s is a minor class; categories have two levels, major and minor.") % {"code": spec.parent}))
        current = existing.get(spec.code)
        if current is not None and parent_codes.get(spec.code, "") != spec.parent:
            errors.append(RowError(spec.row, col("parent"), _(
                "%(code)s already exists under another parent; moving a category is not supported.")
                % {"code": spec.code}))
    return errors


def _stored() -> tuple[dict[str, Category], dict[str, str]]:
    existing = {c.code: c for c in Category.objects.all()}
    code_by_path = {c.path: c.code for c in existing.values()}
    parents = {c.code: code_by_path.get(c.path[: -Category.steplen], "") for c in existing.values() if c.depth > 1}
    return existing, parents


def _apply(specs: list[CategorySpec], existing: dict[str, Category], *, update: bool) -> tuple[int, int]:
    created = updated = 0
    # Parents first: a major class before its minor classes.
    for spec in sorted(specs, key=lambda s: (bool(s.parent), s.code)):
        category = existing.get(spec.code)
        if category is None:
            if spec.parent:
                parent = Category.objects.get(pk=existing[spec.parent].pk)
                category = Category.objects.add_child(parent, {"code": spec.code, **_fields(spec)})
            else:
                category = Category.objects.add_root({"code": spec.code, **_fields(spec)})
            existing[spec.code] = category
            _replace_limits(category, spec.limits)
            created += 1
        elif update:
            for name, value in _fields(spec).items():
                setattr(category, name, value)
            category.save()
            _replace_limits(category, spec.limits)
            updated += 1
    return created, updated


def taxonomy_load_default(*, actor=None, request=None) -> TaxonomyResult:
    """Create the shipped default categories that are missing (by code); a category that already
    exists is left as the administrators made it. Running it again changes nothing."""
    if actor is not None:
        _check_admin(actor)
    specs = taxonomy.default_specs()
    with transaction.atomic():
        existing, _parents = _stored()
        created, _updated = _apply(specs, existing, update=False)
        if created:
            audit_record(actor=actor, action="taxonomy.load_default", object_type="cases.category",
                         changes={"created": created}, request=request)
    return TaxonomyResult(rows=len(specs), created=created)


def taxonomy_import(*, actor, content: bytes, request=None) -> TaxonomyResult:
    """Create or update categories (by code) from a one-sheet workbook, all or nothing: a file with
    any problem changes nothing and every problem is reported by row and column."""
    _check_admin(actor)
    specs, errors, titles = taxonomy.read_sheet(content)
    result = TaxonomyResult(rows=len(specs), errors=errors)
    if errors:
        return result
    with transaction.atomic():
        existing, parents = _stored()
        result.errors = _check_tree(specs, existing, parents, titles)
        if result.errors:
            return result
        result.created, result.updated = _apply(specs, existing, update=True)
        audit_record(actor=actor, action="taxonomy.import", object_type="cases.category",
                     changes={"rows": len(specs), "created": result.created, "updated": result.updated},
                     request=request)
    return result


# --- editing one category ----------------------------------------------------------------------------------


def category_update(
    *,
    actor,
    category: Category,
    name: str,
    active: bool,
    urgency_levels: list[str],
    unit_kind: str = "",
    is_major_hazard: bool = False,
    hazard_unit_kinds: list[str] | None = None,
    limits: list[LimitSpec] | None = None,
    request=None,
) -> Category:
    """Change a category's name, state, urgency levels, responsible unit kind, hazard linkage and
    (when `limits` is given) replace its own time limits."""
    _check_admin(actor)
    hazard_unit_kinds = list(hazard_unit_kinds or [])
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors.setdefault("name", []).append(_("A name is required."))
    elif len(name) > 100:
        errors.setdefault("name", []).append(_("A name has at most 100 characters."))
    if not urgency_levels or set(urgency_levels) - set(Urgency.values):
        errors.setdefault("urgency_levels", []).append(_("Choose at least one urgency level."))
    if unit_kind and unit_kind not in UnitKind.values:
        errors.setdefault("unit_kind", []).append(_("Unknown unit kind."))
    if set(hazard_unit_kinds) - set(UnitKind.values):
        errors.setdefault("hazard_unit_kinds", []).append(_("Unknown unit kind."))
    if is_major_hazard and not hazard_unit_kinds:
        errors.setdefault("hazard_unit_kinds", []).append(_("A major hazard needs the unit kinds it alerts."))
    if limits is not None:
        problems = taxonomy.check_limits(limits)
        keys = [(lim.stage, lim.urgency, lim.step) for lim in limits]
        if len(keys) != len(set(keys)):
            problems.append(_("A limit is given twice for the same stage, urgency and step."))
        if any(not 1 <= lim.amount <= taxonomy.MAX_AMOUNT for lim in limits):
            problems.append(_("Amounts must be between 1 and %(max)s.") % {"max": taxonomy.MAX_AMOUNT})
        if problems:
            errors["limits"] = problems
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        new = {
            "name": name,
            "active": active,
            "urgency_levels": [u for u in Urgency.values if u in urgency_levels],
            "unit_kind": unit_kind,
            "is_major_hazard": is_major_hazard,
            "hazard_unit_kinds": [k for k in UnitKind.values if k in hazard_unit_kinds],
        }
        changes = {k: [getattr(category, k), v] for k, v in new.items() if getattr(category, k) != v}
        for k, v in new.items():
            setattr(category, k, v)
        category.save()
        if limits is not None:
            before = taxonomy.format_limits(category.limits.all())
            after = taxonomy.format_limits(limits)
            if before != after:
                _replace_limits(category, limits)
                changes["limits"] = [before, after]
        audit_record(actor=actor, action="category.update", obj=category, changes=changes, request=request)
    return category


# --- the calendar --------------------------------------------------------------------------------------------


def calendar_override_set(*, actor, day: date, is_working_day: bool, note: str = "", request=None) -> CalendarOverride:
    """Declare `day` a working day or a day off, replacing any earlier override of it."""
    _check_admin(actor)
    if len(note) > 100:
        raise ValidationError({"note": [_("A note has at most 100 characters.")]})
    with transaction.atomic():
        override, created = CalendarOverride.objects.update_or_create(
            date=day, defaults={"is_working_day": is_working_day, "note": note.strip(), "updated_by": actor}
        )
        audit_record(actor=actor, action="calendar.override_set", obj=override,
                     changes={"date": day.isoformat(), "is_working_day": is_working_day, "note": note,
                              "created": created}, request=request)
    return override


def calendar_override_delete(*, actor, day: date, request=None) -> bool:
    """Remove the override of `day` (the package decides again); False if there was none."""
    _check_admin(actor)
    with transaction.atomic():
        override = CalendarOverride.objects.select_for_update().filter(date=day).first()
        if override is None:
            return False
        audit_record(actor=actor, action="calendar.override_delete", obj=override,
                     changes={"date": day.isoformat(), "is_working_day": override.is_working_day}, request=request)
        override.delete()
    return True
