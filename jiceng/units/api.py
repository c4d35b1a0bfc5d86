"""JSON API of the units directory (mounted at /api/v1/units).

Scoped like the pages: a unit out of scope, or a missing permission, reads as 404. Contacts' phones
travel masked only. Bad input gets 422 with one message per field.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema

from jiceng.accounts import roles
from jiceng.areas.models import Area
from jiceng.party.api import PageQuery, area_ref, page_of, require, resolve_person, unprocessable

from . import selectors, services
from .models import Contact, Unit, UnitKind, UnitRole

router = Router(tags=["units"])


class AreaRef(Schema):
    id: int
    code: str
    name: str


class UnitOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    code: str
    address: str
    home_area: AreaRef
    areas_served: list[AreaRef]
    contacts_count: int | None = None


def _area(a: Area) -> dict:
    return {"id": a.pk, "code": a.code, "name": a.name}


def unit_out(u: Unit, areas_served: list[Area] | None = None) -> dict:
    return {
        "id": u.pk,
        "kind": u.kind,
        "kind_label": str(u.get_kind_display()),
        "name": u.name,
        "code": u.code,
        "address": u.address,
        "home_area": _area(u.home_area),
        "areas_served": [_area(a) for a in (areas_served if areas_served is not None else u.areas_served.all())],
        "contacts_count": getattr(u, "contact_count", None) or 0,
    }


class ContactOut(Schema):
    id: int
    name: str
    title: str
    phone_masked: str


def contact_out(c: Contact) -> dict:
    return {"id": c.pk, "name": c.name, "title": c.title, "phone_masked": c.phone_masked}


class OrgRef(Schema):
    id: int
    code: str
    name: str
    kind: str


class UnitRoleOut(Schema):
    id: int
    person_id: int
    person_name: str
    title: str
    started_on: date | None
    ended_on: date | None


def role_out(r: UnitRole) -> dict:
    return {
        "id": r.pk,
        "person_id": r.person.pk,
        "person_name": r.person.name,
        "title": r.title,
        "started_on": r.started_on,
        "ended_on": r.ended_on,
    }


class UnitDetailOut(UnitOut):
    contacts: list[ContactOut]
    party_orgs: list[OrgRef]
    posts: list[UnitRoleOut]


class UnitPage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[UnitOut]


class UnitFilter(PageQuery):
    kind: UnitKind | None = None
    q: str = ""


class UnitIn(Schema):
    kind: UnitKind
    name: str = Field(..., min_length=1, max_length=200)
    code: str = Field(..., min_length=1, max_length=40)
    home_area_id: int | None = None
    home_area_code: str | None = Field(None, description="Or the home area's code")
    address: str = Field("", max_length=200)
    areas_served_ids: list[int] = []
    areas_served_codes: list[str] = Field([], description="Or the served areas' codes")


class UnitPatch(Schema):
    """Only the fields sent change; served areas, when sent, replace those in your scope."""

    kind: UnitKind | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    code: str | None = Field(None, min_length=1, max_length=40)
    address: str | None = Field(None, max_length=200)
    home_area_id: int | None = None
    home_area_code: str | None = None
    areas_served_ids: list[int] | None = None
    areas_served_codes: list[str] | None = None


class ContactIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    title: str = Field("", max_length=50)
    phone: str = Field("", max_length=20, description="Mobile, 11 digits; +86 accepted")


class UnitRoleIn(Schema):
    person_id: int | None = Field(None, description="A resident in your scope")
    id_number: str | None = Field(None, description="Or the person's ID number, found by exact value")
    title: str = Field(..., min_length=1, max_length=50)
    started_on: date | None = None


@router.get("", response=UnitPage, summary="Units in scope")
def unit_list(request, filters: Query[UnitFilter]):
    require(request, roles.VIEW_ORG)
    qs = selectors.unit_list(request.auth, kind=filters.kind or "", q=filters.q)
    return page_of(qs, filters, unit_out)


@router.get("/{unit_id}", response=UnitDetailOut, summary="A unit with contacts, Party organizations and posts")
def unit_detail(request, unit_id: int):
    info = selectors.unit_detail(request.auth, unit_id, request=request)
    data = unit_out(info.unit, info.areas_served)
    data.update(
        contacts_count=len(info.contacts),
        contacts=[contact_out(c) for c in info.contacts],
        party_orgs=[{"id": o.pk, "code": o.code, "name": o.name, "kind": o.kind} for o in info.party_orgs],
        posts=[role_out(r) for r in info.roles],
    )
    return data


@router.get("/{unit_id}/contacts", response=list[ContactOut], summary="Contacts of a unit (masked phones)")
def unit_contacts(request, unit_id: int):
    unit = selectors.unit_get(request.auth, unit_id, request=request)
    return [contact_out(c) for c in selectors.unit_contacts(request.auth, unit)]


def _served(request, payload: UnitIn | UnitPatch) -> list[Area]:
    ids = [area_ref(request, id=i, code=None, field="areas_served_ids") for i in payload.areas_served_ids or ()]
    codes = [
        area_ref(request, id=None, code=c, field="areas_served_codes") for c in payload.areas_served_codes or ()
    ]
    return [*ids, *codes]


@router.post("", response={201: UnitOut}, summary="Register a unit")
def unit_create(request, payload: UnitIn):
    user = request.auth
    require(request, roles.CHANGE_ORG)
    home = area_ref(request, id=payload.home_area_id, code=payload.home_area_code, field="home_area_id")
    served = _served(request, payload)
    try:
        unit = services.unit_create(
            actor=user,
            kind=payload.kind,
            name=payload.name,
            code=payload.code,
            home_area=home,
            address=payload.address,
            areas_served=served,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc, {"home_area": "home_area_id", "areas_served": "areas_served_ids"}) from exc
    return 201, unit_out(unit)


def _unit_for_change(request, unit_id: int) -> Unit:
    unit = selectors.unit_get(request.auth, unit_id, request=request)
    try:
        services.check_unit_change(request.auth, unit)
    except PermissionDenied as exc:
        raise Http404 from exc
    return unit


@router.patch("/{unit_id}", response=UnitOut, summary="Change a unit")
def unit_update(request, unit_id: int, payload: UnitPatch):
    unit = _unit_for_change(request, unit_id)
    sent = payload.model_dump(exclude_unset=True)
    home = None
    if sent.get("home_area_id") is not None or sent.get("home_area_code"):
        home = area_ref(request, id=sent.get("home_area_id"), code=sent.get("home_area_code"), field="home_area_id")
    served = _served(request, payload) if {"areas_served_ids", "areas_served_codes"} & set(sent) else None
    try:
        unit = services.unit_update(
            actor=request.auth,
            unit=unit,
            kind=sent.get("kind"),
            name=sent.get("name"),
            code=sent.get("code"),
            address=sent.get("address"),
            home_area=home,
            areas_served=served,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc, {"home_area": "home_area_id", "areas_served": "areas_served_ids"}) from exc
    return unit_out(Unit.objects.select_related("home_area").get(pk=unit.pk))


@router.post("/{unit_id}/contacts", response={201: ContactOut}, summary="Add a contact")
def contact_add(request, unit_id: int, payload: ContactIn):
    unit = _unit_for_change(request, unit_id)
    try:
        contact = services.contact_add(
            actor=request.auth, unit=unit, name=payload.name, title=payload.title, phone=payload.phone,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return 201, contact_out(contact)


@router.post("/{unit_id}/posts", response={201: UnitRoleOut}, summary="Record a person's post in a unit")
def role_assign(request, unit_id: int, payload: UnitRoleIn):
    unit = _unit_for_change(request, unit_id)
    person = resolve_person(request, payload.person_id, payload.id_number)
    try:
        role = services.unit_role_assign(
            actor=request.auth, unit=unit, person=person, title=payload.title, started_on=payload.started_on,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc, {"person": "person_id"}) from exc
    return 201, role_out(role)
