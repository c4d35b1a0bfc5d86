"""The areas API: lists, detail, children, GeoJSON, locate, PATCH; scoped, fixed query counts."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.accounts.api_auth import token_digest, token_new_value
from jiceng.accounts.models import ApiToken, AuditEvent
from jiceng.areas import geo
from jiceng.areas.models import Area
from jiceng.areas.services import area_create
from jiceng.testing import square

API = "/api/v1/areas"


def test_list_is_scoped_and_filtered(district, personas, login):
    client = login(personas.community_a)
    body = client.get(f"{API}/").json()
    codes = [a["code"] for a in body["items"]]
    assert body["count"] == 4  # community A, its grid, compound and building
    assert codes == sorted(codes) and codes[0] == district.a.area.code
    assert district.b.area.code not in codes
    grids = client.get(f"{API}/", {"kind": "grid"}).json()["items"]
    assert [g["id"] for g in grids] == [district.a.grid.pk]
    assert grids[0]["parent_id"] == district.a.area.pk and grids[0]["children_count"] == 1
    assert client.get(f"{API}/", {"q": "小区1号"}).json()["items"][0]["id"] == district.a.building.pk
    assert client.get(f"{API}/", {"q": district.a.grid.code}).json()["count"] == 3  # code prefix


def test_list_by_parent_and_paging(district, personas, login):
    client = login(personas.district_admin)
    body = client.get(f"{API}/", {"parent": district.s1.pk}).json()
    assert [a["id"] for a in body["items"]] == [district.a.area.pk, district.b.area.pk]
    page = client.get(f"{API}/", {"limit": 2, "offset": 2}).json()
    assert page["count"] == Area.objects.count() and len(page["items"]) == 2
    assert client.get(f"{API}/", {"limit": 0}).status_code == 422
    assert client.get(f"{API}/", {"kind": "planet"}).status_code == 422


def test_list_with_a_parent_out_of_scope_is_404(district, personas, login):
    assert login(personas.community_b).get(f"{API}/", {"parent": district.a.area.pk}).status_code == 404


def _add_buildings(compound: Area, upto: int) -> None:
    for i in range(Area.objects.get(pk=compound.pk).numchild + 1, upto + 1):
        area_create(
            actor=None,
            parent=Area.objects.get(pk=compound.pk),
            kind="building",
            code=f"{compound.code}{i:03d}",
            name=f"{i}号楼",
        )


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("kind", ["list", "children"])
def test_api_lists_run_a_fixed_number_of_queries(district, personas, login, kind):
    compound = district.c.compound
    client = login(personas.district_admin)
    if kind == "list":
        url, params = f"{API}/", {"parent": compound.pk, "limit": 100}
    else:
        url, params = f"{API}/{compound.pk}/children", {"limit": 100}
    _add_buildings(compound, 2)
    client.get(url, params)
    few = _queries(client, url, params)
    _add_buildings(compound, 30)
    assert len(client.get(url, params).json()["items"]) == 30
    assert _queries(client, url, params) == few


def test_detail(district, personas, login):
    body = login(personas.community_a).get(f"{API}/{district.a.grid.pk}").json()
    assert body["code"] == district.a.grid.code
    assert body["geometry"]["type"] == "Polygon"
    assert [a["id"] for a in body["ancestors"]] == [district.a.area.pk]  # only ancestors in scope
    assert body["parent_id"] == district.a.area.pk


def test_detail_out_of_scope_is_404_and_logged(district, personas, login):
    response = login(personas.community_b).get(f"{API}/{district.a.grid.pk}")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.out_of_scope", actor=personas.community_b).exists()


def test_children(district, personas, login):
    body = login(personas.grid_worker).get(f"{API}/{district.a.grid.pk}/children").json()
    assert [a["id"] for a in body["items"]] == [district.a.compound.pk]


def test_geojson_of_grids_coloured_by_community(district, personas, login):
    client = login(personas.subdistrict_staff)
    fc = client.get(f"{API}/geojson", {"kind": "grid"}).json()
    assert fc["type"] == "FeatureCollection"
    by_id = {f["properties"]["id"]: f for f in fc["features"]}
    assert set(by_id) == {district.a.grid.pk, district.b.grid.pk}
    props = by_id[district.a.grid.pk]["properties"]
    assert props["community_id"] == district.a.area.pk and props["community_name"] == district.a.area.name
    assert props["code"] == district.a.grid.code and props["kind"] == "grid"
    assert {"population", "households", "name"} <= props.keys()
    assert by_id[district.a.grid.pk]["geometry"] == district.a.grid.geometry


def test_geojson_children_of_a_parent(district, personas, login):
    client = login(personas.district_admin)
    area_create(actor=None, parent=district.a.area, kind="grid", code=district.a.area.code + "002", name="无边界网格")
    fc = client.get(f"{API}/geojson", {"parent": district.a.area.pk}).json()
    assert [f["id"] for f in fc["features"]] == [district.a.grid.pk]  # children with a polygon only
    fc = client.get(f"{API}/geojson", {"parent": district.s1.pk, "kind": ["grid", "community"]}).json()
    assert {f["id"] for f in fc["features"]} == {district.a.grid.pk, district.b.grid.pk}
    assert login(personas.community_b).get(f"{API}/geojson", {"parent": district.a.area.pk}).status_code == 404


def test_locate_in_both_coordinate_systems(district, personas, login):
    client = login(personas.grid_worker)
    body = client.get(f"{API}/locate", {"lat": 26.0805, "lng": 119.3095}).json()
    assert body["grid"]["id"] == district.a.grid.pk
    assert body["community"]["id"] == district.a.area.pk
    assert body["subdistrict"]["id"] == district.s1.pk and body["district"]["id"] == district.district.pk
    g_lat, g_lng = geo.wgs84_to_gcj02(26.0805, 119.3095)
    body = client.get(f"{API}/locate", {"lat": g_lat, "lng": g_lng, "crs": "gcj02"}).json()
    assert body["grid"]["id"] == district.a.grid.pk
    assert abs(body["lat"] - 26.0805) < 1e-9 and abs(body["lng"] - 119.3095) < 1e-9
    assert client.get(f"{API}/locate", {"lat": g_lat, "lng": g_lng}).status_code == 404  # read as WGS-84


def test_locate_out_of_scope_or_nowhere_is_404(district, personas, login):
    client = login(personas.community_b)
    assert client.get(f"{API}/locate", {"lat": 26.085, "lng": 119.305}).status_code == 404
    assert client.get(f"{API}/locate", {"lat": 26.085, "lng": 119.325}).status_code == 200
    assert client.get(f"{API}/locate", {"lat": 10.0, "lng": 10.0}).status_code == 404
    assert client.get(f"{API}/locate", {"lat": 95, "lng": 119.3}).status_code == 422
    assert client.get(f"{API}/locate", {"lat": 26, "lng": 119.3, "crs": "bd09"}).status_code == 422


def _patch(client, pk, data):
    return client.patch(f"{API}/{pk}", json.dumps(data), content_type="application/json")


def test_patch_updates_and_audits(district, personas, login):
    client = login(personas.community_a)
    response = _patch(client, district.a.grid.pk, {"population": 777, "geometry": square(119.30, 26.08, 0.02)})
    assert response.status_code == 200
    assert response.json()["population"] == 777
    grid = Area.objects.get(pk=district.a.grid.pk)
    assert grid.population == 777 and grid.name == "A社区第一网格"  # unsent fields untouched
    assert AuditEvent.objects.get(action="area.update").changes["population"] == [0, 777]
    assert geo.grid_id_for_point(26.095, 119.305) == grid.pk  # the index saw the new boundary


def test_patch_field_errors_are_422(district, personas, login):
    client = login(personas.community_a)
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    response = _patch(client, district.a.grid.pk, {"name": "", "geometry": bowtie})
    assert response.status_code == 422
    fields = {e["loc"][-1] for e in response.json()["detail"]}
    assert fields == {"name", "geometry"}
    assert _patch(client, district.a.grid.pk, {"population": "many"}).status_code == 422
    assert _patch(client, district.a.grid.pk, {"population": None}).status_code == 422
    assert Area.objects.get(pk=district.a.grid.pk).name == "A社区第一网格"


@pytest.mark.parametrize("persona", ["community_b", "grid_worker", "department", "auditor"])
def test_patch_denied_is_404(district, personas, login, persona):
    response = _patch(login(getattr(personas, persona)), district.a.grid.pk, {"population": 1})
    assert response.status_code == 404
    assert Area.objects.get(pk=district.a.grid.pk).population == 0


def test_bearer_token(district, personas, client):
    value = token_new_value()
    ApiToken.objects.create(user=personas.grid_worker, prefix=value[:8], digest=token_digest(value))
    response = client.get(f"{API}/{district.a.grid.pk}", HTTP_AUTHORIZATION=f"Bearer {value}")
    assert response.status_code == 200
    assert client.get(f"{API}/{district.b.grid.pk}", HTTP_AUTHORIZATION=f"Bearer {value}").status_code == 404
    assert client.get(f"{API}/").status_code == 401


def test_openapi_documents_the_routes(db, client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/areas/",
        "/api/v1/areas/geojson",
        "/api/v1/areas/locate",
        "/api/v1/areas/{area_id}",
        "/api/v1/areas/{area_id}/children",
    ):
        assert path in paths
    assert "patch" in paths["/api/v1/areas/{area_id}"]
