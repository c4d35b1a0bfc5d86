"""Reads of the area tree, always limited to the reader's scope.

Without `org.view` a user sees no area at all (the Party member, the auditor and the system
administrator hold grants on areas, but not to read the organization network).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from jiceng.accounts import roles
from jiceng.accounts.scope import get_in_scope_or_404, scope_for, scope_q

from . import geo
from .models import Area, AreaKind

STEPLEN = Area.steplen


def can_view(user) -> bool:
    return scope_for(user).allows(roles.VIEW_ORG)


def can_change(user, area: Area) -> bool:
    scope = scope_for(user)
    return scope.allows(roles.CHANGE_ORG) and scope.covers_path(area.path)


def areas_visible(user) -> QuerySet[Area]:
    """Every area the user may read."""
    if not can_view(user):
        return Area.objects.none()
    return Area.objects.filter(scope_q(user, "path"))


def area_roots_for(user) -> QuerySet[Area]:
    """The top areas of the user's scope (the areas their grants sit on), in code order."""
    if not can_view(user):
        return Area.objects.none()
    return Area.objects.filter(path__in=scope_for(user).paths).order_by("code")


def area_get(user, pk: int, request=None) -> Area:
    """One area in scope, or Http404 (and a security event when it exists out of scope). A user
    without `org.view` gets 404 without an event: lacking the permission is not probing."""
    if not can_view(user):
        raise Http404
    return get_in_scope_or_404(user, Area.objects.all(), path_field="path", request=request, pk=pk)


def _children_q(area: Area) -> Q:
    return Q(path__startswith=area.path, depth=area.depth + 1)


def area_children(user, area: Area, q: str | None = None) -> QuerySet[Area]:
    """The children of an area, in scope, in code order; `q` filters by name or code."""
    qs = areas_visible(user).filter(_children_q(area)).order_by("code")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return qs


def area_list(user, kind: str | None = None, q: str | None = None, parent: Area | None = None) -> QuerySet[Area]:
    """Areas in scope, filtered by kind, by name or code prefix (`q`), and by parent."""
    qs = areas_visible(user)
    if kind:
        qs = qs.filter(kind=kind)
    if parent is not None:
        qs = qs.filter(_children_q(parent))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return qs.order_by("code")


def ancestor_paths(path: str) -> list[str]:
    return [path[:i] for i in range(STEPLEN, len(path), STEPLEN)]


def area_ancestors(user, area: Area) -> list[Area]:
    """The area's ancestors inside the user's scope, top first (for breadcrumbs): one query."""
    return list(areas_visible(user).filter(path__in=ancestor_paths(area.path)).order_by("depth"))


def parent_ids(areas: list[Area]) -> dict[str, int]:
    """Parent path → id for a page of areas, in one query (the parent may lie outside the
    reader's scope: its id says nothing more than the child's own path does)."""
    paths = {a.path[:-STEPLEN] for a in areas if a.depth > 1}
    if not paths:
        return {}
    return dict(Area.objects.filter(path__in=paths).values_list("path", "id"))


def area_chain(area: Area) -> dict[str, Area | None]:
    """The district, subdistrict, community and grid an area lies in (itself included): one query."""
    chain: dict[str, Area | None] = {"district": None, "subdistrict": None, "community": None, "grid": None}
    for a in Area.objects.filter(path__in=[*ancestor_paths(area.path), area.path]).only(
        "id", "kind", "code", "name", "path", "depth"
    ):
        if a.kind in chain:
            chain[a.kind] = a
    return chain


@dataclass(frozen=True)
class Located:
    grid: Area
    chain: dict[str, Area | None]
    lat: float  # WGS-84
    lng: float


def area_locate(user, lat: float, lng: float, crs: str = geo.WGS84) -> Located:
    """The grid containing a point, if it lies in the user's scope; Http404 otherwise (a grid
    outside the scope and no grid at all answer the same)."""
    if not can_view(user):
        raise Http404
    pk = geo.grid_id_for_point(lat, lng, crs)
    grid = areas_visible(user).filter(pk=pk).first() if pk is not None else None
    if grid is None:
        raise Http404
    w_lat, w_lng = geo.to_wgs84(lat, lng, crs)
    return Located(grid=grid, chain=area_chain(grid), lat=w_lat, lng=w_lng)


def area_geojson(user, parent: Area | None = None, kinds: list[str] | tuple[str, ...] | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of polygons, in scope: the children of `parent` (all
    descendants of the given `kinds` when kinds are given; the whole scope when parent is None).
    Each feature says which community it lies in, so a map can colour grids by community."""
    qs = areas_visible(user).filter(geometry__isnull=False)
    if parent is not None:
        qs = qs.filter(path__startswith=parent.path).exclude(pk=parent.pk)
        if not kinds:
            qs = qs.filter(depth=parent.depth + 1)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    rows = list(
        qs.order_by("code").only("id", "code", "name", "kind", "population", "households", "geometry", "path", "depth")
    )
    community_depth = list(AreaKind.values).index(AreaKind.COMMUNITY) + 1
    community_paths = {r.path[: STEPLEN * community_depth] for r in rows if r.depth >= community_depth}
    communities: dict[str, tuple[int, str]] = {}
    if community_paths:
        for path, pk, name in Area.objects.filter(path__in=community_paths).values_list("path", "id", "name"):
            communities[path] = (pk, name)
    features = []
    for r in rows:
        community_id, community_name = communities.get(r.path[: STEPLEN * community_depth], (None, ""))
        features.append(
            {
                "type": "Feature",
                "id": r.id,
                "geometry": r.geometry,
                "properties": {
                    "id": r.id,
                    "code": r.code,
                    "name": r.name,
                    "kind": r.kind,
                    "population": r.population,
                    "households": r.households,
                    "community_id": community_id,
                    "community_name": community_name,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def area_children_of(user, parents: list[Area]) -> dict[int, list[Area]]:
    """The children of several areas in one query, keyed by parent id, in code order."""
    if not parents:
        return {}
    cond = Q(pk__in=[])
    for p in parents:
        cond |= _children_q(p)
    by_path = {p.path: p.id for p in parents}
    out: dict[int, list[Area]] = {p.id: [] for p in parents}
    for child in areas_visible(user).filter(cond).defer("geometry").order_by("code"):
        out[by_path[child.path[:-STEPLEN]]].append(child)
    return out


def area_party_orgs(user, area: Area) -> QuerySet:
    """The Party organizations anchored on this area (the area is already in the user's scope)."""
    from jiceng.party.models import PartyOrg

    if not can_view(user):
        return PartyOrg.objects.none()
    return PartyOrg.objects.filter(area=area).filter(scope_q(user, "area_path")).order_by("code")


def area_units(user, area: Area) -> QuerySet:
    """The units registered in this area or serving it."""
    from jiceng.units.models import Unit

    if not can_view(user) or not scope_for(user).covers_path(area.path):
        return Unit.objects.none()
    return Unit.objects.filter(Q(home_area=area) | Q(areas_served=area)).distinct().order_by("kind", "name")
