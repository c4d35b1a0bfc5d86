"""Writes to the units directory: units, their contacts and the posts people hold in them.

A unit is governed from its home area: changing it needs `org.change` over that area. The areas a
unit serves must lie in the actor's scope too, so nobody claims a unit serves a place they do not govern.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area
from jiceng.people import personal
from jiceng.people.models import Person

from .models import Contact, Unit, UnitKind, UnitRole

_UNSET: Any = object()


def check_unit_change(actor, unit: Unit) -> None:
    """The actor may change this unit: `org.change` over its home area, or a grant on the unit itself
    by a role that may change organization data."""
    if actor is None:
        return
    scope = scope_for(actor)
    if not scope.allows(roles.CHANGE_ORG):
        raise PermissionDenied
    if not (scope.covers_path(unit.home_area.path) or unit.pk in scope.unit_ids):
        raise PermissionDenied


def _check_area(actor, area: Area) -> None:
    if actor is None:
        return
    scope = scope_for(actor)
    if not scope.allows(roles.CHANGE_ORG) or not scope.covers_path(area.path):
        raise PermissionDenied


def _served_errors(actor, areas: Iterable[Area]) -> list[str]:
    if actor is None:
        return []
    scope = scope_for(actor)
    outside = [a.name for a in areas if not scope.covers_path(a.path)]
    if outside:
        return [_("These areas are outside your scope: %(names)s.") % {"names": ", ".join(outside)}]
    return []


def _unit_errors(*, kind: str, name: str, code: str, address: str, exclude_pk: int | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    if kind not in UnitKind.values:
        errors["kind"] = [_("Choose a valid kind of unit.")]
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 200:
        errors["name"] = [_("A name has at most 200 characters.")]
    if not code:
        errors["code"] = [_("This field is required.")]
    elif len(code) > 40:
        errors["code"] = [_("A code has at most 40 characters.")]
    elif Unit.objects.filter(code=code).exclude(pk=exclude_pk).exists():
        errors["code"] = [_("A unit with code %(code)s already exists.") % {"code": code}]
    if len(address) > 200:
        errors["address"] = [_("An address has at most 200 characters.")]
    return errors


def unit_create(
    *,
    actor,
    kind: str,
    name: str,
    code: str,
    home_area: Area,
    address: str = "",
    areas_served: Iterable[Area] = (),
    request=None,
) -> Unit:
    """Register a unit in its home area, with the areas it serves."""
    _check_area(actor, home_area)
    name, code, address = (name or "").strip(), (code or "").strip(), (address or "").strip()
    served = list(dict.fromkeys(areas_served))
    errors = _unit_errors(kind=kind, name=name, code=code, address=address)
    served_errors = _served_errors(actor, served)
    if served_errors:
        errors["areas_served"] = served_errors
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        unit = Unit.objects.create(kind=kind, name=name, code=code, home_area=home_area, address=address)
        if served:
            unit.areas_served.set(served)
        audit_record(
            actor=actor,
            action="unit.create",
            obj=unit,
            request=request,
            changes={
                "kind": kind,
                "name": name,
                "code": code,
                "home_area": home_area.code,
                "address": address,
                "areas_served": [a.code for a in served],
            },
        )
    return unit


def unit_update(
    *,
    actor,
    unit: Unit,
    kind: str | None = None,
    name: str | None = None,
    code: str | None = None,
    address: str | None = None,
    home_area: Area | None = None,
    areas_served: Iterable[Area] | None = None,
    request=None,
) -> Unit:
    """Change a unit's facts; `areas_served`, when given, replaces the whole set.

    Moving a unit to another home area needs `org.change` over both; served areas the actor cannot see
    are kept as they are, so an edit from a narrower scope never drops another office's data.
    """
    check_unit_change(actor, unit)
    if home_area is not None and home_area.pk != unit.home_area_id:
        _check_area(actor, home_area)
    new = {
        "kind": kind if kind is not None else unit.kind,
        "name": (name if name is not None else unit.name).strip(),
        "code": (code if code is not None else unit.code).strip(),
        "address": (address if address is not None else unit.address).strip(),
    }
    errors = _unit_errors(**new, exclude_pk=unit.pk)
    current = list(unit.areas_served.all())
    served: list[Area] | None = None
    if areas_served is not None:
        wanted = list(dict.fromkeys(areas_served))
        current_ids = {a.pk for a in current}
        added = [a for a in wanted if a.pk not in current_ids]
        served_errors = _served_errors(actor, added)
        if served_errors:
            errors["areas_served"] = served_errors
        scope = scope_for(actor) if actor is not None else None
        kept = [a for a in current if scope is not None and not scope.covers_path(a.path)]
        served = list(dict.fromkeys([*kept, *wanted]))
    if errors:
        raise ValidationError(errors)
    changes: dict[str, Any] = {}
    for field, value in new.items():
        if value != getattr(unit, field):
            changes[field] = [getattr(unit, field), value]
    if home_area is not None and home_area.pk != unit.home_area_id:
        changes["home_area"] = [unit.home_area.code, home_area.code]
    if served is not None and {a.pk for a in served} != {a.pk for a in current}:
        changes["areas_served"] = [sorted(a.code for a in current), sorted(a.code for a in served)]
    if not changes:
        return unit
    with transaction.atomic():
        for field, value in new.items():
            setattr(unit, field, value)
        if home_area is not None:
            unit.home_area = home_area
        unit.save()
        if "areas_served" in changes:
            unit.areas_served.set(served)
        audit_record(actor=actor, action="unit.update", obj=unit, request=request, changes=changes)
    return unit


def contact_add(*, actor, unit: Unit, name: str, title: str = "", phone: str = "", request=None) -> Contact:
    """Add a contact person; the phone is normalized, encrypted, indexed and masked like a resident's."""
    check_unit_change(actor, unit)
    name, title = (name or "").strip(), (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 50:
        errors["name"] = [_("A name has at most 50 characters.")]
    if len(title) > 50:
        errors["title"] = [_("A title has at most 50 characters.")]
    fields: dict[str, str] = {}
    if phone and phone.strip():
        try:
            value = personal.normalize_phone(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
        else:
            fields = {
                "phone_encrypted": personal.encrypt(value),
                "phone_index": personal.blind_index(value, "phone"),
                "phone_masked": personal.mask_phone(value),
            }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contact = Contact.objects.create(unit=unit, name=name, title=title, **fields)
        audit_record(
            actor=actor,
            action="contact.add",
            obj=contact,
            request=request,
            # The mask only: a full phone number never enters the audit log.
            changes={"unit": unit.code, "name": name, "title": title, "phone": fields.get("phone_masked", "")},
        )
    return contact


def unit_role_assign(
    *, actor, unit: Unit, person: Person, title: str, started_on: date | None = None, request=None
) -> UnitRole:
    """Record a person's post in a unit (chair of the owners' committee, manager of the property
    company); together with Party positions it shows a person's cross-appointments."""
    check_unit_change(actor, unit)
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("This field is required.")]
    elif len(title) > 50:
        errors["title"] = [_("A title has at most 50 characters.")]
    if started_on is not None and started_on > timezone.localdate():
        errors["started_on"] = [_("The date cannot be in the future.")]
    if (
        not errors
        and UnitRole.objects.filter(unit=unit, person=person, title=title, ended_on__isnull=True).exists()
    ):
        errors["person"] = [_("This person already holds this post in this unit.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        role = UnitRole.objects.create(unit=unit, person=person, title=title, started_on=started_on)
        audit_record(
            actor=actor,
            action="unit_role.assign",
            obj=role,
            request=request,
            changes={
                "unit": unit.code,
                "person": person.pk,
                "title": title,
                "started_on": started_on.isoformat() if started_on else None,
            },
        )
    return role


def unit_role_end(*, actor, role: UnitRole, ended_on: date, request=None) -> UnitRole:
    """End a person's post in a unit; the record stays as history."""
    check_unit_change(actor, role.unit)
    if role.ended_on is not None:
        raise ValidationError({"ended_on": [_("This post has already ended.")]})
    if ended_on is None:
        raise ValidationError({"ended_on": [_("This field is required.")]})
    if role.started_on is not None and ended_on < role.started_on:
        raise ValidationError({"ended_on": [_("A post cannot end before it starts.")]})
    if ended_on > timezone.localdate():
        raise ValidationError({"ended_on": [_("The end date cannot be in the future.")]})
    with transaction.atomic():
        if not UnitRole.objects.filter(pk=role.pk, ended_on__isnull=True).update(ended_on=ended_on):
            raise ValidationError({"ended_on": [_("This post has already ended.")]})
        role.ended_on = ended_on
        audit_record(
            actor=actor,
            action="unit_role.end",
            obj=role,
            request=request,
            changes={"unit": role.unit.code, "title": role.title, "ended_on": ended_on.isoformat()},
        )
    return role
