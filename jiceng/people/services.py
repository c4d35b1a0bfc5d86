"""Writes to residents. Personal numbers are validated, normalized, encrypted and indexed here only.

Audit events carry masks (138****5678), never a full phone or ID number; a reveal records which
field was shown and why, never the value.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area

from . import personal
from .models import Gender, Person
from .sensitive import SensitiveTag

REVEAL_FIELDS = ("phone", "id_number")
REVEAL_REASON_MIN = 4
EXPORT_MAX_ROWS = 50_000


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


# Error reports list the local variables of each frame: these functions hold plain numbers.
@sensitive_variables("phone", "id_number", "value")
def personal_fields(*, phone: str | None, id_number: str | None) -> dict:
    """Validate and protect phone and ID number; field-level errors in the user's language.

    None leaves a field alone, "" clears it, anything else is checked, encrypted and indexed."""
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


def _check_tags(actor, tags: list[str] | None, errors: dict) -> list[str] | None:
    if tags is None:
        return None
    if actor is not None and not scope_for(actor).allows(roles.VIEW_SENSITIVE):
        raise PermissionDenied
    tags = list(dict.fromkeys(tags))  # keep order, drop repeats
    unknown = [t for t in tags if t not in SensitiveTag.values]
    if unknown:
        errors["sensitive_tags"] = [_("Choose tags from the list.")]
    return tags


def _merge_errors(errors: dict, exc: ValidationError) -> None:
    for name, messages in exc.message_dict.items():
        errors.setdefault(name, []).extend(messages)


def _check_simple(
    errors: dict, *, name: str | None, room: str | None, gender: str | None, birth_date: date | None
) -> None:
    if name is not None:
        if not name:
            errors["name"] = [_("This field is required.")]
        elif len(name) > Person._meta.get_field("name").max_length:
            errors["name"] = [_("A name has at most 50 characters.")]
    if room is not None and len(room) > Person._meta.get_field("room").max_length:
        errors["room"] = [_("A room number has at most 20 characters.")]
    if gender and gender not in Gender.values:
        errors["gender"] = [_("Choose a gender from the list.")]
    if birth_date is not None and birth_date > date.today():
        errors["birth_date"] = [_("A birth date cannot lie in the future.")]


def _duplicate_id(fields: dict, exclude_pk: int | None = None) -> bool:
    if not fields.get("id_index"):
        return False
    qs = Person.objects.filter(id_index=fields["id_index"])
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


@sensitive_variables("phone", "id_number")
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
    sensitive_tags: list[str] | None = None,
    request=None,
) -> Person:
    """Create a resident. Gender and birth date come from the ID number when one is given.

    `actor=None` is the system itself (demo builder, imports run by the platform). Every error is
    collected and raised together, field by field, so a form shows them all at once."""
    _check_write(actor, home)
    name = (name or "").strip()
    room = (room or "").strip()
    errors: dict[str, list] = {}
    _check_simple(errors, name=name, room=room, gender=gender, birth_date=birth_date)
    tags = _check_tags(actor, sensitive_tags, errors)
    fields: dict = {}
    try:
        fields = personal_fields(phone=phone, id_number=id_number)
    except ValidationError as exc:
        _merge_errors(errors, exc)
    if errors:
        raise ValidationError(errors)
    fields.setdefault("gender", gender)
    fields.setdefault("birth_date", birth_date)
    with transaction.atomic():
        if _duplicate_id(fields):
            raise ValidationError({"id_number": [_("A resident with this ID number already exists.")]})
        person = Person.objects.create(
            name=name, home=home, room=room, sensitive_tags=tags or [], **area_chain(home), **fields
        )
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
                # Which tags, not which values of other people's lives: the tags are sensitive too.
                "sensitive_tags": "set" if tags else "",
            },
        )
    return person


def person_version(person: Person) -> str:
    """An opaque version for optimistic locking: edit forms send it back with their changes."""
    return person.updated_at.isoformat() if person.updated_at else ""


@sensitive_variables("phone", "id_number")
def person_update(
    *,
    actor,
    person: Person,
    name: str | None = None,
    phone: str | None = None,
    id_number: str | None = None,
    home: Area | None = None,
    room: str | None = None,
    gender: str | None = None,
    birth_date: date | None = None,
    sensitive_tags: list[str] | None = None,
    expected_version: str | None = None,
    request=None,
) -> Person:
    """Change a resident. None leaves a field as it is; "" clears phone, ID number or room.

    The actor needs people.change over the resident's current home and the new one; sensitive
    tags need people.sensitive. With `expected_version`, a resident changed by someone else in the
    meantime is a conflict (a clear error), never a silent overwrite."""
    _check_write(actor, person.home)
    if home is not None:
        _check_write(actor, home)
    if name is not None:
        name = name.strip()
    if room is not None:
        room = room.strip()
    errors: dict[str, list] = {}
    _check_simple(errors, name=name, room=room, gender=gender, birth_date=birth_date)
    tags = _check_tags(actor, sensitive_tags, errors)
    fields: dict = {}
    try:
        fields = personal_fields(phone=phone, id_number=id_number)
    except ValidationError as exc:
        _merge_errors(errors, exc)
    if errors:
        raise ValidationError(errors)
    has_id = bool(fields.get("id_index")) or (id_number is None and bool(person.id_index))
    if not has_id:
        # Without an ID number, gender and birth date are typed in; with one, they come from it.
        if gender is not None:
            fields["gender"] = gender
        if birth_date is not None:
            fields["birth_date"] = birth_date
    if name is not None:
        fields["name"] = name
    if room is not None:
        fields["room"] = room
    if tags is not None:
        fields["sensitive_tags"] = tags
    if home is not None and home.pk != person.home_id:
        fields["home"] = home
        fields.update(area_chain(home))

    with transaction.atomic():
        current = Person.objects.select_for_update().get(pk=person.pk)
        if expected_version is not None and expected_version != person_version(current):
            raise ValidationError(
                {"__all__": [_("Someone else changed this resident in the meantime. Reload and try again.")]}
            )
        if _duplicate_id(fields, exclude_pk=current.pk):
            raise ValidationError({"id_number": [_("A resident with this ID number already exists.")]})
        changes: dict = {}
        for key, value in fields.items():
            if key.endswith(("_encrypted", "_index")) or key in ("district_id", "subdistrict_id", "grid_id"):
                continue  # ciphertexts re-encrypt equal values; masks below say what changed
            old = getattr(current, key)
            if old == value:
                continue
            if key in ("sensitive_tags", "birth_date"):
                # Tags are sensitive; a birth date beside the ID mask would rebuild the whole number.
                changes[key] = "changed"
            elif key == "home":
                changes[key] = [current.home.code if current.home else "", value.code]
            elif key in ("phone_masked", "id_masked"):
                changes["phone" if key == "phone_masked" else "id_number"] = [old, value]
            else:
                changes[key] = [str(old) if old is not None else "", str(value) if value is not None else ""]
        # A re-entered equal number re-encrypts to a new ciphertext but is no change worth recording.
        for key in ("phone", "id"):
            if f"{key}_index" in fields and fields[f"{key}_index"] == getattr(current, f"{key}_index"):
                fields.pop(f"{key}_encrypted", None)
        for key, value in fields.items():
            setattr(current, key, value)
        current.save()
        if changes:
            audit_record(actor=actor, action="person.update", obj=current, request=request, changes=changes)
    return current


@sensitive_variables()
def person_reveal(*, actor, person: Person, field: str, reason: str, request=None) -> str:
    """Return the full phone or ID number of a resident, and audit who saw which field and why.

    Needs people.reveal over the resident's home and a reason of at least four characters. The
    audit event names the field, never the value."""
    scope = scope_for(actor)
    if not scope.allows(roles.REVEAL_PEOPLE) or not person.area_path or not scope.covers_path(person.area_path):
        raise PermissionDenied
    reason = (reason or "").strip()
    errors: dict[str, list] = {}
    if field not in REVEAL_FIELDS:
        errors["field"] = [_("Choose the phone or the ID number.")]
    if len(reason) < REVEAL_REASON_MIN:
        errors["reason"] = [_("Give a reason of at least %(n)d characters.") % {"n": REVEAL_REASON_MIN}]
    token = ""
    if "field" not in errors:
        token = person.phone_encrypted if field == "phone" else person.id_encrypted
        if not token:
            errors["field"] = [_("No value is recorded for this field.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        audit_record(
            actor=actor,
            kind=AuditKind.REVEAL,
            action="person.reveal",
            obj=person,
            request=request,
            changes={"field": field},
            reason=reason,
        )
    return personal.decrypt(token)


def people_export(
    *, actor, name: str | None = None, community_id: int | None = None, request=None
) -> tuple[list[str], list[list]]:
    """Rows of a name search for Excel, masked values only; the export itself is audited."""
    from .selectors import people_search

    scope = scope_for(actor)
    if not (scope.allows(roles.VIEW_PEOPLE) and scope.allows(roles.EXPORT)):
        raise PermissionDenied
    qs = people_search(actor, name=name, community_id=community_id)
    headers = [
        _("Full name"),
        _("Gender"),
        _("Birth year"),
        _("Phone"),
        _("ID number"),
        _("Community"),
        _("Building"),
        _("Room"),
    ]
    genders = dict(Gender.choices)
    rows = [
        [
            p.name,
            str(genders.get(p.gender, "")),
            p.birth_date.year if p.birth_date else None,
            p.phone_masked,
            p.id_masked,
            p.community.name if p.community else "",
            p.home.name if p.home else "",
            p.room,
        ]
        for p in qs[:EXPORT_MAX_ROWS]
    ]
    with transaction.atomic():
        audit_record(
            actor=actor,
            kind=AuditKind.EXPORT,
            action="person.export",
            request=request,
            object_type="people.person",
            changes={"name": (name or "").strip(), "community": community_id or "", "rows": len(rows)},
        )
    return headers, rows
