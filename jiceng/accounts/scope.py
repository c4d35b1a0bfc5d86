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

from django.db.models import Q

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
        grants = user.grants.select_related("area", "unit__home_area").prefetch_related("unit__areas_served")
        for grant in grants:
            roles.add(grant.role)
            perms |= ROLE_PERMISSIONS.get(grant.role, frozenset())
            if grant.area_id:
                paths.add(grant.area.path)
            if grant.unit_id:
                units.add(grant.unit_id)
                paths.add(grant.unit.home_area.path)
                paths.update(a.path for a in grant.unit.areas_served.all())
        scope = Scope(frozenset(roles), frozenset(perms), _minimal(paths), frozenset(units))
    try:
        user._jiceng_scope = scope
    except AttributeError:
        pass
    return scope


def scope_q(user, field: str = "path") -> Q:
    """A filter on `field` (an area path column) limited to the user's scope; matches nothing
    for a user without grants."""
    paths = scope_for(user).paths
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))
