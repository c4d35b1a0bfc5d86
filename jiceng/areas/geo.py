"""Coordinates and grid routing.

Stored geometry is WGS-84 (GeoJSON order: lng, lat). Chinese map SDKs and WeChat return GCJ-02,
which is WGS-84 shifted by a published obfuscation formula; `coordTransform` implements the
forward formula exactly, but its inverse is a one-step approximation (1-2 m off), so we refine it
by fixed-point iteration on the exact forward transform until a round trip agrees to 1e-9°.

`grid_for_point` finds the grid containing a point through a shapely STRtree over every grid
polygon. The tree is built once per process and rebuilt when the grid generation, a token kept
in Django's cache and replaced by the area services whenever a grid is created, deleted or
reshaped, differs from the one the tree was built at. With Redis as the cache every app server
sees the change; with the local-memory cache (the embedded default, one process) so does the
only process there is.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import coordTransform
import numpy as np
import shapely
from django.core.cache import cache
from django.db import transaction
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

if TYPE_CHECKING:
    from .models import Area

log = logging.getLogger(__name__)

WGS84 = "wgs84"
GCJ02 = "gcj02"
CRS_CHOICES = (WGS84, GCJ02)

# Convergence of the inverse: 1e-9° is about 0.1 mm, far below any GPS; 10 steps are plenty
# (each step gains about three orders of magnitude because the shift varies slowly).
_TOLERANCE = 1e-9
_MAX_STEPS = 10


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02, returned as (lat, lng). Points outside China are not shifted."""
    g_lng, g_lat = coordTransform.wgs84_to_gcj02(lng, lat)
    return g_lat, g_lng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84, returned as (lat, lng), exact to 1e-9°: wgs84_to_gcj02 of the result
    gives back the input. Points outside China are not shifted."""
    if coordTransform.out_of_china(lng, lat):
        return lat, lng
    # Start from the library's one-step inverse, then correct by the forward transform's error.
    w_lng, w_lat = coordTransform.gcj02_to_wgs84(lng, lat)
    for _ in range(_MAX_STEPS):
        f_lng, f_lat = coordTransform.wgs84_to_gcj02(w_lng, w_lat)
        d_lng, d_lat = f_lng - lng, f_lat - lat
        w_lng -= d_lng
        w_lat -= d_lat
        if abs(d_lng) < _TOLERANCE and abs(d_lat) < _TOLERANCE:
            break
    return w_lat, w_lng


def to_wgs84(lat: float, lng: float, crs: str) -> tuple[float, float]:
    if crs == WGS84:
        return lat, lng
    if crs == GCJ02:
        return gcj02_to_wgs84(lat, lng)
    raise ValueError(f"unknown coordinate system {crs!r}; use one of {CRS_CHOICES}")


# --- the grid index ----------------------------------------------------------------------------

GENERATION_KEY = "jiceng:areas:grid-generation"


def _generation() -> str:
    value = cache.get(GENERATION_KEY)
    if value is None:
        # First use, or the cache was flushed: start a fresh generation (add() so that two
        # processes racing here agree on one value).
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        value = cache.get(GENERATION_KEY)
    return value


def bump_grid_generation() -> None:
    """Mark every process's grid index stale. Called by the area services when a grid is
    created, deleted or reshaped: once now (this process, inside the transaction, sees its own
    change) and again on commit (so another process that rebuilt from the not yet committed
    state in between builds once more from the committed one)."""

    def bump() -> None:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, None)

    bump()
    transaction.on_commit(bump)


@dataclass(frozen=True)
class GridIndex:
    generation: str
    tree: STRtree
    ids: tuple[int, ...]  # grid ids, in code order, parallel to the tree's geometries

    def grid_id(self, lat: float, lng: float) -> int | None:
        # For a point, "intersects" means inside or on the boundary (the same as covered_by) and
        # GEOS evaluates it faster.
        hits = self.tree.query(Point(lng, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        # A point on a boundary shared by two grids belongs to both; the lower code wins, so the
        # answer is the same on every server and every run.
        return self.ids[int(min(hits))]

    def grid_ids(self, lats: list[float], lngs: list[float]) -> list[int | None]:
        """Many points in one vectorized tree query."""
        out: list[int | None] = [None] * len(lats)
        if not out:
            return out
        points = shapely.points(np.column_stack([lngs, lats]))
        pairs = self.tree.query(points, predicate="intersects")
        # Pairs come grouped by point; keep the lowest tree index (lowest code) for each point.
        best: dict[int, int] = {}
        for point_i, tree_i in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
            if point_i not in best or tree_i < best[point_i]:
                best[point_i] = tree_i
        for point_i, tree_i in best.items():
            out[point_i] = self.ids[tree_i]
        return out


_index: GridIndex | None = None
_lock = threading.Lock()


def _build(generation: str) -> GridIndex:
    from .models import Area, AreaKind

    ids: list[int] = []
    geoms = []
    rows = (
        Area.objects.filter(kind=AreaKind.GRID, geometry__isnull=False).order_by("code").values_list("id", "geometry")
    )
    for pk, geojson in rows.iterator(chunk_size=2000):
        try:
            geom = shape(geojson)
        except (ValueError, TypeError, KeyError, AttributeError):
            # The services validate geometry; anything else came in around them. Skip it loudly
            # rather than lose routing for every other grid.
            log.warning("grid %s has unreadable geometry; left out of the grid index", pk)
            continue
        if geom.is_empty:
            continue
        ids.append(pk)
        geoms.append(geom)
    shapely.prepare(geoms)
    return GridIndex(generation=generation, tree=STRtree(geoms), ids=tuple(ids))


def grid_index() -> GridIndex:
    """The process's grid index, rebuilt when the generation has moved on."""
    global _index
    generation = _generation()
    index = _index
    if index is not None and index.generation == generation:
        return index
    with _lock:
        if _index is None or _index.generation != generation:
            _index = _build(generation)
        return _index


def _check_crs(crs: str) -> None:
    if crs not in CRS_CHOICES:
        raise ValueError(f"unknown coordinate system {crs!r}; use one of {CRS_CHOICES}")


def grid_id_for_point(lat: float, lng: float, crs: str = WGS84) -> int | None:
    """The id of the grid containing the point, or None. No database query once the index is
    built (one cache read per call to check the generation)."""
    _check_crs(crs)
    lat, lng = to_wgs84(lat, lng, crs)
    return grid_index().grid_id(lat, lng)


def grid_ids_for_points(points: list[tuple[float, float]], crs: str = WGS84) -> list[int | None]:
    """Batch form of grid_id_for_point: one generation check for the whole batch."""
    _check_crs(crs)
    index = grid_index()
    converted = [to_wgs84(lat, lng, crs) for lat, lng in points]
    return index.grid_ids([p[0] for p in converted], [p[1] for p in converted])


def grid_for_point(lat: float, lng: float, crs: str = WGS84) -> Area | None:
    """The grid containing the point (WGS-84 or GCJ-02), or None when no grid does. Points on a
    grid's boundary count as inside it. This is unscoped: callers that answer a user filter
    the result by the user's scope."""
    from .models import Area

    pk = grid_id_for_point(lat, lng, crs)
    if pk is None:
        return None
    return Area.objects.filter(pk=pk).first()
