"""Writes to the area tree. Each service checks permission and scope and audits in its transaction."""

from __future__ import annotations

import math
from typing import Any, Final

import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from shapely.geometry import shape

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.scope import scope_for

from .geo import bump_grid_generation
from .models import CHILD_KIND, CODE_LENGTH, Area, AreaKind


def _check_code(kind: str, code: str, parent: Area | None) -> None:
    if not code.isdigit() or len(code) != CODE_LENGTH[kind]:
        raise ValidationError(
            {"code": _("A %(kind)s code has %(n)d digits.") % {"kind": AreaKind(kind).label, "n": CODE_LENGTH[kind]}}
        )
    if parent is not None and not code.startswith(parent.code):
        raise ValidationError(
            {"code": _("The code must start with the parent's code %(code)s.") % {"code": parent.code}}
        )


def area_create(
    *,
    actor,
    parent: Area | None,
    kind: str,
    code: str,
    name: str,
    population: int = 0,
    households: int = 0,
    geometry: dict | None = None,
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    audit: bool = True,
) -> Area:
    """Create an area under `parent` (a district when parent is None).

    `actor=None` is the system itself (demo builder, migrations); everyone else needs
    `org.change` on the parent's subtree, and only a district administrator creates districts.
    """
    if actor is not None:
        scope = scope_for(actor)
        if not scope.allows(roles.CHANGE_ORG):
            raise PermissionDenied
        if parent is None and roles.Role.DISTRICT_ADMIN not in scope.roles:
            raise PermissionDenied
        if parent is not None and not scope.covers_path(parent.path):
            raise PermissionDenied
    if parent is None and kind != AreaKind.DISTRICT:
        raise ValidationError({"kind": _("Only a district stands at the top of the tree.")})
    if parent is not None and CHILD_KIND.get(parent.kind) != kind:
        raise ValidationError(
            {
                "kind": _("A %(child)s cannot stand under a %(parent)s.")
                % {"child": AreaKind(kind).label, "parent": AreaKind(parent.kind).label}
            }
        )
    _check_code(kind, code, parent)
    if Area.objects.filter(code=code).exists():
        raise ValidationError({"code": _("An area with code %(code)s already exists.") % {"code": code}})
    fields = dict(
        kind=kind,
        code=code,
        name=name,
        population=population,
        households=households,
        geometry=geometry,
        lat=lat,
        lng=lng,
        address=address,
    )
    if geometry is not None:
        geometry = clean_geometry(geometry)
    with transaction.atomic():
        area = (
            Area.objects.add_root(fields)
            if parent is None
            else Area.objects.add_child(Area.objects.get(pk=parent.pk), fields)
        )
        if audit:
            audit_record(
                actor=actor,
                action="area.create",
                obj=area,
                changes={"kind": kind, "code": code, "name": name},
            )
        if kind == AreaKind.GRID:
            bump_grid_generation()
    return area


# --- update and delete -------------------------------------------------------------------------


class _Unset:
    """Marks a keyword argument the caller did not pass (None is a value: "clear it")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()

_GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


def clean_geometry(value: Any) -> dict:
    """A GeoJSON Polygon or MultiPolygon in WGS-84 that shapely reads as valid and non-empty,
    returned as plain GeoJSON (lists, closed rings), ready for the JSON column."""
    if not isinstance(value, dict) or value.get("type") not in _GEOMETRY_TYPES:
        raise ValidationError({"geometry": [_("The boundary must be a GeoJSON Polygon or MultiPolygon.")]})
    try:
        geom = shape(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.ShapelyError):
        raise ValidationError({"geometry": [_("The boundary's coordinates cannot be read.")]}) from None
    if geom.is_empty:
        raise ValidationError({"geometry": [_("The boundary is empty.")]})
    minx, miny, maxx, maxy = geom.bounds
    finite = all(math.isfinite(v) for v in (minx, miny, maxx, maxy))
    if not finite or minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ValidationError({"geometry": [_("Coordinates must be longitude, latitude in degrees (WGS-84).")]})
    if not geom.is_valid:
        raise ValidationError(
            {
                "geometry": [
                    _("The boundary is not a valid polygon: %(reason)s.") % {"reason": shapely.is_valid_reason(geom)}
                ]
            }
        )
    return _plain(shapely.geometry.mapping(geom))


def _plain(mapping: dict) -> dict:
    """GeoJSON from shapely holds tuples; JSON columns and comparisons want lists."""

    def conv(v):
        if isinstance(v, tuple | list):
            return [conv(x) for x in v]
        return v

    return {"type": mapping["type"], "coordinates": conv(mapping["coordinates"])}


def _check_change(actor, area: Area) -> None:
    """`actor=None` is the system itself; everyone else needs org.change on the area's subtree."""
    if actor is None:
        return
    scope = scope_for(actor)
    if not scope.allows(roles.CHANGE_ORG) or not scope.covers_path(area.path):
        raise PermissionDenied


def area_update(
    *,
    actor,
    area: Area,
    name: str | _Unset = UNSET,
    population: int | _Unset = UNSET,
    households: int | _Unset = UNSET,
    geometry: dict | None | _Unset = UNSET,
    lat: float | None | _Unset = UNSET,
    lng: float | None | _Unset = UNSET,
    address: str | _Unset = UNSET,
    request=None,
) -> Area:
    """Change an area's facts. Only the arguments passed change; `geometry=None` clears the
    boundary. All errors are collected and raised together, field by field; nothing is written
    unless everything is valid."""
    _check_change(actor, area)
    errors: dict[str, list[str]] = {}
    new: dict[str, Any] = {}
    if not isinstance(name, _Unset):
        name = (name or "").strip()
        if not name:
            errors["name"] = [_("This field is required.")]
        elif len(name) > 100:
            errors["name"] = [_("At most %(n)d characters.") % {"n": 100}]
        else:
            new["name"] = name
    for field, value in (("population", population), ("households", households)):
        if isinstance(value, _Unset):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors[field] = [_("Enter a whole number, zero or more.")]
        else:
            new[field] = value
    for field, value, limit in (("lat", lat, 90), ("lng", lng, 180)):
        if isinstance(value, _Unset):
            continue
        if value is None:
            new[field] = None
        elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors[field] = [_("Enter a number.")]
        elif not -limit <= value <= limit:
            errors[field] = [_("Must lie between -%(n)d and %(n)d degrees.") % {"n": limit}]
        else:
            new[field] = float(value)
    if not errors and ("lat" in new or "lng" in new):
        lat_after = new.get("lat", area.lat)
        lng_after = new.get("lng", area.lng)
        if (lat_after is None) != (lng_after is None):
            missing = "lat" if lat_after is None else "lng"
            errors[missing] = [_("Give latitude and longitude together, or neither.")]
    if not isinstance(address, _Unset):
        address = (address or "").strip()
        if len(address) > 200:
            errors["address"] = [_("At most %(n)d characters.") % {"n": 200}]
        else:
            new["address"] = address
    if not isinstance(geometry, _Unset):
        if geometry is None:
            new["geometry"] = None
        else:
            try:
                new["geometry"] = clean_geometry(geometry)
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        # Lock the row: two editors at once apply one after the other, each on fresh values.
        current = Area.objects.select_for_update().get(pk=area.pk)
        changes: dict[str, Any] = {}
        for field, value in new.items():
            old = getattr(current, field)
            if old == value:
                continue
            setattr(current, field, value)
            # The audit keeps small values whole; a boundary is summarised (it can be megabytes).
            changes[field] = "changed" if field == "geometry" else [old, value]
        if changes:
            current.save(update_fields=[*changes, "updated_at"])
            audit_record(actor=actor, action="area.update", obj=current, changes=changes, request=request)
            if "geometry" in changes and current.kind == AreaKind.GRID:
                bump_grid_generation()
    for field in (*new, "updated_at"):
        setattr(area, field, getattr(current, field))
    return area


def area_delete(*, actor, area: Area, request=None) -> None:
    """Delete an area that nothing hangs on. An area with children, residents, Party
    organizations, units or role grants is refused with a message saying which."""
    from jiceng.accounts.models import RoleGrant
    from jiceng.party.models import PartyOrg
    from jiceng.people.models import Person
    from jiceng.units.models import Unit

    _check_change(actor, area)
    if area.kind == AreaKind.DISTRICT and actor is not None:
        if roles.Role.DISTRICT_ADMIN not in scope_for(actor).roles:
            raise PermissionDenied
    reasons: list[str] = []
    children = Area.objects.filter(path__startswith=area.path, depth=area.depth + 1).count()
    if children:
        reasons.append(ngettext("it has %(n)d sub-area", "it has %(n)d sub-areas", children) % {"n": children})
    residents = Person.objects.filter(
        Q(home=area) | Q(grid=area) | Q(community=area) | Q(subdistrict=area) | Q(district=area)
    ).count()
    if residents:
        reasons.append(
            ngettext("%(n)d resident lives in it", "%(n)d residents live in it", residents) % {"n": residents}
        )
    orgs = PartyOrg.objects.filter(area=area).count()
    if orgs:
        reasons.append(
            ngettext("%(n)d Party organization is anchored on it", "%(n)d Party organizations are anchored on it", orgs)
            % {"n": orgs}
        )
    units = Unit.objects.filter(Q(home_area=area) | Q(areas_served=area)).distinct().count()
    if units:
        reasons.append(
            ngettext(
                "%(n)d unit is registered in it or serves it", "%(n)d units are registered in it or serve it", units
            )
            % {"n": units}
        )
    grants = RoleGrant.objects.filter(area=area).count()
    if grants:
        reasons.append(
            ngettext("%(n)d user holds a role on it", "%(n)d users hold roles on it", grants) % {"n": grants}
        )
    if reasons:
        raise ValidationError(
            _("%(name)s cannot be deleted: %(reasons)s.") % {"name": area.name, "reasons": _("; ").join(reasons)}
        )
    with transaction.atomic():
        current = Area.objects.select_for_update().get(pk=area.pk)
        audit_record(
            actor=actor,
            action="area.delete",
            obj=current,
            request=request,
            changes={"kind": current.kind, "code": current.code, "name": current.name},
        )
        try:
            current.delete()
        except ProtectedError:
            # Something another app added later still points here; refuse, keep everything.
            raise ValidationError(
                _("%(name)s cannot be deleted: other records still refer to it.") % {"name": area.name}
            ) from None
        if current.kind == AreaKind.GRID:
            bump_grid_generation()
