"""JSON API of dual registration, the service list, claims and records, pledges and the dual report, on the
Party router (mounted at /api/v1/party/dualreg/...; imported at the end of api.py).

Scoped like the pages: out of scope or lacking permission reads as 404; bad input gets 422 per field; a
stale `version` gets 422 on `state` saying what the record is now. A service record with its photo is
sent as a multipart form (`.../record/photo`); the JSON endpoint records the rest.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Field, File, Form, Query, Schema
from ninja.files import UploadedFile

from jiceng.areas.models import Area

from . import dualreg_selectors as sel
from . import dualreg_services as svc
from .api import PageQuery, page_of, router, unprocessable
from .dualreg_models import (
    ClaimState,
    Pledge,
    Registration,
    RegistrationKind,
    RegistrationState,
    ServiceCategory,
    ServiceClaim,
    ServiceItem,
)

P = "/dualreg"


def _call(fn, **kwargs):
    try:
        return fn(**kwargs)
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc


def _member(request):
    try:
        return svc.member_for_actor(request.auth)
    except PermissionDenied as exc:
        raise Http404 from exc


def _require_view(request) -> None:
    if not sel.can_view(request.auth):
        raise Http404


# --- schemas ---------------------------------------------------------------------------------------


class RegistrationOut(Schema):
    id: int
    kind: str
    org_id: int
    org_name: str
    member_id: int | None
    member_name: str
    community_id: int
    community_name: str
    state: str
    version: int
    reason: str
    requested_at: datetime
    decided_at: datetime | None


class RegistrationPage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[RegistrationOut]


class RegistrationFilter(PageQuery):
    state: RegistrationState | None = None
    kind: RegistrationKind | None = None
    community_id: int | None = None
    org_id: int | None = None
    q: str = Field("", max_length=50)


class MoveIn(Schema):
    version: int | None = Field(None, description="The version you saw; a stale one is refused as a conflict")
    reason: str = Field("", max_length=500)


class RegistrationMoveIn(MoveIn):
    action: Literal["confirm", "return", "revoke", "resubmit"]


class ClaimMoveIn(MoveIn):
    action: Literal["confirm", "return", "withdraw"]


class CountOut(Schema):
    id: int
    name: str
    requested: int
    confirmed: int
    returned: int
    members_confirmed: int
    orgs_confirmed: int
    in_service: int
    not_registered: int


class CountsOut(Schema):
    by_community: list[CountOut]
    by_org: list[CountOut]


class BuildingMemberOut(Schema):
    member_id: int
    name: str
    org_name: str
    state: str = Field(description="requested, confirmed, returned, or empty when not registered here")


class BuildingOut(Schema):
    building_id: int | None
    name: str
    registered: int
    waiting: int
    not_registered: int
    members: list[BuildingMemberOut]


class ItemOut(Schema):
    id: int
    community_id: int
    community_name: str
    title: str
    category: str
    capacity: int
    claimed: int
    starts_on: date
    ends_on: date
    description: str


class ItemPage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[ItemOut]


class ItemFilter(PageQuery):
    community_id: int | None = None
    category: ServiceCategory | None = None
    current: bool = False
    q: str = Field("", max_length=50)


class ItemIn(Schema):
    title: str = Field(..., max_length=200)
    category: ServiceCategory
    capacity: int = Field(..., ge=1, le=10000)
    starts_on: date
    ends_on: date
    description: str = Field("", max_length=5000)


class ClaimOut(Schema):
    id: int
    item_id: int
    item_title: str
    member_id: int
    state: str
    version: int
    served_on: date | None
    hours: Decimal | None
    beneficiary: str
    reason: str
    has_photo: bool


class ClaimPage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[ClaimOut]


class ClaimFilter(PageQuery):
    state: ClaimState | None = None
    community_id: int | None = None
    org_id: int | None = None
    year: int | None = Field(None, ge=2008, le=2100)
    q: str = Field("", max_length=50)


class RecordIn(Schema):
    served_on: date
    hours: Decimal = Field(..., gt=0, le=24, decimal_places=1)
    beneficiary: str = Field(..., max_length=200)
    note: str = Field("", max_length=5000)
    version: int | None = None


class RecordFormIn(Schema):
    """The record as form fields; the service names whatever is missing or wrong (422 per field)."""

    served_on: date | None = None
    hours: Decimal | None = None
    beneficiary: str = ""
    note: str = ""
    version: int | None = None


class PledgeOut(Schema):
    id: int
    member_id: int
    member_name: str
    community_id: int
    text: str
    due_on: date
    fulfilled_on: date | None
    fulfilment: str
    overdue: bool


class PledgePage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[PledgeOut]


class PledgeFilter(PageQuery):
    community_id: int | None = None
    state: Literal["open", "overdue", "fulfilled"] | None = None
    q: str = Field("", max_length=50)


class PledgeIn(Schema):
    text: str = Field(..., max_length=500)
    due_on: date


class FulfilIn(Schema):
    fulfilment: str = Field(..., max_length=500)
    fulfilled_on: date


class MeOut(Schema):
    member_id: int
    registrations: list[RegistrationOut]
    items: list[ItemOut]
    claims: list[ClaimOut]
    pledges: list[PledgeOut]
    confirmed_hours: Decimal


class ReportMemberOut(Schema):
    member_id: int
    name: str
    org_id: int
    org_name: str
    registered_in: str | None
    records: int
    hours: Decimal
    pledges_made: int
    pledges_kept: int


class ReportOut(Schema):
    year: int
    total_hours: Decimal
    members: list[ReportMemberOut]
    records: list[ClaimOut]


class ReportQuery(Schema):
    year: int | None = Field(None, ge=2008, le=2100)
    org_id: int | None = None


# --- serializers ------------------------------------------------------------------------------------


def reg_out(r: Registration) -> dict:
    return {"id": r.pk, "kind": r.kind, "org_id": r.org_id, "org_name": r.org.name, "member_id": r.member_id,
            "member_name": r.member.person.name if r.member_id else "", "community_id": r.community_id,
            "community_name": r.community.name, "state": r.state, "version": r.version, "reason": r.reason,
            "requested_at": r.requested_at, "decided_at": r.decided_at}


def item_out(i: ServiceItem) -> dict:
    return {"id": i.pk, "community_id": i.community_id, "community_name": i.community.name, "title": i.title,
            "category": i.category, "capacity": i.capacity, "claimed": i.claimed, "starts_on": i.starts_on,
            "ends_on": i.ends_on, "description": i.description}


def claim_out(c: ServiceClaim) -> dict:
    return {"id": c.pk, "item_id": c.item_id, "item_title": c.item.title, "member_id": c.member_id,
            "state": c.state, "version": c.version, "served_on": c.served_on, "hours": c.hours,
            "beneficiary": c.beneficiary, "reason": c.reason, "has_photo": bool(c.photo)}


def pledge_out(p: Pledge, today: date) -> dict:
    return {"id": p.pk, "member_id": p.member_id, "member_name": p.member.person.name,
            "community_id": p.community_id, "text": p.text, "due_on": p.due_on, "fulfilled_on": p.fulfilled_on,
            "fulfilment": p.fulfilment, "overdue": p.fulfilled_on is None and p.due_on < today}


def count_out(c: sel.CountRow) -> dict:
    return {**c.__dict__, "not_registered": c.not_registered}


# --- registrations -----------------------------------------------------------------------------------


@router.get(f"{P}/registrations", response=RegistrationPage, summary="Dual registrations in scope, filtered")
def registrations_list(request, query: Query[RegistrationFilter]):
    _require_view(request)
    qs = sel.registration_list(request.auth, state=query.state or "", kind=query.kind or "",
                               community_id=query.community_id, org_id=query.org_id, q=query.q.strip())
    return page_of(qs, query, reg_out)


@router.get(f"{P}/registrations/counts", response=CountsOut,
            summary="Registrations counted per community and per workplace organization")
def registrations_counts(request):
    _require_view(request)
    return {"by_community": [count_out(c) for c in sel.counts_by_community(request.auth)],
            "by_org": [count_out(c) for c in sel.counts_by_org(request.auth)]}


@router.post(f"{P}/registrations/me", response={201: RegistrationOut},
             summary="An in-service member asks to register where they live")
def registrations_request_me(request):
    _member(request)
    reg = _call(svc.registration_request_member, actor=request.auth, request=request)
    return 201, reg_out(sel.registration_get(request.auth, reg.pk))


@router.post(f"{P}/orgs/{{org_id}}/registrations/{{community_id}}", response={201: RegistrationOut},
             summary="A workplace organization asks to register with a community")
def registrations_request_org(request, org_id: int, community_id: int):
    _require_view(request)
    org = sel.workplace_orgs_in_scope(request.auth).filter(pk=org_id).first()
    community = Area.objects.filter(pk=community_id, kind="community").first()
    if org is None or community is None:
        raise Http404
    reg = _call(svc.registration_request_org, actor=request.auth, org=org, community=community, request=request)
    return 201, reg_out(sel.registration_get(request.auth, reg.pk))


@router.post(f"{P}/registrations/{{registration_id}}/move", response=RegistrationOut,
             summary="Confirm, return (with a reason), revoke, or ask again")
def registrations_move(request, registration_id: int, payload: RegistrationMoveIn):
    reg = sel.registration_get(request.auth, registration_id)
    common = {"actor": request.auth, "registration": reg, "version": payload.version, "request": request}
    if payload.action == "confirm":
        _call(svc.registration_confirm, **common)
    elif payload.action == "return":
        _call(svc.registration_return, reason=payload.reason, **common)
    elif payload.action == "revoke":
        _call(svc.registration_revoke, reason=payload.reason, **common)
    else:
        _call(svc.registration_resubmit, **common)
    return reg_out(sel.registration_get(request.auth, reg.pk))


@router.get(f"{P}/buildings/{{community_id}}", response=list[BuildingOut],
            summary="In-service members living in a community, building by building, and their registration")
def registrations_buildings(request, community_id: int):
    community = sel.community_get(request.auth, community_id)
    return [
        {"building_id": r.building.pk if r.building else None, "name": r.building.name if r.building else "",
         "registered": r.registered, "waiting": r.waiting, "not_registered": r.not_registered,
         "members": [{"member_id": m.pk, "name": m.person.name, "org_name": m.org.name, "state": m.reg_state}
                     for m in r.members]}
        for r in sel.building_view(request.auth, community)
    ]


# --- the service list and claims ------------------------------------------------------------------------


@router.get(f"{P}/items", response=ItemPage, summary="The service lists in scope, filtered")
def items_list(request, query: Query[ItemFilter]):
    qs = sel.item_list(request.auth, community_id=query.community_id, category=query.category or "",
                       current=query.current, q=query.q.strip()) if sel.can_view(request.auth) else None
    if qs is None:
        raise Http404
    return page_of(qs, query, item_out)


@router.post(f"{P}/communities/{{community_id}}/items", response={201: ItemOut},
             summary="The community publishes a service item")
def items_create(request, community_id: int, payload: ItemIn):
    community = sel.community_get(request.auth, community_id)
    item = _call(svc.service_item_create, actor=request.auth, community=community, title=payload.title,
                 category=payload.category, capacity=payload.capacity, starts_on=payload.starts_on,
                 ends_on=payload.ends_on, description=payload.description, request=request)
    return 201, item_out(item)


@router.post(f"{P}/items/{{item_id}}/claim", response={201: ClaimOut}, summary="A member claims an item")
def items_claim(request, item_id: int):
    item = sel.item_for_member(_member(request), item_id)
    claim = _call(svc.service_claim_create, actor=request.auth, item=item, request=request)
    return 201, claim_out(claim)


@router.get(f"{P}/claims", response=ClaimPage, summary="Claims and service records in scope, filtered")
def claims_list(request, query: Query[ClaimFilter]):
    _require_view(request)
    qs = sel.claim_list(request.auth, state=query.state or "", community_id=query.community_id,
                        org_id=query.org_id, year=query.year, q=query.q.strip())
    return page_of(qs, query, claim_out)


@router.post(f"{P}/claims/{{claim_id}}/record", response=ClaimOut,
             summary="The member records the service given for a claim")
def claims_record(request, claim_id: int, payload: RecordIn):
    claim = sel.own_claim(_member(request), claim_id)
    _call(svc.service_record_submit, actor=request.auth, claim=claim, served_on=payload.served_on,
          hours=payload.hours, beneficiary=payload.beneficiary, note=payload.note, version=payload.version,
          request=request)
    return claim_out(claim)


@router.post(f"{P}/claims/{{claim_id}}/record/photo", response=ClaimOut,
             summary="The member records the service given, with a photo (multipart form; the photo in `photo`)")
def claims_record_with_photo(request, claim_id: int, payload: Form[RecordFormIn],
                             photo: File[UploadedFile] = None):
    claim = sel.own_claim(_member(request), claim_id)
    _call(svc.service_record_submit, actor=request.auth, claim=claim, served_on=payload.served_on,
          hours=payload.hours, beneficiary=payload.beneficiary, note=payload.note, photo=photo,
          version=payload.version, request=request)
    return claim_out(claim)


@router.post(f"{P}/claims/{{claim_id}}/move", response=ClaimOut,
             summary="The community confirms or returns a record; the member withdraws a claim")
def claims_move(request, claim_id: int, payload: ClaimMoveIn):
    claim = sel.claim_get(request.auth, claim_id)
    common = {"actor": request.auth, "claim": claim, "version": payload.version, "request": request}
    if payload.action == "confirm":
        _call(svc.service_claim_confirm, **common)
    elif payload.action == "return":
        _call(svc.service_claim_return, reason=payload.reason, **common)
    else:
        _call(svc.service_claim_withdraw, **common)
    return claim_out(claim)


# --- pledges, the member's own, the report ------------------------------------------------------------


@router.get(f"{P}/pledges", response=PledgePage, summary="Members' pledges in scope, filtered")
def pledges_list(request, query: Query[PledgeFilter]):
    _require_view(request)
    today = sel.today_local()
    qs = sel.pledge_list(request.auth, community_id=query.community_id, state=query.state or "",
                         q=query.q.strip())
    return page_of(qs, query, lambda p: pledge_out(p, today))


@router.post(f"{P}/pledges", response={201: PledgeOut}, summary="A member makes a public pledge")
def pledges_make(request, payload: PledgeIn):
    _member(request)
    pledge = _call(svc.pledge_make, actor=request.auth, text=payload.text, due_on=payload.due_on, request=request)
    return 201, pledge_out(pledge, sel.today_local())


@router.post(f"{P}/pledges/{{pledge_id}}/fulfil", response=PledgeOut, summary="A member records a kept pledge")
def pledges_fulfil(request, pledge_id: int, payload: FulfilIn):
    pledge = sel.own_pledge(_member(request), pledge_id)
    _call(svc.pledge_fulfil, actor=request.auth, pledge=pledge, fulfilment=payload.fulfilment,
          fulfilled_on=payload.fulfilled_on, request=request)
    return pledge_out(pledge, sel.today_local())


@router.get(f"{P}/me", response=MeOut, summary="The signed-in member's registrations, items, claims, pledges")
def dualreg_me(request):
    home = sel.member_home(_member(request))
    return {"member_id": home.member.pk, "registrations": [reg_out_own(r, home.member) for r in home.registrations],
            "items": [item_out(i) for i in home.items], "claims": [claim_out(c) for c in home.claims],
            "pledges": [pledge_out_own(p, home.member, home.today) for p in home.pledges],
            "confirmed_hours": home.confirmed_hours}


def reg_out_own(r: Registration, member) -> dict:
    r.member, r.org = member, member.org
    return reg_out(r)


def pledge_out_own(p: Pledge, member, today: date) -> dict:
    p.member = member
    return pledge_out(p, today)


@router.get(f"{P}/report", response=ReportOut, summary="The yearly dual report to workplace organizations")
def dualreg_report(request, query: Query[ReportQuery]):
    _require_view(request)
    data = sel.dual_report(request.auth, year=query.year or sel.today_local().year, org_id=query.org_id)
    return {
        "year": data.year, "total_hours": data.total_hours,
        "members": [{"member_id": m.pk, "name": m.person.name, "org_id": m.org_id, "org_name": m.org.name,
                     "registered_in": m.community_name, "records": m.records, "hours": m.hours,
                     "pledges_made": m.pledges_made, "pledges_kept": m.pledges_kept} for m in data.members],
        "records": [claim_out(c) for c in data.records],
    }
