"""The area pages: tree, children fragment, detail (with export), edit, delete and map."""

from __future__ import annotations

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.accounts.models import AuditEvent
from jiceng.areas.models import Area
from jiceng.areas.services import area_create

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_tree_starts_at_the_scope_roots(district, personas, login):
    client = login(personas.community_a)
    html = client.get(reverse("areas:tree"), **EN).content.decode()
    assert district.a.area.name in html
    assert district.a.grid.name in html  # the roots' children come with the page
    assert reverse("areas:children", args=[district.a.grid.pk]) in html  # deeper levels load lazily
    assert district.b.area.name not in html
    assert district.s1.name not in html  # above the scope


def test_tree_for_the_district(district, personas, login):
    html = login(personas.district_admin).get(reverse("areas:tree"), **EN).content.decode()
    assert district.district.name in html and district.s1.name in html and district.s2.name in html
    assert 'hx-trigger="toggle once"' in html


def test_children_fragment(district, personas, login):
    response = login(personas.grid_worker).get(reverse("areas:children", args=[district.a.grid.pk]), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<ul>")
    assert district.a.compound.name in html and district.a.compound.code in html


def test_detail_shows_facts_breadcrumbs_children_orgs_and_units(district, personas, login):
    html = login(personas.community_a).get(reverse("areas:detail", args=[district.a.grid.pk]), **EN).content.decode()
    assert district.a.grid.code in html
    assert district.a.compound.name in html  # children table
    assert district.orgs["a"].general.name in html  # Party org anchored on the grid
    assert reverse("areas:detail", args=[district.a.area.pk]) in html  # breadcrumb inside scope
    assert reverse("areas:detail", args=[district.s1.pk]) not in html  # ancestor outside scope
    assert 'id="area-geometry"' in html and "119.3" in html
    assert f'action="{reverse("areas:edit", args=[district.a.grid.pk])}"' in html


def test_detail_lists_units_serving_the_area(district, personas, login):
    html = login(personas.district_admin).get(reverse("areas:detail", args=[district.s1.pk]), **EN).content.decode()
    assert district.department.name in html


def test_grid_worker_sees_no_edit_form(district, personas, login):
    html = login(personas.grid_worker).get(reverse("areas:detail", args=[district.a.grid.pk]), **EN).content.decode()
    assert reverse("areas:edit", args=[district.a.grid.pk]) not in html


def test_out_of_scope_detail_is_404_and_logged(district, personas, login):
    response = login(personas.community_b).get(reverse("areas:detail", args=[district.a.grid.pk]))
    assert response.status_code == 404
    event = AuditEvent.objects.get(action="access.out_of_scope")
    assert event.actor == personas.community_b and event.object_id == str(district.a.grid.pk)


def _many_children(district, n: int) -> Area:
    compound = district.c.compound
    for i in range(2, n + 1):
        area_create(
            actor=None,
            parent=compound,
            kind="building",
            code=f"{compound.code}{i:03d}",
            name=f"{i}号楼",
            population=i,
            households=i,
        )
    return Area.objects.get(pk=compound.pk)


def test_children_filter_and_pagination(district, personas, login):
    compound = _many_children(district, 30)
    client = login(personas.district_admin)
    html = client.get(reverse("areas:detail", args=[compound.pk]), {"q": "12号"}, **EN).content.decode()
    assert "12号楼" in html and "13号楼" not in html
    html = client.get(reverse("areas:detail", args=[compound.pk]), {"size": 20, "page": 2}, **EN).content.decode()
    assert f"{compound.code}021" in html and f"{compound.code}020" not in html


def test_children_export_to_excel(district, personas, login):
    compound = _many_children(district, 5)
    response = login(personas.district_admin).get(reverse("areas:detail", args=[compound.pk]), {"format": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 5
    assert rows[1][0] == compound.code + "001"
    assert rows[5][1] == "5号楼" and rows[5][3] == 5


def test_export_needs_the_export_permission(district, personas, login):
    response = login(personas.grid_worker).get(reverse("areas:detail", args=[district.a.grid.pk]), {"format": "xlsx"})
    assert response.status_code == 404


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["areas:detail", "areas:children"])
def test_children_lists_run_a_fixed_number_of_queries(district, personas, login, name):
    client = login(personas.district_admin)
    small = _many_children(district, 2)
    url = reverse(name, args=[small.pk])
    client.get(url)  # warm the session
    few = _count_queries(client, url)
    _many_children_more(small, 30)
    many = _count_queries(client, url)
    assert Area.objects.get(pk=small.pk).numchild == 30
    assert few == many


def _many_children_more(compound: Area, n: int) -> None:
    existing = Area.objects.get(pk=compound.pk).numchild
    for i in range(existing + 1, n + 1):
        area_create(
            actor=None,
            parent=Area.objects.get(pk=compound.pk),
            kind="building",
            code=f"{compound.code}{i:03d}",
            name=f"{i}号楼",
        )


def test_tree_runs_a_fixed_number_of_queries(district, personas, login):
    client = login(personas.community_a)
    url = reverse("areas:tree")
    client.get(url)
    few = _count_queries(client, url)
    for i in range(2, 12):
        area_create(
            actor=None, parent=district.a.area, kind="grid", code=f"{district.a.area.code}{i:03d}", name=f"网格{i}"
        )
    assert _count_queries(client, url) == few


def test_edit_saves_and_audits(district, personas, login):
    grid = district.a.grid
    client = login(personas.community_a)
    data = {
        "name": "新网格名",
        "population": "120",
        "households": "40",
        "lat": repr(grid.lat),
        "lng": repr(grid.lng),
        "address": "",
        "geometry": json.dumps(grid.geometry),
    }
    response = client.post(reverse("areas:edit", args=[grid.pk]), data)
    assert response.status_code == 302 and response["Location"] == reverse("areas:detail", args=[grid.pk])
    grid.refresh_from_db()
    assert (grid.name, grid.population, grid.households) == ("新网格名", 120, 40)
    assert AuditEvent.objects.get(action="area.update").changes.keys() == {"name", "population", "households"}


def test_edit_shows_field_errors_and_keeps_data(district, personas, login):
    grid = district.a.grid
    client = login(personas.community_a)
    bad = {
        "type": "Polygon",
        "coordinates": [[[119.30, 26.08], [119.31, 26.09], [119.31, 26.08], [119.30, 26.09], [119.30, 26.08]]],
    }
    data = {
        "name": "新网格名",
        "population": "-3",
        "households": "40",
        "lat": "26.085",
        "lng": "",
        "address": "",
        "geometry": json.dumps(bad),
    }
    response = client.post(reverse("areas:edit", args=[grid.pk]), data, **EN)
    assert response.status_code == 200
    form = response.context["form"]
    assert "population" in form.errors
    # The service's own checks run once the form parses: fix population, see geometry and lng errors.
    data["population"] = "3"
    response = client.post(reverse("areas:edit", args=[grid.pk]), data, **EN)
    form = response.context["form"]
    assert "Self-intersection" in form.errors["geometry"][0]
    assert "lng" in form.errors
    assert "新网格名" in response.content.decode()  # what was typed stays in the form
    grid.refresh_from_db()
    assert grid.name == "A社区第一网格"
    assert not AuditEvent.objects.filter(action="area.update").exists()


def test_edit_rejects_bad_json(district, personas, login):
    grid = district.a.grid
    data = {"name": "x", "population": "1", "households": "1", "lat": "", "lng": "", "address": "", "geometry": "{oops"}
    response = login(personas.community_a).post(reverse("areas:edit", args=[grid.pk]), data, **EN)
    assert "geometry" in response.context["form"].errors


def test_delete_refusal_is_shown(district, personas, login):
    client = login(personas.community_a)
    response = client.post(reverse("areas:delete", args=[district.a.grid.pk]), follow=True, **EN)
    assert response.status_code == 200
    assert "cannot be deleted" in response.content.decode()
    assert Area.objects.filter(pk=district.a.grid.pk).exists()


def test_delete_goes_back_to_the_parent(district, personas, login):
    building = area_create(
        actor=None, parent=district.a.compound, kind="building", code=district.a.compound.code + "002", name="2号楼"
    )
    response = login(personas.community_a).post(reverse("areas:delete", args=[building.pk]))
    assert response["Location"] == reverse("areas:detail", args=[district.a.compound.pk])
    assert not Area.objects.filter(pk=building.pk).exists()


def test_delete_needs_post(district, personas, login):
    response = login(personas.community_a).get(reverse("areas:delete", args=[district.a.building.pk]))
    assert response.status_code == 405


def test_map_page_passes_its_config_as_json(district, personas, login, settings):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    response = login(personas.community_a).get(reverse("areas:map"), **EN)
    html = response.content.decode()
    assert 'id="map-config"' in html and "areas/map.js" in html and "leaflet/leaflet.js" in html
    config = json.loads(html.split('id="map-config" type="application/json">')[1].split("</script>")[0])
    assert config["geojson"] == "/api/v1/areas/geojson?kind=grid"
    assert config["locate"] == "/api/v1/areas/locate"
    assert config["tiles"] == settings.MAP_TILE_URL
    assert "<script>" not in html  # CSP: no inline scripts


def test_pages_need_sign_in(district):
    from django.test import Client

    response = Client().get(reverse("areas:tree"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
