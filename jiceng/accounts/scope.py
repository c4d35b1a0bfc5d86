"""Scope is one function: which part of the district a user may see.

A user's grants each cover an area's subtree (by materialized path prefix) or a unit's home area
and the areas it serves. Every selector that returns organization data filters through
`scope_q`; nothing reaches a template or an API response unscoped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Prefetch, Q

from jiceng.areas.models import Area

from .roles import ROLE_PERMISSIONS

log = logging.getLogger("jiceng.security")


@dataclass(frozen=True)
class Scope:
    roles: frozenset[str]
    permissions: frozenset[str]
    paths: tuple[str, ...]  # area paths whose subtrees are visible; minimal (no path under another)
    unit_ids: frozenset[int]

    def allows(self, permission: str) -> bool:
        return permission in self.permissions

    def covers_path(self, path: str) -> bool:
        return any(path.startswith(p) for p in self.paths)


def _minimal(paths: set[str]) -> tuple[str, ...]:
    kept: list[str] = []
    for p in sorted(paths, key=len):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return tuple(sorted(kept))


def scope_for(user) -> Scope:
    """The user's scope, computed once per user object (one query for grants and their areas)."""
    cached = getattr(user, "_jiceng_scope", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        scope = Scope(frozenset(), frozenset(), (), frozenset())
    else:
        roles: set[str] = set()
        perms: set[str] = set()
        paths: set[str] = set()
        units: set[int] = set()
        grants = (
            user.grants.select_related("area", "unit__home_area")
            .only("role", "area_id", "unit_id", "area__path", "unit__id", "unit__home_area__path")
            .prefetch_related(Prefetch("unit__areas_served", queryset=Area.objects.only("id", "path")))
        )
        for grant in grants:
            roles.add(grant.role)
            perms |= ROLE_PERMISSIONS.get(grant.role, frozenset())
            if grant.area_id:
                paths.add(grant.area.path)
            if grant.unit_id:
                units.add(grant.unit_id)
                # A unit's people work where the unit serves; where it is registered (often the
                # whole district, for a department) widens nothing unless it serves nowhere yet.
                served = [a.path for a in grant.unit.areas_served.all()]
                paths.update(served or [grant.unit.home_area.path])
        scope = Scope(frozenset(roles), frozenset(perms), _minimal(paths), frozenset(units))
    return _remember(user, "_jiceng_scope", scope)


def _remember(user, name: str, value):
    """Keep a derived value on the user object for the rest of the request (an object that takes no
    attributes just recomputes it)."""
    try:
        setattr(user, name, value)
    except AttributeError:
        pass
    return value


# The posts whose holders convene their organization's meetings: they get its meeting reminders
# (jiceng/notify/reminders.py) and may read its compliance calendar, whatever account they hold.
CONVENING_TITLES = ("secretary", "deputy_secretary", "group_leader")


def convened_org_ids(user) -> frozenset[int]:
    """The Party organizations whose meetings the user convenes today: their person holds a convening post
    there, begun and not ended. A branch secretary whose account is only a Party member's has no area
    scope, yet must see whether their own branch is behind; this grants that one organization's calendar
    and nothing else (not the organizations under it, not its members). One query, once per user object."""
    cached = getattr(user, "_jiceng_convened", None)
    if cached is not None:
        return cached
    ids: frozenset[int] = frozenset()
    person_id = getattr(user, "person_id", None)
    if getattr(user, "is_authenticated", False) and user.is_active and person_id:
        from django.utils import timezone

        from jiceng.party.models import Position

        today = timezone.localdate()
        ids = frozenset(Position.objects.held_on(today).filter(person_id=person_id, title__in=CONVENING_TITLES)
                        .values_list("org_id", flat=True))
    return _remember(user, "_jiceng_convened", ids)


def scope_q(user, field: str = "path") -> Q:
    """A filter on `field` (an area path column) limited to the user's scope; matches nothing
    for a user without grants."""
    paths = scope_for(user).paths
    if not paths:
        return Q(pk__in=[])
    if connection.vendor == "sqlite":
        # SQLite never uses an index for LIKE 'prefix%' (it is case-insensitive there), so a scoped
        # query would scan every row; the same prefix as a range uses the index (58x faster on
        # 720,000 residents, docs/PERFORMANCE.md). Tree paths use only 0-9A-Z, all below "~".
        return reduce(or_, (Q(**{f"{field}__gte": p, f"{field}__lt": p + "~"}) for p in paths))
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def get_in_scope_or_404(user, queryset, *, path_field: str = "path", request=None, **lookup):
    """Fetch one object inside the user's scope. An object that exists but lies outside the scope
    is reported exactly like one that does not exist (404), and the attempt is logged as a
    security event, so probing reveals nothing and the auditor sees it."""
    from django.http import Http404

    from .audit import audit_record
    from .models import AuditKind

    obj = queryset.filter(scope_q(user, path_field)).filter(**lookup).first()
    if obj is not None:
        return obj
    outside = queryset.filter(**lookup).first()
    if outside is not None:
        audit_record(
            actor=user,
            kind=AuditKind.SECURITY,
            action="access.out_of_scope",
            obj=outside,
            request=request,
            changes={"path": request.path if request is not None else ""},
        )
        log.warning("out-of-scope access by user %s to %s %s", getattr(user, "pk", None),
                    outside._meta.label, outside.pk)
    raise Http404
