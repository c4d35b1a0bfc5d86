"""Coordinate conversion and grid routing."""

from __future__ import annotations

import coordTransform
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.areas import geo
from jiceng.areas.services import area_create, area_delete, area_update
from jiceng.testing import square

# Fuzhou: Gulou district government, West Lake, the Min river at Taijiang, Mawei.
FUZHOU = [(26.0822, 119.2966), (26.0913, 119.2840), (26.0480, 119.3110), (25.9930, 119.4540)]


@pytest.mark.parametrize(("lat", "lng"), FUZHOU)
def test_gcj02_round_trip_is_exact(lat, lng):
    g_lat, g_lng = geo.wgs84_to_gcj02(lat, lng)
    # The shift in Fuzhou is several hundred metres: the conversion really happens.
    assert abs(g_lng - lng) > 0.003
    w_lat, w_lng = geo.gcj02_to_wgs84(g_lat, g_lng)
    assert abs(w_lat - lat) < 1e-9
    assert abs(w_lng - lng) < 1e-9


def test_refinement_beats_the_one_step_inverse():
    lat, lng = FUZHOU[0]
    g_lat, g_lng = geo.wgs84_to_gcj02(lat, lng)
    approx_lng, approx_lat = coordTransform.gcj02_to_wgs84(g_lng, g_lat)
    approx_error = max(abs(approx_lat - lat), abs(approx_lng - lng))
    w_lat, w_lng = geo.gcj02_to_wgs84(g_lat, g_lng)
    ours = max(abs(w_lat - lat), abs(w_lng - lng))
    assert approx_error > 1e-7  # the library alone is metres off
    assert ours < 1e-9


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(18.0, 53.0), lng=st.floats(74.0, 134.9))
def test_round_trip_anywhere_in_china(lat, lng):
    w_lat, w_lng = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lat, lng))
    assert abs(w_lat - lat) < 1e-8 and abs(w_lng - lng) < 1e-8


def test_no_shift_outside_china():
    assert geo.wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)
    assert geo.gcj02_to_wgs84(51.5, -0.12) == (51.5, -0.12)


def test_unknown_crs_is_refused(district):
    with pytest.raises(ValueError):
        geo.grid_for_point(26.085, 119.305, crs="bd09")


def test_grid_for_point_inside_outside_and_on_the_boundary(district):
    a1 = district.a.grid  # square lng 119.30-119.31, lat 26.08-26.09 (WGS-84)
    assert geo.grid_for_point(26.085, 119.305) == a1
    assert geo.grid_for_point(26.085, 119.325) == district.b.grid
    assert geo.grid_for_point(26.085, 119.345) == district.c.grid
    assert geo.grid_for_point(26.085, 119.315) is None  # the gap between A1 and B1
    assert geo.grid_for_point(26.20, 119.305) is None
    assert geo.grid_for_point(26.085, 119.31) == a1  # on the east edge
    assert geo.grid_for_point(26.08, 119.30) == a1  # on a corner


def test_shared_boundary_goes_to_the_lower_code(district):
    a2 = area_create(
        actor=None,
        parent=district.a.area,
        kind="grid",
        code=district.a.area.code + "002",
        name="A社区第二网格",
        geometry=square(119.31, 26.08),
    )
    assert geo.grid_for_point(26.085, 119.31) == district.a.grid
    assert geo.grid_for_point(26.085, 119.311) == a2
    assert geo.grid_ids_for_points([(26.085, 119.31), (26.085, 119.311), (26.085, 119.309)]) == [
        district.a.grid.pk,
        a2.pk,
        district.a.grid.pk,
    ]


def test_grid_for_point_in_gcj02(district):
    # A WGS-84 point near A1's east edge; its GCJ-02 coordinates lie ~480 m further east,
    # in the gap between A1 and B1, so reading them as WGS-84 finds no grid.
    lat, lng = 26.0805, 119.3095
    g_lat, g_lng = geo.wgs84_to_gcj02(lat, lng)
    assert geo.grid_for_point(g_lat, g_lng, crs="gcj02") == district.a.grid
    assert geo.grid_for_point(g_lat, g_lng, crs="wgs84") is None
    assert geo.grid_for_point(lat, lng, crs="wgs84") == district.a.grid


def test_grid_id_for_point_needs_no_query_once_built(district):
    geo.grid_id_for_point(26.085, 119.305)  # builds the index
    with CaptureQueriesContext(connection) as ctx:
        ids = [geo.grid_id_for_point(26.085, 119.305 + 0.02 * i) for i in range(3)]
        batch = geo.grid_ids_for_points([(26.085, 119.305), (26.0, 119.0)])
    assert len(ctx.captured_queries) == 0
    assert ids == [district.a.grid.pk, district.b.grid.pk, district.c.grid.pk]
    assert batch == [district.a.grid.pk, None]


def test_index_follows_geometry_changes(district):
    north = (26.095, 119.305)
    assert geo.grid_for_point(*north) is None
    area_update(actor=None, area=district.a.grid, geometry=square(119.30, 26.08, 0.02))
    assert geo.grid_for_point(*north) == district.a.grid
    area_update(actor=None, area=district.a.grid, geometry=None)
    assert geo.grid_for_point(26.085, 119.305) is None


def test_index_follows_created_and_deleted_grids(district):
    point = (26.10, 119.40)
    assert geo.grid_id_for_point(*point) is None
    grid = area_create(
        actor=None,
        parent=district.c.area,
        kind="grid",
        code=district.c.area.code + "009",
        name="C社区第九网格",
        geometry=square(119.395, 26.095),
    )
    assert geo.grid_id_for_point(*point) == grid.pk
    area_delete(actor=None, area=grid)
    assert geo.grid_id_for_point(*point) is None


def test_index_rebuilds_when_another_process_bumps(district):
    """Another app server changed a grid: all this process sees is a new generation in the cache,
    and its next lookup rebuilds from the database."""
    from django.core.cache import cache

    from jiceng.areas.models import Area

    assert geo.grid_id_for_point(26.095, 119.305) is None
    Area.objects.filter(pk=district.a.grid.pk).update(geometry=square(119.30, 26.08, 0.02))
    assert geo.grid_id_for_point(26.095, 119.305) is None  # stale until told
    cache.set(geo.GENERATION_KEY, "another-process", None)
    assert geo.grid_id_for_point(26.095, 119.305) == district.a.grid.pk
