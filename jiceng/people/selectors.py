"""Reads of residents. Everything here is limited to the reader's scope (Person.area_path).

Phone and ID numbers are looked up by their blind index only: the plain value never reaches the
database, a URL or a log line.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.functions import Collate
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import get_in_scope_or_404, scope_for, scope_q
from jiceng.areas.models import Area, AreaKind
from jiceng.party.models import Member, OrgKind, Position
from jiceng.units.models import UnitKind, UnitRole

from . import personal
from .models import Person

# Columns a result row shows, fetched in the same query as the row (no query per row).
_LIST_RELATED = ("community", "home")
_DETAIL_RELATED = ("district", "subdistrict", "community", "grid", "home")

# Party organizations whose posts count toward a cross-appointment (交叉任职).
CROSS_PARTY_KINDS = (OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.GROUP)
CROSS_UNIT_KINDS = (UnitKind.OWNERS_COMMITTEE, UnitKind.PROPERTY_COMPANY)


def people_in_scope(user) -> QuerySet[Person]:
    """Residents the user may see: needs people.view, then the subtrees of their grants."""
    if not scope_for(user).allows(roles.VIEW_PEOPLE):
        return Person.objects.none()
    return Person.objects.filter(scope_q(user, "area_path"))


@sensitive_variables("phone", "id_number")  # kept out of error reports
def people_search(
    user,
    *,
    name: str | None = None,
    phone: str | None = None,
    id_number: str | None = None,
    community_id: int | None = None,
) -> QuerySet[Person]:
    """Residents in the user's scope matching every criterion given; all of them when none is.

    Name matches any part of the name. Phone and ID number are normalized, checked and matched
    exactly through the blind index; a malformed one raises a field-level ValidationError
    ("phone" / "id_number") whose message never contains the value.
    """
    qs = people_in_scope(user)
    errors: dict[str, list] = {}
    if phone:
        try:
            qs = qs.filter(phone_index=personal.blind_index(personal.normalize_phone(phone), "phone"))
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if id_number:
        try:
            qs = qs.filter(id_index=personal.blind_index(personal.normalize_id_number(id_number), "id"))
        except ValidationError as exc:
            errors["id_number"] = exc.messages
    if errors:
        raise ValidationError(errors)
    name = (name or "").strip()
    if name:
        qs = qs.filter(name__icontains=name)
    if community_id:
        qs = qs.filter(community_id=community_id)
    return qs.select_related(*_LIST_RELATED).order_by(_name_order(), "id")


def _name_order():
    """Order by name without letting PostgreSQL walk the name index: with `ORDER BY name LIMIT 20`
    its planner scans that index row by row, filtering by scope (8 s over the district's 720,000
    residents). Ordering by the name's bytes ("C" collation; Chinese names sort by code point under
    the database's own C.UTF-8 anyway) takes the scope's rows by area path and sorts them: 12 ms for
    a community, 0.3 s for the whole district (docs/PERFORMANCE.md)."""
    if connection.vendor == "postgresql":
        return Collate("name", "C")
    return "name"


def communities_in_scope(user) -> QuerySet[Area]:
    """Communities inside the user's scope, for filters and the home picker."""
    return Area.objects.filter(scope_q(user, "path"), kind=AreaKind.COMMUNITY).order_by("path")


def buildings_in_scope(user, community: Area | None = None) -> QuerySet[Area]:
    qs = Area.objects.filter(scope_q(user, "path"), kind=AreaKind.BUILDING)
    if community is not None:
        qs = qs.filter(path__startswith=community.path)
    return qs.order_by("path")


def _deny(user, person_id, request, reason: str) -> None:
    """No permission reads as not found; an attempt on an existing resident is a security event."""
    target = Person.objects.filter(pk=person_id).first()
    if target is not None and getattr(user, "is_authenticated", False):
        audit_record(
            actor=user,
            kind=AuditKind.SECURITY,
            action="access.denied",
            obj=target,
            request=request,
            changes={"path": request.path if request is not None else "", "why": reason},
        )
    raise Http404


def person_get(user, pk, request=None) -> Person:
    """One resident in the user's scope, or 404 (out of scope is logged as a security event)."""
    qs = Person.objects.select_related(*_DETAIL_RELATED)
    if not scope_for(user).allows(roles.VIEW_PEOPLE):
        _deny(user, pk, request, roles.VIEW_PEOPLE)
    return get_in_scope_or_404(user, qs, path_field="area_path", request=request, pk=pk)


def person_for_self(user) -> Person:
    """The resident record linked to a Party member's account (people:me), or 404."""
    if not scope_for(user).allows(roles.VIEW_SELF) or not getattr(user, "person_id", None):
        raise Http404
    return Person.objects.select_related(*_DETAIL_RELATED).get(pk=user.person_id)


def person_home_chain(person: Person) -> list[Area]:
    """The home's ancestors and the home itself, district first, in one query."""
    home = person.home
    if home is None:
        return []
    prefixes = [home.path[: Area.steplen * d] for d in range(1, home.depth + 1)]
    return list(Area.objects.filter(path__in=prefixes).order_by("depth"))


def _current(post: Position | UnitRole, today: date) -> bool:
    """A post counts until the day it ends; a Party post past its term end is only re-election due."""
    return post.ended_on is None or post.ended_on >= today


def person_posts(person: Person) -> dict:
    """A person's Party posts, unit posts and membership, in three queries whatever their number:
    dict(positions, unit_roles, member, is_cross_appointed, cross_kinds).

    Cross-appointed (交叉任职) means holding current posts in at least two of: a Party organization
    (committee, general branch, branch or group), an owners' committee, a property company.
    """
    today = date.today()
    positions = list(
        Position.objects.filter(person=person)
        .select_related("org", "source_unit")
        .order_by(F("ended_on").asc(nulls_first=True), "-term_end", "id")
    )
    unit_roles = list(UnitRole.objects.filter(person=person).select_related("unit").order_by("-started_on", "id"))
    member = Member.objects.filter(person=person).select_related("org").first()
    kinds: list[str] = []
    if any(p.org.kind in CROSS_PARTY_KINDS and _current(p, today) for p in positions):
        kinds.append("party")
    for kind in CROSS_UNIT_KINDS:
        if any(r.unit.kind == kind and _current(r, today) for r in unit_roles):
            kinds.append(str(kind))
    return {
        "positions": positions,
        "unit_roles": unit_roles,
        "member": member,
        "is_cross_appointed": len(kinds) >= 2,
        # Which kinds of post are held: "party", "owners_committee", "property_company".
        "cross_kinds": kinds,
    }


CROSS_KIND_LABELS = {
    "party": _("Party organization"),
    "owners_committee": UnitKind.OWNERS_COMMITTEE.label,
    "property_company": UnitKind.PROPERTY_COMPANY.label,
}
