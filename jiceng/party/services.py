"""Writes to the Party organization tree, positions and members.

Each service checks the actor's permission (`org.change`) and scope, validates with field-level
errors, and writes its audit event in the same transaction. `actor=None` is the system itself
(demo builder, imports run by the system).
"""

from __future__ import annotations

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
from jiceng.people.models import Person
from jiceng.units.models import Unit

from .models import Member, MemberCategory, MemberStatus, OrgKind, PartyOrg, Position, PositionTitle

# Which kinds may stand directly above each kind (None: a root of the tree). The five-level network is
# working committee → committee → general branch → branch → group; a branch may skip the general branch.
# A committee may be a root too: a unit's or a new-sector organization's own committee.
PARENT_KINDS: dict[str, frozenset[str | None]] = {
    OrgKind.WORKING_COMMITTEE: frozenset({None}),
    OrgKind.COMMITTEE: frozenset({None, OrgKind.WORKING_COMMITTEE}),
    OrgKind.GENERAL_BRANCH: frozenset({OrgKind.COMMITTEE}),
    OrgKind.BRANCH: frozenset({OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH}),
    OrgKind.GROUP: frozenset({OrgKind.BRANCH}),
}

_UNSET: Any = object()


def _jsonable(value: Any) -> Any:
    """Audit changes are JSON: dates become ISO strings."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _today() -> date:
    return timezone.localdate()


def check_org_change(actor, path: str) -> None:
    """The actor may change organization data at this area path (the system always may)."""
    if actor is None:
        return
    scope = scope_for(actor)
    if not scope.allows(roles.CHANGE_ORG) or not scope.covers_path(path):
        raise PermissionDenied


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _check_kind(kind: str, parent: PartyOrg | None) -> None:
    if kind not in OrgKind.values:
        raise ValidationError({"kind": [_("Choose a valid kind of organization.")]})
    parent_kind = parent.kind if parent is not None else None
    if parent_kind in PARENT_KINDS[kind]:
        return
    if parent is None:
        raise ValidationError(
            {"parent": [_("A %(kind)s must stand under a higher organization.") % {"kind": _label(OrgKind, kind)}]}
        )
    raise ValidationError(
        {
            "kind": [
                _("A %(child)s cannot stand under a %(parent)s.")
                % {"child": _label(OrgKind, kind), "parent": _label(OrgKind, parent.kind)}
            ]
        }
    )


def party_org_create(
    *,
    actor,
    parent: PartyOrg | None,
    kind: str,
    code: str,
    name: str,
    area: Area,
    unit: Unit | None = None,
    founded_on: date | None = None,
    request=None,
) -> PartyOrg:
    """Create a Party organization under `parent` (a root when None), anchored on `area`.

    The actor needs `org.change` over the anchoring area and, for a child, over the parent too:
    nobody hangs organizations under a tree they do not govern.
    """
    check_org_change(actor, area.path)
    if parent is not None:
        check_org_change(actor, parent.area_path)
    code = (code or "").strip()
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        _check_kind(kind, parent)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not code:
        errors["code"] = [_("This field is required.")]
    elif len(code) > 40:
        errors["code"] = [_("A code has at most 40 characters.")]
    elif PartyOrg.objects.filter(code=code).exists():
        errors["code"] = [_("An organization with code %(code)s already exists.") % {"code": code}]
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 120:
        errors["name"] = [_("A name has at most 120 characters.")]
    if founded_on is not None and founded_on > _today():
        errors["founded_on"] = [_("The founding date cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    fields = dict(
        kind=kind, code=code, name=name, area=area, area_path=area.path, unit=unit, founded_on=founded_on
    )
    with transaction.atomic():
        if parent is None:
            org = PartyOrg.objects.add_root(fields)
        else:
            # treebeard needs the parent's current numchild and path, so read it fresh in the transaction.
            org = PartyOrg.objects.add_child(PartyOrg.objects.select_for_update().get(pk=parent.pk), fields)
        audit_record(
            actor=actor,
            action="party_org.create",
            obj=org,
            request=request,
            changes=_jsonable({
                "kind": kind,
                "code": code,
                "name": name,
                "area": area.code,
                "parent": parent.code if parent is not None else "",
                "unit": unit.code if unit is not None else "",
            }),
        )
    return org


def party_org_update(
    *,
    actor,
    org: PartyOrg,
    name: str | None = None,
    unit: Unit | None = _UNSET,
    founded_on: date | None = _UNSET,
    request=None,
) -> PartyOrg:
    """Rename an organization or change its unit and founding date; the tree position stays."""
    check_org_change(actor, org.area_path)
    changes: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if name is not None:
        name = name.strip()
        if not name:
            errors["name"] = [_("This field is required.")]
        elif name != org.name:
            changes["name"] = [org.name, name]
    if founded_on is not _UNSET:
        if founded_on is not None and founded_on > _today():
            errors["founded_on"] = [_("The founding date cannot be in the future.")]
        elif founded_on != org.founded_on:
            changes["founded_on"] = [org.founded_on, founded_on]
    if unit is not _UNSET and (unit.pk if unit else None) != org.unit_id:
        changes["unit"] = [org.unit.code if org.unit else "", unit.code if unit else ""]
    if errors:
        raise ValidationError(errors)
    if not changes:
        return org
    with transaction.atomic():
        if "name" in changes:
            org.name = name
        if "founded_on" in changes:
            org.founded_on = founded_on
        if "unit" in changes:
            org.unit = unit
        org.save(update_fields=["name", "founded_on", "unit", "updated_at"])
        audit_record(actor=actor, action="party_org.update", obj=org, request=request, changes=_jsonable(changes))
    return org


def position_assign(
    *,
    actor,
    org: PartyOrg,
    person: Person,
    title: str,
    term_start: date,
    term_end: date,
    is_part_time: bool = False,
    source_unit: Unit | None = None,
    request=None,
) -> Position:
    """Give a person a post in an organization for a term; `term_end` is when re-election is due.

    A part-time member (兼职委员) comes from a unit: a resident unit, the police station, the property
    company; the unit is required for them so the cross-appointment can be seen on both sides.
    """
    check_org_change(actor, org.area_path)
    errors: dict[str, list[str]] = {}
    if title not in PositionTitle.values:
        errors["title"] = [_("Choose a valid title.")]
    if term_start is None:
        errors["term_start"] = [_("This field is required.")]
    if term_end is None:
        errors["term_end"] = [_("This field is required.")]
    if term_start is not None and term_end is not None and term_end <= term_start:
        errors["term_end"] = [_("The term must end after it starts.")]
    if is_part_time and source_unit is None:
        errors["source_unit"] = [_("A part-time member comes from a unit: choose it.")]
    if not is_part_time and source_unit is not None:
        errors["source_unit"] = [_("Only a part-time member comes from a unit.")]
    if (
        not errors
        and Position.objects.filter(org=org, person=person, title=title, ended_on__isnull=True).exists()
    ):
        errors["person"] = [_("This person already holds this post in this organization.")]
    if (
        not errors
        and title in (PositionTitle.SECRETARY, PositionTitle.GROUP_LEADER)
        and Position.objects.filter(org=org, title=title, ended_on__isnull=True).exists()
    ):
        errors["title"] = [_("This post is held by someone else: end their term first.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        position = Position.objects.create(
            org=org,
            person=person,
            title=title,
            term_start=term_start,
            term_end=term_end,
            is_part_time=is_part_time,
            source_unit=source_unit,
        )
        audit_record(
            actor=actor,
            action="position.assign",
            obj=position,
            request=request,
            changes=_jsonable({
                "org": org.code,
                "person": person.pk,
                "title": title,
                "term_start": term_start,
                "term_end": term_end,
                "is_part_time": is_part_time,
                "source_unit": source_unit.code if source_unit else "",
            }),
        )
    return position


def position_end(*, actor, position: Position, ended_on: date, request=None) -> Position:
    """End a post (re-election, transfer, resignation); the position stays as history."""
    check_org_change(actor, position.org.area_path)
    if position.ended_on is not None:
        raise ValidationError({"ended_on": [_("This post has already ended.")]})
    if ended_on is None:
        raise ValidationError({"ended_on": [_("This field is required.")]})
    if ended_on < position.term_start:
        raise ValidationError({"ended_on": [_("A post cannot end before its term starts.")]})
    if ended_on > _today():
        raise ValidationError({"ended_on": [_("The end date cannot be in the future.")]})
    with transaction.atomic():
        # Lock and re-check so two concurrent ends do not both succeed.
        updated = Position.objects.filter(pk=position.pk, ended_on__isnull=True).update(ended_on=ended_on)
        if not updated:
            raise ValidationError({"ended_on": [_("This post has already ended.")]})
        position.ended_on = ended_on
        audit_record(
            actor=actor,
            action="position.end",
            obj=position,
            request=request,
            changes=_jsonable({"org": position.org.code, "title": position.title, "ended_on": ended_on}),
        )
    return position


def _member_errors(
    *, category: str, status: str, joined_on: date | None, full_on: date | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    today = _today()
    if category not in MemberCategory.values:
        errors["category"] = [_("Choose a valid category.")]
    if status not in MemberStatus.values:
        errors["status"] = [_("Choose a valid status.")]
    if joined_on is not None and joined_on > today:
        errors["joined_on"] = [_("The date cannot be in the future.")]
    if full_on is not None and full_on > today:
        errors["full_on"] = [_("The date cannot be in the future.")]
    if status == MemberStatus.PROBATIONARY:
        if full_on is not None:
            errors["full_on"] = [_("A probationary member has no full membership date yet.")]
        if joined_on is None:
            errors["joined_on"] = [_("A probationary member needs the date they joined.")]
    if joined_on is not None and full_on is not None and full_on < joined_on:
        errors.setdefault("full_on", []).append(_("Full membership cannot come before joining."))
    return errors


def member_create(
    *,
    actor,
    person: Person,
    org: PartyOrg,
    category: str,
    status: str = MemberStatus.FULL,
    joined_on: date | None = None,
    full_on: date | None = None,
    request=None,
) -> Member:
    """Register a person as a Party member of `org`."""
    check_org_change(actor, org.area_path)
    errors = _member_errors(category=category, status=status, joined_on=joined_on, full_on=full_on)
    if Member.objects.filter(person=person).exists():
        errors["person"] = [_("This person is already a Party member.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        member = Member.objects.create(
            person=person,
            org=org,
            area_path=org.area_path,
            category=category,
            status=status,
            joined_on=joined_on,
            full_on=full_on,
        )
        audit_record(
            actor=actor,
            action="member.create",
            obj=member,
            request=request,
            changes=_jsonable({
                "person": person.pk,
                "org": org.code,
                "category": category,
                "status": status,
                "joined_on": joined_on,
                "full_on": full_on,
            }),
        )
    return member


def member_update(
    *,
    actor,
    member: Member,
    org: PartyOrg | None = None,
    category: str | None = None,
    status: str | None = None,
    joined_on: date | None = _UNSET,
    full_on: date | None = _UNSET,
    show_on_board: bool | None = None,
    request=None,
) -> Member:
    """Change a member's organization (a transfer), category, status, dates or board visibility.

    A transfer needs `org.change` over both the old and the new organization.
    """
    check_org_change(actor, member.area_path)
    if org is not None:
        check_org_change(actor, org.area_path)
    new = {
        "org": org if org is not None else member.org,
        "category": category if category is not None else member.category,
        "status": status if status is not None else member.status,
        "joined_on": joined_on if joined_on is not _UNSET else member.joined_on,
        "full_on": full_on if full_on is not _UNSET else member.full_on,
        "show_on_board": show_on_board if show_on_board is not None else member.show_on_board,
    }
    errors = _member_errors(
        category=new["category"], status=new["status"], joined_on=new["joined_on"], full_on=new["full_on"]
    )
    if errors:
        raise ValidationError(errors)
    changes: dict[str, Any] = {}
    if new["org"].pk != member.org_id:
        changes["org"] = [member.org.code, new["org"].code]
    for field in ("category", "status", "joined_on", "full_on", "show_on_board"):
        if new[field] != getattr(member, field):
            changes[field] = [getattr(member, field), new[field]]
    if not changes:
        return member
    with transaction.atomic():
        member.org = new["org"]
        member.area_path = new["org"].area_path
        for field in ("category", "status", "joined_on", "full_on", "show_on_board"):
            setattr(member, field, new[field])
        member.save()
        audit_record(actor=actor, action="member.update", obj=member, request=request, changes=_jsonable(changes))
    return member
