"""JSON API of the Party organization tree (mounted at /api/v1/party).

Scoped like the pages: an organization out of scope, or a missing permission, reads as 404.
Bad input gets 422 with one message per field, in the same shape as django-ninja's own errors.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from jiceng.accounts import roles
from jiceng.accounts.scope import get_in_scope_or_404, scope_for
from jiceng.areas.models import Area
from jiceng.core.paging import PAGE_SIZES
from jiceng.people import personal
from jiceng.people.models import Person
from jiceng.units.models import Unit
from jiceng.units.selectors import unit_get

from . import selectors, services
from .models import Member, MemberCategory, MemberStatus, OrgKind, PartyOrg, Position, PositionTitle

router = Router(tags=["party"])


# --- shared helpers (the units API uses them too) -------------------------------------------------


class PageQuery(Schema):
    page: int = Field(1, ge=1)
    size: int = Field(50, description="One of 20, 50, 100, 200")


def page_of(qs: QuerySet, params: PageQuery, serialize) -> dict:
    """One COUNT and one page query, whatever the page size."""
    size = params.size if params.size in PAGE_SIZES else 50
    paginator = Paginator(qs, size)
    number = min(params.page, max(paginator.num_pages, 1))
    page = paginator.page(number)
    return {
        "count": paginator.count,
        "page": number,
        "size": size,
        "pages": paginator.num_pages,
        "items": [serialize(obj) for obj in page.object_list],
    }


def _located(field: str, names: dict[str, str]) -> list:
    """A service's field as the place in the JSON body, under the API's names; a formset-style key
    ("items-2-points") as the list, index and field (items, 2, points)."""
    match = re.fullmatch(r"([a-z_]+)-(\d+)-([a-z_]+)", field)
    if match:
        return [names.get(match[1], match[1]), int(match[2]), match[3]]
    return [names.get(field, field)]


def unprocessable(exc: DjangoValidationError, names: dict[str, str] | None = None) -> ValidationError:
    """A service's field errors as a 422, located at the API's own field names."""
    names = names or {}
    errors = []
    for field, messages in exc.message_dict.items():
        loc = ["body", "payload", *_located(field, names)] if field != "__all__" else ["body", "payload"]
        errors.extend({"type": "value_error", "loc": loc, "msg": str(m)} for m in messages)
    return ValidationError(errors)


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError([{"type": "value_error", "loc": ["body", "payload", field], "msg": message}])


def require(request, permission: str) -> None:
    if not scope_for(request.auth).allows(permission):
        raise Http404


# --- schemas ---------------------------------------------------------------------------------------


class OrgOut(Schema):
    id: int
    kind: str
    kind_label: str
    code: str
    name: str
    depth: int
    area_id: int
    area_code: str
    area_name: str
    unit_id: int | None
    founded_on: date | None
    children_count: int | None = None
    members_count: int | None = None


def org_out(org: PartyOrg) -> dict:
    return {
        "id": org.pk,
        "kind": org.kind,
        "kind_label": str(org.get_kind_display()),
        "code": org.code,
        "name": org.name,
        "depth": org.depth,
        "area_id": org.area_id,
        "area_code": org.area.code,
        "area_name": org.area.name,
        "unit_id": org.unit_id,
        "founded_on": org.founded_on,
        "children_count": getattr(org, "visible_children", None) or 0,
        "members_count": getattr(org, "direct_members", None) or 0,
    }


class PositionOut(Schema):
    id: int
    org_id: int
    title: str
    title_label: str
    person_id: int
    person_name: str
    is_part_time: bool
    source_unit_id: int | None
    source_unit_name: str
    term_start: date
    term_end: date = Field(description="Re-election due")
    ended_on: date | None
    due_state: str = Field(description="overdue, due_soon (within 90 days) or current; derived at query time")


def position_out(p: Position) -> dict:
    return {
        "id": p.pk,
        "org_id": p.org_id,
        "title": p.title,
        "title_label": str(p.get_title_display()),
        "person_id": p.person_id,
        "person_name": p.person.name,
        "is_part_time": p.is_part_time,
        "source_unit_id": p.source_unit_id,
        "source_unit_name": p.source_unit.name if p.source_unit else "",
        "term_start": p.term_start,
        "term_end": p.term_end,
        "ended_on": p.ended_on,
        "due_state": getattr(p, "due_state", selectors.DueState.CURRENT),
    }


class OrgDetailOut(OrgOut):
    reelection_due: date | None
    due_state: str | None
    member_count_subtree: int
    ancestors: list[OrgOut]
    positions: list[PositionOut]


class MemberOut(Schema):
    id: int
    person_id: int
    name: str
    phone_masked: str
    org_id: int
    org_name: str
    category: str
    status: str
    joined_on: date | None
    full_on: date | None


def member_out(m: Member) -> dict:
    return {
        "id": m.pk,
        "person_id": m.person.pk,
        "name": m.person.name,
        "phone_masked": m.person.phone_masked,
        "org_id": m.org.pk,
        "org_name": m.org.name,
        "category": m.category,
        "status": m.status,
        "joined_on": m.joined_on,
        "full_on": m.full_on,
    }


class OrgPage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[OrgOut]


class MemberPage(OrgPage):
    items: list[MemberOut]


class PositionPage(OrgPage):
    items: list[PositionOut]


class OrgFilter(PageQuery):
    kind: OrgKind | None = None
    q: str = ""
    roots: bool = Field(False, description="Only the tops of your tree")


class MemberFilter(PageQuery):
    category: MemberCategory | None = None
    status: MemberStatus | None = None
    q: str = ""


class DueFilter(PageQuery):
    state: str = Field("", pattern="^(|overdue|due_soon)$")
    kind: OrgKind | None = None


class OrgIn(Schema):
    """References by id or by code (codes suit integrations: area codes are GB/T 2260 based)."""

    parent_id: int | None = Field(None, description="Null (and no parent_code) for a root")
    parent_code: str | None = None
    kind: OrgKind
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=120)
    area_id: int | None = None
    area_code: str | None = None
    unit_id: int | None = None
    unit_code: str | None = None
    founded_on: date | None = None


class OrgPatch(Schema):
    """Only the fields sent change; the organization's place in the tree stays."""

    name: str | None = Field(None, min_length=1, max_length=120)
    unit_id: int | None = None
    unit_code: str | None = None
    founded_on: date | None = None


class PositionIn(Schema):
    person_id: int | None = Field(None, description="A resident in your scope")
    id_number: str | None = Field(None, description="Or the person's ID number, found by exact value")
    title: PositionTitle
    term_start: date
    term_end: date
    is_part_time: bool = False
    source_unit_id: int | None = None
    source_unit_code: str | None = None


class PositionEndIn(Schema):
    ended_on: date


class MemberIn(Schema):
    person_id: int | None = Field(None, description="A resident in your scope")
    id_number: str | None = Field(None, description="Or the person's ID number, found by exact value")
    category: MemberCategory
    status: MemberStatus = MemberStatus.FULL
    joined_on: date | None = None
    full_on: date | None = Field(None, description="Only for full members")


class MemberPatch(Schema):
    """Only the fields sent change; `org_id` or `org_code` transfers the member."""

    org_id: int | None = None
    org_code: str | None = None
    category: MemberCategory | None = None
    status: MemberStatus | None = None
    joined_on: date | None = None
    full_on: date | None = None
    show_on_board: bool | None = None


# --- reads -----------------------------------------------------------------------------------------


@router.get("/orgs", response=OrgPage, summary="Party organizations in scope")
def org_list(request, filters: Query[OrgFilter]):
    require(request, roles.VIEW_ORG)
    user = request.auth
    if filters.roots:
        qs = selectors.org_roots(user)
    else:
        qs = selectors.with_tree_info(user, selectors.org_search(user, kind=filters.kind or "", q=filters.q))
    if filters.roots and (filters.kind or filters.q):
        qs = qs.filter(kind=filters.kind) if filters.kind else qs
        qs = qs.filter(name__icontains=filters.q) if filters.q else qs
    return page_of(qs, filters, org_out)


@router.get("/orgs/{org_id}", response=OrgDetailOut, summary="An organization with its current posts")
def org_detail(request, org_id: int):
    info = selectors.org_detail(request.auth, org_id, request=request)
    data = org_out(info.org)
    data.update(
        children_count=len(info.children),
        reelection_due=info.reelection_due,
        due_state=info.due_state,
        member_count_subtree=info.member_count,
        ancestors=[org_out(a) for a in info.ancestors],
        positions=[position_out(p) for p in info.positions],
    )
    return data


@router.get("/orgs/{org_id}/children", response=list[OrgOut], summary="Visible child organizations")
def org_children(request, org_id: int):
    org = selectors.org_get(request.auth, org_id, request=request)
    return [org_out(o) for o in selectors.org_children(request.auth, org)]


@router.get("/orgs/{org_id}/positions", response=list[PositionOut], summary="Posts of an organization")
def org_positions(request, org_id: int, include_ended: bool = False):
    org = selectors.org_get(request.auth, org_id, request=request)
    return [position_out(p) for p in selectors.org_positions(request.auth, org, include_ended=include_ended)]


@router.get("/orgs/{org_id}/members", response=MemberPage, summary="Members of an organization and those below")
def org_members(request, org_id: int, filters: Query[MemberFilter]):
    org = selectors.org_get(request.auth, org_id, request=request)
    qs = selectors.org_members(
        request.auth, org, category=filters.category or "", status=filters.status or "", q=filters.q
    )
    return page_of(qs, filters, member_out)


@router.get("/positions/due", response=PositionPage, summary="Re-elections overdue or due within 90 days")
def positions_due(request, filters: Query[DueFilter]):
    require(request, roles.VIEW_ORG)
    qs = selectors.positions_due(request.auth, state=filters.state, kind=filters.kind or "")
    return page_of(qs, filters, position_out)


# --- writes ----------------------------------------------------------------------------------------


def area_ref(request, *, id: int | None, code: str | None, field: str, required: bool = True) -> Area | None:
    """The area a payload names, by id or code. One out of scope reads as not found (404, logged)."""
    if id is None and not code:
        if required:
            raise field_error(field, _("This field is required."))
        return None
    lookup = {"pk": id} if id is not None else {"code": code}
    return get_in_scope_or_404(request.auth, Area.objects.all(), path_field="path", request=request, **lookup)


def unit_ref(request, *, id: int | None, code: str | None):
    """The unit a payload names, by id or code, if the caller can see it; otherwise 404."""
    if id is None and not code:
        return None
    if id is None:
        id = Unit.objects.filter(code=code).values_list("pk", flat=True).first()
        if id is None:
            raise Http404
    return unit_get(request.auth, id, request=request)


def org_ref(request, *, id: int | None, code: str | None) -> PartyOrg | None:
    if id is None and not code:
        return None
    if id is None:
        id = PartyOrg.objects.filter(code=code).values_list("pk", flat=True).first()
        if id is None:
            raise Http404
    return selectors.org_get(request.auth, id, request=request)


@router.post("/orgs", response={201: OrgOut}, summary="Create an organization")
def org_create(request, payload: OrgIn):
    user = request.auth
    require(request, roles.CHANGE_ORG)
    parent = org_ref(request, id=payload.parent_id, code=payload.parent_code)
    area = area_ref(request, id=payload.area_id, code=payload.area_code, field="area_id")
    unit = unit_ref(request, id=payload.unit_id, code=payload.unit_code)
    try:
        org = services.party_org_create(
            actor=user,
            parent=parent,
            kind=payload.kind,
            code=payload.code,
            name=payload.name,
            area=area,
            unit=unit,
            founded_on=payload.founded_on,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc, {"parent": "parent_id", "area": "area_id", "unit": "unit_id"}) from exc
    return 201, org_out(PartyOrg.objects.select_related("area").get(pk=org.pk))


@router.patch("/orgs/{org_id}", response=OrgOut, summary="Rename an organization or change its unit")
def org_update(request, org_id: int, payload: OrgPatch):
    user = request.auth
    org = selectors.org_get(user, org_id, request=request)
    scope = scope_for(user)
    if not scope.allows(roles.CHANGE_ORG) or not scope.covers_path(org.area_path):
        raise Http404
    sent = payload.model_dump(exclude_unset=True)
    extra = {}
    if "unit_id" in sent or "unit_code" in sent:
        extra["unit"] = unit_ref(request, id=sent.get("unit_id"), code=sent.get("unit_code"))
    if "founded_on" in sent:
        extra["founded_on"] = sent["founded_on"]
    try:
        services.party_org_update(actor=user, org=org, name=sent.get("name"), request=request, **extra)
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return org_out(selectors.with_tree_info(user, PartyOrg.objects.filter(pk=org.pk)).get())


def resolve_person(request, person_id: int | None, id_number: str | None) -> Person:
    """The person a post goes to: by id within the caller's scope (else 404), or by exact ID number
    (blind index), since a part-time member from a unit may live outside the caller's area."""
    if person_id is not None:
        return get_in_scope_or_404(
            request.auth, Person.objects.all(), path_field="area_path", request=request, pk=person_id
        )
    if id_number:
        try:
            value = personal.normalize_id_number(id_number)
        except DjangoValidationError as exc:
            raise field_error("id_number", exc.messages[0]) from exc
        person = Person.objects.filter(id_index=personal.blind_index(value, "id")).first()
        if person is None:
            raise field_error("id_number", _("No resident has this ID number; register the person first."))
        return person
    raise field_error("person_id", _("Give the person's id or ID number."))


@router.post("/orgs/{org_id}/positions", response={201: PositionOut}, summary="Assign a post")
def position_assign(request, org_id: int, payload: PositionIn):
    user = request.auth
    org = selectors.org_get(user, org_id, request=request)
    scope = scope_for(user)
    if not scope.allows(roles.CHANGE_ORG) or not scope.covers_path(org.area_path):
        raise Http404
    person = resolve_person(request, payload.person_id, payload.id_number)
    source_unit = unit_ref(request, id=payload.source_unit_id, code=payload.source_unit_code)
    try:
        position = services.position_assign(
            actor=user,
            org=org,
            person=person,
            title=payload.title,
            term_start=payload.term_start,
            term_end=payload.term_end,
            is_part_time=payload.is_part_time,
            source_unit=source_unit,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc, {"person": "person_id", "source_unit": "source_unit_id"}) from exc
    return 201, position_out(selectors.org_positions(user, org).get(pk=position.pk))


@router.post("/positions/{position_id}/end", response=PositionOut, summary="End a post")
def position_end(request, position_id: int, payload: PositionEndIn):
    user = request.auth
    position = Position.objects.select_related("org", "person", "source_unit").filter(pk=position_id).first()
    if position is None:
        raise Http404
    org = selectors.org_get(user, position.org_id, request=request)
    scope = scope_for(user)
    if not scope.allows(roles.CHANGE_ORG) or not scope.covers_path(org.area_path):
        raise Http404
    try:
        position = services.position_end(actor=user, position=position, ended_on=payload.ended_on, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return position_out(position)


def _member_out(member_id: int, user) -> dict:
    return member_out(Member.objects.select_related("person", "org").get(pk=member_id))


@router.post("/orgs/{org_id}/members", response={201: MemberOut}, summary="Register a Party member")
def member_create(request, org_id: int, payload: MemberIn):
    user = request.auth
    org = selectors.org_get(user, org_id, request=request)
    scope = scope_for(user)
    if not scope.allows(roles.CHANGE_ORG) or not scope.covers_path(org.area_path):
        raise Http404
    person = resolve_person(request, payload.person_id, payload.id_number)
    try:
        member = services.member_create(
            actor=user,
            person=person,
            org=org,
            category=payload.category,
            status=payload.status,
            joined_on=payload.joined_on,
            full_on=payload.full_on,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc, {"person": "person_id"}) from exc
    return 201, _member_out(member.pk, user)


@router.patch("/members/{member_id}", response=MemberOut, summary="Change or transfer a Party member")
def member_update(request, member_id: int, payload: MemberPatch):
    user = request.auth
    if not scope_for(user).allows(roles.VIEW_ORG):
        raise Http404
    member = get_in_scope_or_404(
        user, Member.objects.select_related("org", "person"), path_field="area_path", request=request, pk=member_id
    )
    sent = payload.model_dump(exclude_unset=True)
    org = org_ref(request, id=sent.get("org_id"), code=sent.get("org_code"))
    try:
        services.member_update(
            actor=user,
            member=member,
            org=org,
            category=sent.get("category"),
            status=sent.get("status"),
            show_on_board=sent.get("show_on_board"),
            request=request,
            **{k: sent[k] for k in ("joined_on", "full_on") if k in sent},
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc, {"org": "org_id"}) from exc
    return _member_out(member.pk, user)


# Party dues: registered on this router (see dues_api's docstring); imported last, as it uses the helpers above.
from . import dualreg_api as dualreg_api  # noqa: E402, F401  (dual registration registers on this router too)
from . import dues_api  # noqa: E402, F401
from . import meeting_api as meeting_api  # noqa: E402, F401  (meetings register on this router too)
from . import points_api as points_api  # noqa: E402, F401  (points, boards and check-in too)
