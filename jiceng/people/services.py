"""Writes to residents. Personal numbers are validated, normalized, encrypted and indexed here only."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area

from . import personal
from .models import Person


def area_chain(area: Area | None) -> dict:
    """The chain fields (district, subdistrict, community, grid ids and path) for a home area."""
    if area is None:
        return {
            "area_path": "",
            "district_id": None,
            "subdistrict_id": None,
            "community_id": None,
            "grid_id": None,
        }
    chain = {
        "area_path": area.path,
        "district_id": None,
        "subdistrict_id": None,
        "community_id": None,
        "grid_id": None,
    }
    steplen = Area.steplen
    prefixes = [area.path[: steplen * d] for d in range(1, area.depth + 1)]
    for ancestor in Area.objects.filter(path__in=prefixes).only("id", "kind"):
        if ancestor.kind in ("district", "subdistrict", "community", "grid"):
            chain[f"{ancestor.kind}_id"] = ancestor.id
    return chain


def personal_fields(*, phone: str | None, id_number: str | None) -> dict:
    """Validate and protect phone and ID number; field-level errors in the user's language."""
    errors: dict[str, list] = {}
    out: dict = {}
    if phone:
        try:
            value = personal.normalize_phone(phone)
            out.update(
                phone_encrypted=personal.encrypt(value),
                phone_index=personal.blind_index(value, "phone"),
                phone_masked=personal.mask_phone(value),
            )
        except ValidationError as exc:
            errors["phone"] = exc.messages
    elif phone is not None:
        out.update(phone_encrypted="", phone_index="", phone_masked="")
    if id_number:
        try:
            value = personal.normalize_id_number(id_number)
            out.update(
                id_encrypted=personal.encrypt(value),
                id_index=personal.blind_index(value, "id"),
                id_masked=personal.mask_id_number(value),
                birth_date=personal.id_birth_date(value),
                gender=personal.id_gender(value),
            )
        except ValidationError as exc:
            errors["id_number"] = exc.messages
    elif id_number is not None:
        out.update(id_encrypted="", id_index="", id_masked="")
    if errors:
        raise ValidationError(errors)
    return out


def _check_write(actor, home: Area | None) -> None:
    if actor is None:
        return
    scope = scope_for(actor)
    if not scope.allows(roles.CHANGE_PEOPLE) or home is None or not scope.covers_path(home.path):
        raise PermissionDenied


def person_create(
    *,
    actor,
    name: str,
    phone: str = "",
    id_number: str = "",
    home: Area | None = None,
    room: str = "",
    gender: str = "",
    birth_date: date | None = None,
    request=None,
) -> Person:
    """Create a resident. Gender and birth date come from the ID number when one is given."""
    _check_write(actor, home)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    fields = personal_fields(phone=phone, id_number=id_number)
    fields.setdefault("gender", gender)
    fields.setdefault("birth_date", birth_date)
    if fields.get("id_index") and Person.objects.filter(id_index=fields["id_index"]).exists():
        raise ValidationError({"id_number": [_("A resident with this ID number already exists.")]})
    with transaction.atomic():
        person = Person.objects.create(name=name, home=home, room=room, **area_chain(home), **fields)
        audit_record(
            actor=actor,
            action="person.create",
            obj=person,
            request=request,
            changes={
                "name": name,
                "phone": fields.get("phone_masked", ""),
                "id_number": fields.get("id_masked", ""),
                "home": home.code if home else "",
            },
        )
    return person
