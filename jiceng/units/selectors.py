"""Reads of the units directory, scoped to the user.

A unit is visible when its home area is in the user's scope, when it serves an area in scope, or when
the user holds a grant on the unit itself (a department handler sees their own department).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import log, scope_for, scope_q
from jiceng.areas.models import Area
from jiceng.party.models import PartyOrg
from jiceng.party.selectors import visible_orgs

from .models import Contact, Unit, UnitRole


def _visibility_q(user) -> Q:
    """Registered in scope, serving an area that overlaps the scope (inside it, or containing it: a
    department serving the subdistrict serves each of its communities), or the user's own unit."""
    scope = scope_for(user)
    steplen = Area.steplen
    enclosing = sorted({p[: steplen * k] for p in scope.paths for k in range(1, len(p) // steplen + 1)})
    serves_in_scope = Exists(
        Unit.areas_served.through.objects.filter(
            scope_q(user, "area__path") | Q(area__path__in=enclosing), unit_id=OuterRef("pk")
        )
    )
    return scope_q(user, "home_area__path") | Q(pk__in=list(scope.unit_ids)) | Q(serves_in_scope)


def visible_units(user) -> QuerySet[Unit]:
    if not scope_for(user).allows(roles.VIEW_ORG):
        return Unit.objects.none()
    return Unit.objects.filter(_visibility_q(user))


def unit_get(user, unit_id: int, request=None) -> Unit:
    """One visible unit, or 404; an attempt on an existing unit out of scope is a security event."""
    unit = visible_units(user).select_related("home_area").filter(pk=unit_id).first()
    if unit is not None:
        return unit
    outside = Unit.objects.filter(pk=unit_id).first()
    if outside is not None:
        audit_record(
            actor=user,
            kind=AuditKind.SECURITY,
            action="access.out_of_scope",
            obj=outside,
            request=request,
            changes={"path": request.path if request is not None else ""},
        )
        log.warning("out-of-scope access by user %s to units.unit %s", getattr(user, "pk", None), outside.pk)
    raise Http404


def unit_list(user, *, kind: str = "", q: str = "") -> QuerySet[Unit]:
    """The directory, filtered by kind and by name or code."""
    qs = visible_units(user)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    contacts = Contact.objects.filter(unit=OuterRef("pk")).order_by().values("unit").annotate(n=Count("pk"))
    return (
        qs.select_related("home_area")
        .prefetch_related(Prefetch("areas_served", queryset=Area.objects.only("id", "name", "code", "path")))
        .annotate(contact_count=Subquery(contacts.values("n")))
        .order_by("kind", "name", "pk")
    )


def unit_contacts(user, unit: Unit) -> QuerySet[Contact]:
    """Contacts of a visible unit; only their masked phones are read."""
    return Contact.objects.filter(unit=unit).defer("phone_encrypted", "phone_index").order_by("name", "pk")


@dataclass
class UnitDetail:
    unit: Unit
    areas_served: list[Area]
    contacts: list[Contact]
    party_orgs: list[PartyOrg]
    roles: list[UnitRole]
    part_time_positions: list  # Party posts held by people from this unit (兼职委员)


def unit_detail(user, unit_id: int, request=None) -> UnitDetail:
    from jiceng.party.models import Position

    unit = unit_get(user, unit_id, request=request)
    orgs = visible_orgs(user)
    return UnitDetail(
        unit=unit,
        areas_served=list(unit.areas_served.order_by("path")),
        contacts=list(unit_contacts(user, unit)),
        party_orgs=list(orgs.filter(unit=unit).order_by("path")),
        roles=list(
            UnitRole.objects.filter(unit=unit)
            .select_related("person")
            .only("id", "title", "started_on", "ended_on", "person__id", "person__name")
            .order_by(F("ended_on").asc(nulls_first=True), "title", "pk")
        ),
        part_time_positions=list(
            Position.objects.filter(source_unit=unit, ended_on__isnull=True, org__in=orgs)
            .select_related("org", "person")
            .order_by("org__path", "pk")
        ),
    )


def person_unit_roles(user, person) -> QuerySet[UnitRole]:
    """A person's posts in units the user may see (with their Party posts: cross-appointments)."""
    return (
        UnitRole.objects.filter(person=person, unit__in=visible_units(user))
        .select_related("unit")
        .order_by(F("ended_on").asc(nulls_first=True), "-started_on", "pk")
    )
