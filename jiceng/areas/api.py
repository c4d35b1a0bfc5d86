"""The area tree in the JSON API (/api/v1/areas). Scoped like the pages: out of scope is 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from . import selectors
from .models import Area, AreaKind
from .services import area_update

router = Router(tags=["areas"])

MAX_LIMIT = 500
KIND_HELP = "Kinds to include, repeatable; default: direct children"


class AreaRef(Schema):
    id: int
    code: str
    name: str
    kind: AreaKind


class AreaOut(AreaRef):
    depth: int
    parent_id: int | None = Field(None, description="None for a district")
    population: int
    households: int
    lat: float | None = Field(None, description="WGS-84 label point")
    lng: float | None
    address: str
    children_count: int
    updated_at: datetime


class AreaDetailOut(AreaOut):
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon, WGS-84")
    ancestors: list[AreaRef] = Field(description="Ancestors inside the caller's scope, top first")


class AreaPage(Schema):
    count: int
    items: list[AreaOut]


class AreaPatch(Schema):
    name: str | None = None
    population: int | None = None
    households: int | None = None
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon, WGS-84; null clears")
    lat: float | None = None
    lng: float | None = None
    address: str | None = None


class LocateOut(Schema):
    grid: AreaRef
    district: AreaRef | None
    subdistrict: AreaRef | None
    community: AreaRef | None
    lat: float = Field(description="The point in WGS-84")
    lng: float


class FeatureCollection(Schema):
    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]


def _ref(a: Area | None) -> dict | None:
    if a is None:
        return None
    return {"id": a.id, "code": a.code, "name": a.name, "kind": a.kind}


def _out(a: Area, parents: dict[str, int]) -> dict:
    return {
        **_ref(a),
        "depth": a.depth,
        "parent_id": parents.get(a.path[: -Area.steplen]) if a.depth > 1 else None,
        "population": a.population,
        "households": a.households,
        "lat": a.lat,
        "lng": a.lng,
        "address": a.address,
        "children_count": a.numchild,
        "updated_at": a.updated_at,
    }


def _page(qs, limit: int, offset: int) -> dict:
    """One COUNT, one page query and one query for the page's parents, whatever the limit."""
    count = qs.count()
    items = list(qs.defer("geometry")[offset : offset + limit])
    parents = selectors.parent_ids(items)
    return {"count": count, "items": [_out(a, parents) for a in items]}


@router.get("/", url_name="areas_list", response=AreaPage, summary="List areas in scope")
def list_areas(
    request,
    kind: AreaKind | None = None,
    parent: int | None = Query(None, description="Only the children of this area"),
    q: str | None = Query(None, max_length=100, description="Name contains, or code starts with"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
):
    if not selectors.can_view(request.user):
        raise Http404  # lacking the permission reads as not found, as for one object
    parent_area = selectors.area_get(request.user, parent, request) if parent is not None else None
    qs = selectors.area_list(request.user, kind=kind, q=q, parent=parent_area)
    return _page(qs, limit, offset)


@router.get("/geojson", url_name="areas_geojson", response=FeatureCollection, summary="Polygons in scope as GeoJSON")
def geojson(
    request,
    parent: int | None = Query(None, description="Below this area (default: the whole scope)"),
    kind: list[AreaKind] | None = Query(None, description=KIND_HELP),  # noqa: B008 - ninja's idiom
):
    if not selectors.can_view(request.user):
        raise Http404
    parent_area = selectors.area_get(request.user, parent, request) if parent is not None else None
    return selectors.area_geojson(request.user, parent_area, kind or None)


@router.get("/locate", url_name="areas_locate", response=LocateOut, summary="The grid containing a point")
def locate(
    request,
    lat: float = Query(..., ge=-90, le=90),
    lng: float = Query(..., ge=-180, le=180),
    crs: Literal["wgs84", "gcj02"] = Query("wgs84", description="wgs84 (GPS) or gcj02 (Chinese map SDKs, WeChat)"),
):
    found = selectors.area_locate(request.user, lat, lng, crs)
    return {
        "grid": _ref(found.grid),
        "district": _ref(found.chain["district"]),
        "subdistrict": _ref(found.chain["subdistrict"]),
        "community": _ref(found.chain["community"]),
        "lat": found.lat,
        "lng": found.lng,
    }


def _detail(request, area: Area) -> dict:
    out = _out(area, selectors.parent_ids([area]))
    out["geometry"] = area.geometry
    out["ancestors"] = [_ref(a) for a in selectors.area_ancestors(request.user, area)]
    return out


@router.get("/{area_id}", url_name="areas_detail", response=AreaDetailOut, summary="One area")
def get_area(request, area_id: int):
    return _detail(request, selectors.area_get(request.user, area_id, request))


@router.get("/{area_id}/children", url_name="areas_children", response=AreaPage, summary="The children of an area")
def children(
    request,
    area_id: int,
    q: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
):
    area = selectors.area_get(request.user, area_id, request)
    return _page(selectors.area_children(request.user, area, q=q), limit, offset)


@router.patch("/{area_id}", url_name="areas_patch", response=AreaDetailOut, summary="Change an area's facts")
def patch_area(request, area_id: int, payload: AreaPatch):
    area = selectors.area_get(request.user, area_id, request)
    changes = payload.model_dump(exclude_unset=True)
    for field in ("name", "population", "households", "address"):
        # These cannot be cleared; an explicit null is a mistake worth naming.
        if field in changes and changes[field] is None:
            raise ValidationError(
                [{"loc": ["body", "payload", field], "msg": _("This field cannot be null."), "type": "value_error"}]
            )
    try:
        area = area_update(actor=request.user, area=area, request=request, **changes)
    except PermissionDenied:
        raise Http404 from None
    except DjangoValidationError as exc:
        raise ValidationError(
            [
                {"loc": ["body", "payload", field], "msg": str(message), "type": "value_error"}
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
        ) from None
    return _detail(request, area)
